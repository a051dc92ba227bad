//! The `tracing` feature with real tracing-subscriber subscribers: the
//! layer's lines (level, target, fields, span context), the `fmt` writer,
//! drop accounting, Block mode, and fields whose formatting panics.

mod logger_support;

use std::fmt;
use std::io;

use cache_kit::{LockFreeLogger, Overflow};
use logger_support::SharedSink;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::Registry;

/// The lines without their timestamp and thread:
/// `LEVEL context: target: message`.
fn bodies(sink: &SharedSink) -> Vec<String> {
    sink.lines()
        .iter()
        .map(|line| {
            let (_, rest) = line.split_once(' ').expect("a timestamp");
            let (level, rest) = rest.split_once(" [").expect("a thread");
            let (_, rest) = rest.split_once("] ").expect("a thread");
            format!("{} {rest}", level.trim_end())
        })
        .collect()
}

/// Runs `body` under a `Registry` with `logger`'s layer.
fn with_layer(logger: &LockFreeLogger, body: impl FnOnce()) {
    tracing::subscriber::with_default(Registry::default().with(logger.layer()), body);
}

#[test]
fn the_layer_writes_level_target_message_and_fields() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .level(log::LevelFilter::Trace)
        .start();
    with_layer(&logger, || {
        tracing::info!(target: "app", "plain");
        tracing::warn!(target: "app::db", user = "ann", attempt = 3, ok = true, "signed {}", "in");
        tracing::error!(target: "app", r#type = "x", "raw name");
        tracing::debug!(target: "app", ratio = 0.5, list = ?[1, 2], shown = %"disp");
        tracing::trace!(target: "app", "lowest");
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "INFO app: plain",
            "WARN app::db: signed in user=\"ann\" attempt=3 ok=true",
            "ERROR app: raw name type=\"x\"",
            "DEBUG app: ratio=0.5 list=[1, 2] shown=disp",
            "TRACE app: lowest",
        ]
    );
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.dropped), (5, 5, 0));
}

#[derive(Debug)]
struct Outer(Inner);

#[derive(Debug)]
struct Inner;

impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outer failed")
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("inner cause")
    }
}

impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl std::error::Error for Inner {}

/// `record` as tracing-log's `LogTracer` hands it to the subscriber (what
/// `tracing_subscriber`'s `.init()` installs for `log` records), without
/// installing a global logger.
fn bridged(record: &log::Record<'_>) {
    tracing_log::format_trace(record).unwrap();
}

#[test]
fn log_records_bridged_into_tracing_keep_their_target_for_filter_and_line() {
    // A break run: filed under the target `log` with four `log.*` fields,
    // and a debug record a `myapp=debug` directive allowed was filtered
    // out, counted nowhere.
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .filter("warn,myapp=debug")
        .unwrap()
        .start();
    with_layer(&logger, || {
        let record = |level, target, args| {
            bridged(
                &log::Record::builder()
                    .level(level)
                    .target(target)
                    .args(args)
                    .module_path_static(Some("myapp::db"))
                    .file_static(Some("src/db.rs"))
                    .line(Some(7))
                    .build(),
            );
        };
        record(log::Level::Debug, "myapp::db", format_args!("log debug"));
        record(log::Level::Warn, "myapp::db", format_args!("log warn"));
        record(log::Level::Info, "other", format_args!("filtered"));
        tracing::debug!(target: "myapp::db", "tracing debug");
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "DEBUG myapp::db: log debug",
            "WARN myapp::db: log warn",
            "DEBUG myapp::db: tracing debug",
        ]
    );
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.dropped), (3, 3, 0));
}

#[test]
fn a_bridged_log_record_shows_its_span_context_after_its_target() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let span = tracing::info_span!("request", id = 7);
        let _entered = span.enter();
        bridged(
            &log::Record::builder()
                .level(log::Level::Info)
                .target("app")
                .args(format_args!("inside"))
                .build(),
        );
    });
    logger.flush();
    assert_eq!(bodies(&sink), ["INFO request{id=7}: app: inside"]);
}

