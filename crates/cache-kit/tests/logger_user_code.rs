//! The logging call never panics and never aborts, whatever the user's code
//! around it does: a `Display` that logs (through the same logger or
//! another), a panic hook that logs, logging from a thread-local's
//! destructor. A test that would abort the process before its fix runs in
//! a child process (`logger_support::in_child`).

mod logger_support;

use std::fmt;

use cache_kit::LockFreeLogger;
use fearless_test_support::in_child;
use log::{Level, Log};
use logger_support::{Grenade, SharedSink};

fn record<'a>(target: &'a str, args: fmt::Arguments<'a>) -> log::Record<'a> {
    log::Record::builder()
        .args(args)
        .level(Level::Info)
        .target(target)
        .build()
}

/// A value whose `Display` logs a line to `logger` first.
struct LogsWhenShown<'a>(&'a LockFreeLogger);

impl fmt::Display for LogsWhenShown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .log(&record("inner", format_args!("shown {}", "inside")));
        f.write_str("value")
    }
}

#[test]
fn a_display_that_logs_through_the_same_logger_writes_both_records() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    logger.log(&record(
        "outer",
        format_args!("v = {}", LogsWhenShown(&logger)),
    ));
    logger.flush();
    assert_eq!(sink.messages("inner"), ["shown inside"]);
    assert_eq!(sink.messages("outer"), ["v = value"]);
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written), (2, 2));
}

#[test]
fn a_display_that_logs_through_another_logger_writes_both_records() {
    let (outer_sink, inner_sink) = (SharedSink::default(), SharedSink::default());
    let outer = LockFreeLogger::builder(outer_sink.clone()).start();
    let inner = LockFreeLogger::builder(inner_sink.clone()).start();
    outer.log(&record(
        "outer",
        format_args!("v = {}", LogsWhenShown(&inner)),
    ));
    outer.flush();
    inner.flush();
    assert_eq!(inner_sink.messages("inner"), ["shown inside"]);
    assert_eq!(outer_sink.messages("outer"), ["v = value"]);
}

/// A value whose `Display` panics.
struct PanicsWhenShown;

impl fmt::Display for PanicsWhenShown {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("the Display panicked")
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn a_panic_hook_that_logs_while_a_display_panics_does_not_abort() {
    const NAME: &str = "a_panic_hook_that_logs_while_a_display_panics_does_not_abort";
    in_child(NAME, || {
        let sink = SharedSink::default();
        let logger = LockFreeLogger::builder(sink.clone()).install().unwrap();
        // As log-panics does: the hook logs the panic.
        std::panic::set_hook(Box::new(|info| {
            let text = atomics_kit::panic_text(info.payload()).unwrap_or("?");
            log::error!(target: "hook", "panicked: {text}");
        }));
        let call = std::panic::catch_unwind(|| log::info!(target: "app", "{}", PanicsWhenShown));
        assert!(call.is_ok(), "the log call panicked");
        logger.flush();
        assert_eq!(sink.messages("hook"), ["panicked: the Display panicked"]);
        assert_eq!(
            sink.messages("app"),
            ["[formatting panicked: the Display panicked]"]
        );
    });
}

/// The logger the thread-local destructors below log to.
static EXITING: std::sync::OnceLock<(LockFreeLogger, SharedSink)> = std::sync::OnceLock::new();

fn exiting_logger() -> &'static (LockFreeLogger, SharedSink) {
    EXITING.get_or_init(|| {
        let sink = SharedSink::default();
        (LockFreeLogger::builder(sink.clone()).start(), sink)
    })
}

/// A thread-local value that logs when its thread exits.
struct LogsOnDrop;

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        let (logger, _) = exiting_logger();
        logger.log_str(Level::Warn, "dtor", "direct");
        logger.log(&record("dtor", format_args!("through {}", "Log::log")));
    }
}

thread_local! {
    static LOGS_ON_DROP: LogsOnDrop = const { LogsOnDrop };
}

/// Runs a thread that sets up `LOGS_ON_DROP` (after logging once itself,
/// if `logged_before`), exits, and checks that both records its
/// destructor logged were written.
fn log_from_a_thread_local_destructor(logged_before: bool) {
    let (logger, sink) = exiting_logger();
    std::thread::spawn(move || {
        LOGS_ON_DROP.with(|_| ());
        if logged_before {
            // The logger's thread-locals are registered after
            // `LOGS_ON_DROP`'s, so they are destroyed before it is.
            logger.log_str(Level::Info, "alive", "before");
        }
    })
    .join()
    .unwrap();
    logger.flush();
    assert_eq!(sink.messages("dtor"), ["direct", "through Log::log"]);
    let stats = logger.stats();
    assert_eq!(stats.written, stats.logged, "{stats:?}");
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn logging_from_a_thread_local_destructor_on_a_thread_that_never_logged_does_not_abort() {
    const NAME: &str =
        "logging_from_a_thread_local_destructor_on_a_thread_that_never_logged_does_not_abort";
    in_child(NAME, || log_from_a_thread_local_destructor(false));
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn logging_from_a_thread_local_destructor_after_the_loggers_own_are_gone_does_not_abort() {
    const NAME: &str =
        "logging_from_a_thread_local_destructor_after_the_loggers_own_are_gone_does_not_abort";
    in_child(NAME, || log_from_a_thread_local_destructor(true));
}

/// A value whose `Display` returns an error.
struct FailsWhenShown;

impl fmt::Display for FailsWhenShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("half")?;
        Err(fmt::Error)
    }
}