#[test]
fn the_layer_writes_errors_with_their_sources_as_fmt_does() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let error = Outer(Inner);
        let error: &(dyn std::error::Error + 'static) = &error;
        tracing::error!(target: "app", error, "request failed");
        let cause = Inner;
        let cause: &(dyn std::error::Error + 'static) = &cause;
        tracing::error!(target: "app", cause);
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "ERROR app: request failed error=outer failed error.sources=[inner cause]",
            "ERROR app: cause=inner cause",
        ]
    );
}

#[test]
fn the_layer_writes_the_span_context_from_the_root_with_recorded_fields() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let request = tracing::info_span!("request", id = 7, user = tracing::field::Empty);
        let _request = request.enter();
        tracing::info!(target: "app", "in request");
        request.record("user", "ann");
        let _db = tracing::info_span!("db").entered();
        tracing::info!(target: "app::db", rows = 2, "query");
        {
            let _table = tracing::info_span!("table", name = "users").entered();
            tracing::info!(target: "app::db", "scan");
        }
        drop(_db);
        tracing::info!(target: "app", "back in request");
    });
    tracing::subscriber::with_default(Registry::default().with(logger.layer()), || {
        tracing::info!(target: "app", "no span");
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "INFO request{id=7}: app: in request",
            "INFO request{id=7 user=\"ann\"}:db: app::db: query rows=2",
            "INFO request{id=7 user=\"ann\"}:db:table{name=\"users\"}: app::db: scan",
            "INFO request{id=7 user=\"ann\"}: app: back in request",
            "INFO app: no span",
        ]
    );
}

#[test]
fn two_logger_layers_in_one_subscriber_each_add_a_recorded_field_once() {
    let (file, stderr) = (SharedSink::default(), SharedSink::default());
    let file_logger = LockFreeLogger::builder(file.clone()).start();
    let stderr_logger = LockFreeLogger::builder(stderr.clone()).start();
    let subscriber = Registry::default()
        .with(file_logger.layer())
        .with(stderr_logger.layer());
    tracing::subscriber::with_default(subscriber, || {
        let request = tracing::info_span!("req", id = 7, user = tracing::field::Empty);
        let _request = request.enter();
        request.record("user", "ann");
        tracing::info!(target: "app", "served");
    });
    file_logger.flush();
    stderr_logger.flush();
    for sink in [&file, &stderr] {
        assert_eq!(bodies(sink), ["INFO req{id=7 user=\"ann\"}: app: served"]);
    }
}

#[test]
fn the_layer_writes_an_explicit_parent_span() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let job = tracing::info_span!("job", n = 1);
        tracing::info!(target: "app", parent: &job, "not entered");
    });
    logger.flush();
    assert_eq!(bodies(&sink), ["INFO job{n=1}: app: not entered"]);
}

#[test]
fn the_logger_level_and_filter_apply_to_the_layer() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .filter("warn,app::db=debug")
        .unwrap()
        .start();
    with_layer(&logger, || {
        tracing::debug!(target: "app::db::pool", "kept: app::db allows debug");
        tracing::trace!(target: "app::db", "filtered: trace");
        tracing::info!(target: "app::http", "filtered: warn elsewhere");
        tracing::warn!(target: "app::http", "kept: warn");
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "DEBUG app::db::pool: kept: app::db allows debug",
            "WARN app::http: kept: warn",
        ]
    );
    assert_eq!(logger.stats().logged, 2);
}

/// A value whose `Debug` and `Display` panic.
struct Panics;

impl fmt::Debug for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug of a field")
    }
}

impl fmt::Display for Panics {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display of a field")
    }
}

/// A value whose `Debug` returns an error.
struct Fails;

impl fmt::Debug for Fails {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[test]
fn a_field_that_panics_never_panics_the_caller_and_is_counted() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        tracing::info!(target: "app", before = 1, bad = ?Panics, "debug");
        tracing::info!(target: "app", bad = %Panics, "display");
        tracing::info!(target: "app", bad = ?Fails, "fails");
        tracing::info!(target: "app", "fine");
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "INFO app: debug before=1 bad= [formatting panicked: Debug of a field]",
            "INFO app: display bad= [formatting panicked: Display of a field]",
            "INFO app: fails bad= [formatting failed: a Display impl returned an error]",
            "INFO app: fine",
        ]
    );
    let stats = logger.stats();
    assert_eq!(
        (stats.logged, stats.written, stats.format_errors),
        (4, 4, 3)
    );
}

#[test]
fn a_span_field_that_panics_is_marked_and_counted_for_each_event_inside() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let span = tracing::info_span!("job", n = 1, bad = ?Panics);
        let _span = span.enter();
        tracing::info!(target: "app", "one");
        tracing::info!(target: "app", "two");
        let later = tracing::info_span!("later", bad = tracing::field::Empty);
        later.record("bad", tracing::field::display(Panics));
        later.in_scope(|| tracing::info!(target: "app", "three"));
    });
    logger.flush();
    assert_eq!(
        bodies(&sink),
        [
            "INFO job{n=1 bad= [formatting panicked: Debug of a field]}: app: one",
            "INFO job{n=1 bad= [formatting panicked: Debug of a field]}: app: two",
            "INFO job{n=1 bad= [formatting panicked: Debug of a field]}:later{bad= [formatting panicked: Display of a field]}: app: three",
        ]
    );
    let stats = logger.stats();
    assert_eq!(
        (stats.logged, stats.written, stats.format_errors),
        (3, 3, 3)
    );
}

/// A sink whose writes wait until the test opens it, so the buffer fills
/// while the writer is stuck in its first write.
#[derive(Clone)]
struct GatedSink {
    /// (a write has begun, the sink is open)
    state: std::sync::Arc<(std::sync::Mutex<(bool, bool)>, std::sync::Condvar)>,
    inner: SharedSink,
}

impl GatedSink {
    fn new(inner: SharedSink) -> Self {
        Self {
            state: Default::default(),
            inner,
        }
    }

    /// Waits until the writer is inside its first write.
    fn wait_until_entered(&self) {
        let (state, changed) = &*self.state;
        let mut state = state.lock().unwrap();
        while !state.0 {
            state = changed.wait(state).unwrap();
        }
    }

    fn open(&self) {
        let (state, changed) = &*self.state;
        state.lock().unwrap().1 = true;
        changed.notify_all();
    }
}

impl io::Write for GatedSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let (state, changed) = &*self.state;
        let mut guard = state.lock().unwrap();
        guard.0 = true;
        changed.notify_all();
        while !guard.1 {
            guard = changed.wait(guard).unwrap();
        }
        drop(guard);
        self.inner.write(bytes)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_full_buffer_drops_and_counts_layer_events_and_says_so_in_the_log() {
    let sink = SharedSink::default();
    let gated = GatedSink::new(sink.clone());
    let logger = LockFreeLogger::builder(gated.clone())
        .capacity(2)
        .unwrap()
        .start();
    with_layer(&logger, || {
        tracing::info!(target: "app", "first");
        gated.wait_until_entered();
        // The writer is stuck writing "first": two fit, the rest drop.
        for n in 0..200 {
            tracing::info!(target: "app", n);
        }
    });
    gated.open();
    logger.flush();
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.dropped), (201, 3, 198));
    let lines = bodies(&sink);
    assert_eq!(
        lines[..3],
        ["INFO app: first", "INFO app: n=0", "INFO app: n=1"]
    );
    let reported: u64 = lines
        .iter()
        .filter_map(|line| line.strip_prefix("WARN cache_kit::logger: "))
        .map(|line| line.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(reported, stats.dropped);
}