/// A value whose `Display` panics with a `Grenade`.
struct ThrowsAGrenade;

impl fmt::Display for ThrowsAGrenade {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        std::panic::panic_any(Grenade)
    }
}

#[test]
fn a_display_that_panics_or_fails_never_panics_the_caller_and_its_record_is_accounted_for() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    let calls: [(&str, &dyn Fn()); 3] = [
        ("panics", &|| {
            logger.log(&record(
                "app",
                format_args!("before {} after", PanicsWhenShown),
            ));
        }),
        ("fails", &|| {
            logger.log(&record("app", format_args!("{}", FailsWhenShown)));
        }),
        ("grenade", &|| {
            logger.log(&record("app", format_args!("{}", ThrowsAGrenade)));
        }),
    ];
    for (what, call) in calls {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
            atomics_kit::drop_panic_payload(payload);
            panic!("a Display that {what}: the log call panicked");
        }
    }
    logger.flush();
    let stats = logger.stats();
    assert_eq!((stats.logged, stats.written), (3, 3), "{stats:?}");
    assert_eq!(stats.format_errors, 3, "{stats:?}");
    assert_eq!(
        sink.messages("app"),
        [
            "before [formatting panicked: the Display panicked]",
            "half [formatting failed: a Display impl returned an error]",
            "[formatting panicked: non-string panic payload]",
        ]
    );
}

/// Logs "signed in" with `pairs` through a fresh logger, checks that the
/// call did not panic and that the record was written and counted as a
/// formatting error, and returns the line's message.
fn signed_in_with_faulty_pairs(pairs: &dyn log::kv::Source) -> String {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone()).start();
    let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        logger.log(
            &log::Record::builder()
                .args(format_args!("signed in"))
                .target("app")
                .key_values(pairs)
                .build(),
        );
    }));
    assert!(call.is_ok(), "the log call panicked");
    logger.flush();
    let stats = logger.stats();
    assert_eq!(
        (stats.logged, stats.written, stats.format_errors),
        (1, 1, 1)
    );
    let mut messages = sink.messages("app");
    assert_eq!(messages.len(), 1);
    messages.remove(0)
}

#[test]
fn a_key_value_whose_display_panics_never_panics_the_caller_and_is_counted() {
    let pairs = [
        ("user", log::kv::Value::from("ann")),
        ("broken", log::kv::Value::from_display(&PanicsWhenShown)),
    ];
    assert_eq!(
        signed_in_with_faulty_pairs(&pairs),
        r#"signed in user="ann" broken= [formatting panicked: the Display panicked]"#
    );
}

/// A key-value source whose `visit` panics (user code that `log` lets a
/// record carry).
struct PanickingSource;

impl log::kv::Source for PanickingSource {
    fn visit<'kvs>(
        &'kvs self,
        _: &mut dyn log::kv::VisitSource<'kvs>,
    ) -> Result<(), log::kv::Error> {
        panic!("the source panicked");
    }
}

#[test]
fn a_key_value_source_whose_visit_panics_never_panics_the_caller_and_is_counted() {
    assert_eq!(
        signed_in_with_faulty_pairs(&PanickingSource),
        "signed in [formatting panicked: the source panicked]"
    );
}

/// A key-value source whose own `count` panics while its `visit` works:
/// the record was written whole, with no marker and no count of the
/// panic (a break run).
struct CountPanics;

impl log::kv::Source for CountPanics {
    fn visit<'kvs>(
        &'kvs self,
        visitor: &mut dyn log::kv::VisitSource<'kvs>,
    ) -> Result<(), log::kv::Error> {
        visitor.visit_pair(log::kv::Key::from("a"), log::kv::Value::from(1))
    }
    fn count(&self) -> usize {
        panic!("count panicked");
    }
}

#[test]
fn a_key_value_source_whose_count_panics_is_marked_and_counted() {
    assert_eq!(
        signed_in_with_faulty_pairs(&CountPanics),
        "signed in a=1 [formatting panicked: counting the key-value pairs: count panicked]"
    );
}

/// A key-value source whose `visit` returns an error after one pair.
struct FailingSource;

impl log::kv::Source for FailingSource {
    fn visit<'kvs>(
        &'kvs self,
        visitor: &mut dyn log::kv::VisitSource<'kvs>,
    ) -> Result<(), log::kv::Error> {
        visitor.visit_pair(log::kv::Key::from("a"), log::kv::Value::from(1))?;
        Err(log::kv::Error::msg("the source failed"))
    }
}

#[test]
fn a_key_value_source_that_fails_is_named_in_the_marker_and_counted() {
    // The marker named "a Display impl", the message's, which had not
    // failed (a break run).
    assert_eq!(
        signed_in_with_faulty_pairs(&FailingSource),
        "signed in a=1 [formatting failed: a key-value pair's Display impl or its source \
         returned an error]"
    );
}