#[test]
fn block_mode_loses_no_layer_event_from_many_threads() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .capacity(2)
        .unwrap()
        .overflow(Overflow::Block)
        .start();
    let subscriber = std::sync::Arc::new(Registry::default().with(logger.layer()));
    std::thread::scope(|s| {
        for thread in 0..4 {
            let subscriber = std::sync::Arc::clone(&subscriber);
            s.spawn(move || {
                tracing::subscriber::with_default(subscriber, || {
                    let _span = tracing::info_span!("worker", thread).entered();
                    for n in 0..500 {
                        tracing::info!(target: "app", n);
                    }
                });
            });
        }
    });
    logger.flush();
    let stats = logger.stats();
    assert_eq!(
        (stats.logged, stats.written, stats.dropped),
        (2000, 2000, 0)
    );
    let lines = bodies(&sink);
    assert_eq!(lines.len(), 2000);
    for thread in 0..4 {
        let prefix = format!("INFO worker{{thread={thread}}}: app: n=");
        let ns: Vec<u32> = lines
            .iter()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|n| n.parse().unwrap())
            .collect();
        // Each thread's events in the order it logged them.
        assert_eq!(ns, (0..500).collect::<Vec<_>>());
    }
}

#[test]
fn events_after_shutdown_are_counted_dropped() {
    let logger = LockFreeLogger::builder(SharedSink::default()).start();
    let layer = logger.layer();
    logger.shutdown(std::time::Duration::from_secs(5)).unwrap();
    tracing::subscriber::with_default(Registry::default().with(layer), || {
        tracing::info!("too late");
    });
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.dropped), (1, 0, 1));
}

/// A field's `Debug` runs inside the dispatch, where tracing-core sends
/// nested events to no subscriber (its re-entrancy guard): the outer event
/// is written, and nothing panics or deadlocks on the logger's side.
#[test]
fn a_field_that_emits_an_event_neither_panics_nor_deadlocks() {
    struct LogsWhenShown;
    impl fmt::Debug for LogsWhenShown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            tracing::warn!(target: "inner", "shown");
            f.write_str("value")
        }
    }
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    with_layer(&logger, || {
        let _span = tracing::info_span!("outer_span").entered();
        tracing::info!(target: "outer", v = ?LogsWhenShown);
    });
    logger.flush();
    assert_eq!(bodies(&sink), ["INFO outer_span: outer: v=value"]);
    assert_eq!(logger.stats().format_errors, 0);
}

/// `fmt`'s line without its timestamp: `fmt` with `without_time`.
fn fmt_subscriber(logger: &LockFreeLogger) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_writer(logger.make_writer())
        .without_time()
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish()
}

#[test]
fn the_make_writer_writes_fmt_lines_as_they_are() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    tracing::subscriber::with_default(fmt_subscriber(&logger), || {
        let _span = tracing::info_span!("request", id = 7).entered();
        tracing::info!(target: "app", user = "ann", "signed in");
        tracing::trace!(target: "app", "not filtered by the logger's level");
    });
    logger.flush();
    assert_eq!(
        sink.lines(),
        [
            " INFO request{id=7}: app: signed in user=\"ann\"",
            "TRACE request{id=7}: app: not filtered by the logger's level",
        ]
    );
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written), (2, 2));
}

#[test]
fn the_make_writer_writes_any_bytes_as_they_are_short_or_long() {
    use std::io::Write as _;
    use tracing_subscriber::fmt::MakeWriter as _;

    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    let make_writer = logger.make_writer();
    // Not UTF-8 (a lone continuation byte, an overlong encoding), once
    // short enough to be kept inside the record and once on the heap.
    let short = b"raw \x80\xc0\xaf bytes\n".to_vec();
    let mut long = b"long ".repeat(40);
    long.extend_from_slice(b"\xff\xfe end\n");
    for line in [&short, &long] {
        make_writer.make_writer().write_all(line).unwrap();
    }
    logger.flush();
    let mut expected = short.clone();
    expected.extend_from_slice(&long);
    assert_eq!(*sink.0.lock().unwrap(), expected);
    assert_eq!(logger.stats().written, 2);
}

#[test]
fn the_make_writer_drops_and_counts_lines_when_the_buffer_is_full() {
    let sink = SharedSink::default();
    let gated = GatedSink::new(sink.clone());
    let logger = LockFreeLogger::builder(gated.clone())
        .capacity(2)
        .unwrap()
        .start();
    tracing::subscriber::with_default(fmt_subscriber(&logger), || {
        tracing::info!(target: "app", "first");
        gated.wait_until_entered();
        for n in 0..200 {
            tracing::info!(target: "app", n);
        }
    });
    gated.open();
    logger.flush();
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.dropped), (201, 3, 198));
    let lines = sink.lines();
    assert_eq!(
        lines[..3],
        [" INFO app: first", " INFO app: n=0", " INFO app: n=1"]
    );
    let reported: u64 = lines
        .iter()
        .filter_map(|line| line.split_once(" cache_kit::logger: "))
        .map(|(_, text)| text.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(reported, stats.dropped);
}

#[test]
fn the_make_writer_in_block_mode_loses_nothing() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .capacity(2)
        .unwrap()
        .overflow(Overflow::Block)
        .start();
    let subscriber = std::sync::Arc::new(fmt_subscriber(&logger));
    std::thread::scope(|s| {
        for _ in 0..4 {
            let subscriber = std::sync::Arc::clone(&subscriber);
            s.spawn(move || {
                tracing::subscriber::with_default(subscriber, || {
                    for n in 0..500 {
                        tracing::info!(target: "app", n);
                    }
                });
            });
        }
    });
    logger.flush();
    let stats = logger.stats();
    assert_eq!(
        (stats.logged, stats.written, stats.dropped),
        (2000, 2000, 0)
    );
    assert_eq!(sink.lines().len(), 2000);
}

#[test]
fn the_make_writer_counts_a_sink_error() {
    struct Broken;
    impl io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk gone"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let logger = LockFreeLogger::builder(Broken).start();
    tracing::subscriber::with_default(fmt_subscriber(&logger), || {
        tracing::info!("lost");
    });
    logger.flush();
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written, stats.write_errors), (1, 0, 1));
}

#[test]
fn the_layer_and_the_writers_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<cache_kit::logger::LoggerLayer>();
    send_sync::<cache_kit::logger::LoggerMakeWriter>();
    send_sync::<cache_kit::logger::LoggerWriter<'static>>();
}

/// A sink that writes a few lines through its own logger's `MakeWriter`
/// each time it writes.
#[derive(Clone, Default)]
struct LogsFromTheSink {
    logger: std::sync::Arc<std::sync::OnceLock<cache_kit::logger::LoggerMakeWriter>>,
    inner: SharedSink,
}

impl io::Write for LogsFromTheSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        use tracing_subscriber::fmt::MakeWriter as _;
        if let Some(make_writer) = self.logger.get() {
            if !bytes.starts_with(b"from the sink") {
                for _ in 0..3 {
                    io::Write::write_all(&mut make_writer.make_writer(), b"from the sink\n")?;
                }
            }
        }
        self.inner.write(bytes)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// In Block mode a full buffer waits for the writer; the writer itself (a
/// sink that logs) cannot wait for room only it makes, so its records are
/// dropped and counted where it used to spin for good.
#[test]
fn block_mode_never_hangs_a_sink_that_logs_through_its_own_logger() {
    let sink = LogsFromTheSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .capacity(1)
        .unwrap()
        .overflow(Overflow::Block)
        .start();
    sink.logger.set(logger.make_writer()).unwrap();
    let logger = std::sync::Arc::new(logger);
    let (done, finished) = std::sync::mpsc::channel();
    {
        let logger = std::sync::Arc::clone(&logger);
        std::thread::spawn(move || {
            logger.log_str(log::Level::Info, "app", "first");
            logger.flush();
            let _ = done.send(());
        });
    }
    // Before the fix the writer spun for good and this flush never
    // returned: a failure after 20 s, not a hung test run.
    finished
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the writer hung: flush never returned");
    logger.flush();
    let stats = logger.stats();
    // "first", then the sink's three lines: one fits, two are dropped.
    assert_eq!(
        (stats.logged, stats.written, stats.dropped),
        (4, 2, 2),
        "{:?}",
        sink.inner.lines()
    );
}
