//! Measurements that are not throughput, for `cargo xtask bench` to record
//! beside the paired throughput tables (`examples/paired.rs`): each line
//! printed is
//! `METRIC <scenario> <unit> <higher|lower> <implementation> <threads> <value>`,
//! or for a paired turn
//! `METRIC <scenario> <unit> <higher|lower> <implementation> <threads> <round> <position> <value>`
//! (tab-separated).
//!
//! The latency and keep-up scenarios run in paired rounds, as the
//! throughput ones do: in each round every implementation takes one turn
//! (one full run of its calls, every percentile taken over that turn), in
//! an order rotated by one from the last round's, so that a per-round ratio
//! compares values measured seconds apart. The hit ratios are
//! deterministic (one seeded sequence) and measured once.
//!
//! - `cache_zipf_hit_ratio_{1,10}pct`: the hit ratio (% of gets that hit)
//!   of the `cache_zipf_mixed_*` workload (Zipf(0.99) over 1M keys, 90% get
//!   and 10% insert), one thread, after one warming pass of 1M ops, over
//!   the next 4M ops of the same seeded sequence for every cache.
//!
//! - `logger_latency_{p50,p99,p999}` and `logger_throughput`: 1 and 2
//!   threads each make 200k log calls (`"request {n} served in {t} µs"`,
//!   level Info), timing every call with `Instant::now()` around it (the
//!   method of Quill's benchmarks; the two clock reads, about 40 ns, are in
//!   every implementation's numbers). Throughput is calls per second of the
//!   logging threads, first start to last end. Every logger writes to its
//!   own file in the temp directory; the asynchronous ones are drained
//!   (flush, shutdown) after the clock stops. Ours runs in both overflow
//!   modes; a dropped record is cheaper than a queued one, so the drops of
//!   each run are printed to stderr. Under `tracing`, ours runs as the
//!   `LoggerLayer` on a `Registry` and as the `MakeWriter` of the same
//!   `fmt` subscriber tracing-appender's `non_blocking` runs under, each in
//!   both modes. tracing-appender runs twice: as it comes (lossy: a full
//!   channel drops the line, like our DropNewest) and with `lossy(false)`
//!   (it blocks, like our Block); its drops go to stderr too. Two `floor:` rows time the message formatted into a
//!   reused `String` with no logger at all (at 1 thread also with the other
//!   core kept busy, as a writer thread keeps it): what this machine gives
//!   any logger.
//!
//! - `logger_keep_up_dropped` and `logger_keep_up_throughput`: whether
//!   the writer keeps up with callers logging flat out (issue 17): 1 and 2
//!   threads each make 1M untimed calls (the message above) into a
//!   discarding sink (`std::io::sink()`), ours in DropNewest mode at the
//!   default capacity; the metric is the % of records dropped (after a
//!   flush, from `stats()`), and the calls per second first start to last
//!   end. tracing-appender's `non_blocking` (lossy by default, 128k lines)
//!   into the same sink under `fmt` runs beside it, its drops from its
//!   `ErrorCounter`.
//!
//! - `actor_ask_latency_{p50,p99,p999}`: one thread asks each counter actor
//!   of `fearless_benches::actors` (started afresh) for its count 20k
//!   times, timing every round trip the same way.
//!
//! Usage: `metrics [--smoke] [--rounds N] [FILTER]`; FILTER keeps the
//! scenarios whose name contains one of its `|`-separated parts. `--rounds`
//! sets the paired rounds (default 9; 2 with `--smoke`). `--smoke` runs
//! each scenario a thousandth as long, to prove it works.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use fearless_benches::actors::{for_each_counter, Counter, Visit};
use fearless_benches::caches::{bounded_caches, zipf_keys};
use fearless_benches::filter::Filter;

/// Paired rounds per thread count unless `--rounds` says otherwise (as
/// `examples/paired.rs`).
const DEFAULT_ROUNDS: usize = 9;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|arg| arg == "--smoke");
    let rounds = match args.iter().position(|arg| arg == "--rounds") {
        Some(at) => args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .filter(|&n: &usize| n > 0)
            .expect("--rounds needs a positive count"),
        None if smoke => 2,
        None => DEFAULT_ROUNDS,
    };
    let filter = Filter::new(
        args.iter()
            .enumerate()
            .filter(|(at, arg)| !arg.starts_with("--") && (*at == 0 || args[at - 1] != "--rounds"))
            .map(|(_, arg)| arg.as_str()),
    );
    let wanted = |scenario: &str| filter.keeps(scenario);
    let scale = if smoke { 1_000 } else { 1 };
    for (scenario, percent) in [
        ("cache_zipf_hit_ratio_1pct", 1),
        ("cache_zipf_hit_ratio_10pct", 10),
    ] {
        if wanted(scenario) {
            cache_hit_ratio(scenario, percent, scale);
        }
    }
    if wanted("logger_latency") || wanted("logger_throughput") {
        for threads in [1, 2] {
            logger_latency(threads, 200_000 / scale, rounds);
        }
    }
    if wanted("logger_keep_up") {
        for threads in [1, 2] {
            logger_keep_up(threads, 1_000_000 / scale, rounds);
        }
    }
    if wanted("actor_ask_latency") {
        let contenders = AskLatency::contenders();
        in_rounds(rounds, contenders, |wanted, turn| {
            for_each_counter(&mut AskLatency {
                asks: 20_000 / scale,
                wanted,
                turn,
                count: 0,
            });
        });
    }
}

fn cache_hit_ratio(scenario: &str, capacity_percent: u64, scale: usize) {
    const KEYS: u64 = 1_000_000;
    let warm_ops = 1_000_000 / scale;
    let measured_ops = 4_000_000 / scale;
    let keys = zipf_keys(KEYS, 0.99, warm_ops + measured_ops, 42);
    for (name, make) in bounded_caches() {
        let cache = make(KEYS * capacity_percent / 100);
        let (mut gets, mut hits) = (0_u64, 0_u64);
        for (n, &key) in keys.iter().enumerate() {
            if n.is_multiple_of(10) {
                cache.insert(key, key);
            } else {
                let hit = cache.get(key);
                if n >= warm_ops {
                    gets += 1;
                    hits += u64::from(hit);
                }
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let percent = hits as f64 * 100.0 / gets as f64;
        Metric::of(name, 1, None).print(
            scenario,
            "hit ratio %",
            Better::Higher,
            format_args!("{percent:.2}"),
        );
    }
}

/// A log call under test, made `calls` times on each of `threads`
/// threads; returns every call's latency and the span of all calls.
fn time_calls(
    threads: usize,
    calls: usize,
    call: &(dyn Fn(usize) + Sync),
) -> (Vec<Duration>, Duration) {
    time_calls_with(threads, calls, &|| Box::new(()), call)
}

/// [`time_calls`], with `per_thread` run on each thread before its clock
/// starts, and what it returns dropped after the clock stops (tracing's
/// thread-local default subscriber, say).
fn time_calls_with(
    threads: usize,
    calls: usize,
    per_thread: &(dyn Fn() -> Box<dyn std::any::Any> + Sync),
    call: &(dyn Fn(usize) + Sync),
) -> (Vec<Duration>, Duration) {
    let start = Barrier::new(threads);
    let results: Vec<(Vec<Duration>, Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    let mut latencies = Vec::with_capacity(calls);
                    let setup = per_thread();
                    start.wait();
                    let began = Instant::now();
                    for n in 0..calls {
                        let before = Instant::now();
                        call(n);
                        latencies.push(before.elapsed());
                    }
                    let ended = Instant::now();
                    drop(setup);
                    (latencies, began, ended)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let first = results.iter().map(|r| r.1).min().unwrap();
    let last = results.iter().map(|r| r.2).max().unwrap();
    (
        results.into_iter().flat_map(|r| r.0).collect(),
        last - first,
    )
}

/// Where a turn ran among the paired rounds.
#[derive(Clone, Copy)]
struct Turn {
    round: usize,
    position: usize,
}

/// Runs `rounds` rounds of one turn per contender (`turn(index, ..)` runs
/// contender `index`), each round's order rotated by one from the last's,
/// so that each contender goes first equally often.
fn in_rounds(rounds: usize, contenders: usize, mut turn: impl FnMut(usize, Turn)) {
    for round in 0..rounds {
        for position in 0..contenders {
            turn((round + position) % contenders, Turn { round, position });
        }
    }
}

#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

/// What a `METRIC` line says about its value: whose, at how many
/// threads, and in which turn if paired.
struct Metric<'a> {
    implementation: &'a str,
    threads: usize,
    turn: Option<Turn>,
}

impl<'a> Metric<'a> {
    fn of(implementation: &'a str, threads: usize, turn: Option<Turn>) -> Self {
        Self {
            implementation,
            threads,
            turn,
        }
    }

    /// Prints one `METRIC` line (see the module's docs).
    fn print(&self, scenario: &str, unit: &str, better: Better, value: impl std::fmt::Display) {
        let better = match better {
            Better::Higher => "higher",
            Better::Lower => "lower",
        };
        let turn = self.turn.map_or(String::new(), |turn| {
            format!("\t{}\t{}", turn.round, turn.position)
        });
        println!(
            "METRIC\t{scenario}\t{unit}\t{better}\t{}\t{}{turn}\t{value}",
            self.implementation, self.threads
        );
    }
}

/// Prints the p50, p99 and p99.9 of `latencies` as the metrics
/// `<prefix>_latency_p50` and so on, in nanoseconds.
fn report_latencies(prefix: &str, metric: &Metric<'_>, latencies: &mut [Duration]) {
    latencies.sort_unstable();
    let at = |fraction: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((latencies.len() as f64 * fraction) as usize).min(latencies.len() - 1);
        latencies[index].as_nanos()
    };
    for (percentile, fraction) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
        metric.print(
            &format!("{prefix}_latency_{percentile}"),
            "ns",
            Better::Lower,
            at(fraction),
        );
    }
}

fn report_logger(
    name: &str,
    threads: usize,
    turn: Turn,
    mut latencies: Vec<Duration>,
    span: Duration,
) {
    let metric = Metric::of(name, threads, Some(turn));
    report_latencies("logger", &metric, &mut latencies);
    #[allow(clippy::cast_precision_loss)]
    let throughput = latencies.len() as f64 / span.as_secs_f64() / 1e6;
    metric.print(
        "logger_throughput",
        "M calls/s",
        Better::Higher,
        format_args!("{throughput:.3}"),
    );
}

/// Times `asks` ask round trips from one thread to the counter actor
/// `wanted` (its place in `for_each_counter`'s order), started afresh; the
/// others are skipped. `count` counts the contenders.
struct AskLatency {
    asks: usize,
    wanted: usize,
    turn: Turn,
    count: usize,
}

impl AskLatency {
    /// How many counter actors `for_each_counter` visits.
    fn contenders() -> usize {
        let mut counting = AskLatency {
            asks: 0,
            wanted: usize::MAX,
            turn: Turn {
                round: 0,
                position: 0,
            },
            count: 0,
        };
        for_each_counter(&mut counting);
        counting.count
    }
}

impl Visit for AskLatency {
    fn visit<C: Counter>(&mut self, name: &str) {
        let index = self.count;
        self.count += 1;
        if index != self.wanted {
            return;
        }
        let counter = C::start();
        let (mut latencies, _) = time_calls(1, self.asks, &|_| {
            std::hint::black_box(counter.get());
        });
        drop(counter);
        report_latencies(
            "actor_ask",
            &Metric::of(name, 1, Some(self.turn)),
            &mut latencies,
        );
    }
}

fn log_file(name: &str) -> File {
    File::create(std::env::temp_dir().join(format!("fearless-logger-bench-{name}.log"))).unwrap()
}

fn record(args: std::fmt::Arguments<'_>) -> log::Record<'_> {
    log::Record::builder()
        .args(args)
        .level(log::Level::Info)
        .target("bench")
        .module_path_static(Some("bench"))
        .build()
}

/// The `Mutex<BufWriter<File>>` logger users write behind `log`.
struct MutexLogger(Mutex<BufWriter<File>>);

impl log::Log for MutexLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let mut file = self.0.lock().unwrap();
        let _ = writeln!(
            file,
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        );
    }
    fn flush(&self) {
        let _ = self.0.lock().unwrap().flush();
    }
}

/// Makes `calls` untimed calls on each of `threads` threads (`per_thread`
/// as in [`time_calls_with`]); returns calls per second, first start to
/// last end.
fn flat_out(
    threads: usize,
    calls: usize,
    per_thread: &(dyn Fn() -> Box<dyn std::any::Any> + Sync),
    call: &(dyn Fn(usize) + Sync),
) -> f64 {
    let start = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let start = &start;
                s.spawn(move || {
                    let setup = per_thread();
                    start.wait();
                    let began = Instant::now();
                    for n in 0..calls {
                        call(n);
                    }
                    let ended = Instant::now();
                    drop(setup);
                    (began, ended)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    let first = spans.iter().map(|span| span.0).min().unwrap();
    let last = spans.iter().map(|span| span.1).max().unwrap();
    #[allow(clippy::cast_precision_loss)]
    let rate = (threads * calls) as f64 / (last - first).as_secs_f64();
    rate
}

fn report_keep_up(name: &str, threads: usize, turn: Turn, dropped: u64, calls: usize, rate: f64) {
    #[allow(clippy::cast_precision_loss)]
    let percent = dropped as f64 * 100.0 / (threads * calls) as f64;
    let metric = Metric::of(name, threads, Some(turn));
    metric.print(
        "logger_keep_up_dropped",
        "% dropped",
        Better::Lower,
        format_args!("{percent:.2}"),
    );
    metric.print(
        "logger_keep_up_throughput",
        "M calls/s",
        Better::Higher,
        format_args!("{:.3}", rate / 1e6),
    );
}

/// The keep-up runs: `calls` flat-out calls on each of `threads` threads
/// into a discarding sink, default capacity (see the module's docs), ours
/// and tracing-appender's in alternating turns.
fn logger_keep_up(threads: usize, calls: usize, rounds: usize) {
    let ours = |turn: Turn| {
        let logger = cache_kit::LockFreeLogger::builder(std::io::sink()).start();
        let rate = flat_out(threads, calls, &|| Box::new(()), &|n| {
            log::Log::log(
                &logger,
                &record(format_args!("request {n} served in {} µs", n % 1_000)),
            );
        });
        logger.flush();
        let stats = logger.stats();
        eprintln!("keep-up, ours (DropNewest), {threads} thread(s): {stats:?}");
        report_keep_up(
            "cache_kit::LockFreeLogger (DropNewest)",
            threads,
            turn,
            stats.dropped,
            calls,
            rate,
        );
    };
    let tracing_appender = |turn: Turn| {
        let (writer, guard) = tracing_appender::non_blocking(std::io::sink());
        let errors = writer.error_counter();
        let dispatch =
            tracing::Dispatch::new(tracing_subscriber::fmt().with_writer(writer).finish());
        let rate = flat_out(
            threads,
            calls,
            &|| Box::new(tracing::dispatcher::set_default(&dispatch)),
            &|n| tracing::info!("request {n} served in {} µs", n % 1_000),
        );
        drop(dispatch);
        drop(guard);
        report_keep_up(
            "tracing-appender non_blocking + fmt",
            threads,
            turn,
            errors.dropped_lines() as u64,
            calls,
            rate,
        );
    };
    let contenders: [&dyn Fn(Turn); 2] = [&ours, &tracing_appender];
    in_rounds(rounds, contenders.len(), |index, turn| {
        contenders[index](turn)
    });
}

/// Every call's latency in one turn, and the span of all calls.
type Timed = (Vec<Duration>, Duration);

/// One implementation in the latency runs: its name, and a turn of it
/// (started afresh, timed, then drained or shut down).
type LatencyContender<'a> = (&'static str, Box<dyn Fn() -> Timed + 'a>);

/// The machine's floor under the latency runs: the same message formatted
/// into a reused `String`, no logger at all, timed the same way; at one
/// thread also with a thread spinning on the other core, as a logger's
/// writer thread busies it. A VM's own pauses set the p99.9 here (issue
/// 17's DropNewest target of 1 µs sits below it).
fn logger_latency_floors(threads: usize, calls: usize) -> Vec<LatencyContender<'static>> {
    fn format_alone(n: usize) {
        thread_local! {
            static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        LINE.with_borrow_mut(|line| {
            line.clear();
            let _ = std::fmt::Write::write_fmt(
                line,
                format_args!("request {n} served in {} µs", n % 1_000),
            );
            std::hint::black_box(&*line);
        });
    }
    let mut floors: Vec<LatencyContender<'static>> = vec![(
        "floor: format into a String, no logger",
        Box::new(move || time_calls(threads, calls, &format_alone)),
    )];
    if threads == 1 {
        floors.push((
            "floor: format into a String, no logger, other core busy",
            Box::new(move || {
                let stop = std::sync::atomic::AtomicBool::new(false);
                std::thread::scope(|s| {
                    s.spawn(|| {
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            std::hint::spin_loop();
                        }
                    });
                    let measured = time_calls(threads, calls, &format_alone);
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    measured
                })
            }),
        ));
    }
    floors
}

/// How a `tracing` event reaches our logger in the latency runs.
#[derive(Clone, Copy)]
enum TracingRoute {
    /// `LockFreeLogger::layer` on a `Registry`.
    Layer,
    /// `tracing_subscriber::fmt` writing to `LockFreeLogger::make_writer`.
    Fmt,
}

fn call_through(logger: &dyn log::Log, n: usize) {
    logger.log(&record(format_args!(
        "request {n} served in {} µs",
        n % 1_000
    )));
}

/// The latency runs' `tracing` event, `calls` times on each of `threads`
/// threads with `dispatch` as their default subscriber.
fn time_events(threads: usize, calls: usize, dispatch: &tracing::Dispatch) -> Timed {
    time_calls_with(
        threads,
        calls,
        &|| Box::new(tracing::dispatcher::set_default(dispatch)),
        &|n| tracing::info!("request {n} served in {} µs", n % 1_000),
    )
}

/// Ours through `log`, in both overflow modes.
fn ours_through_log(threads: usize, calls: usize) -> Vec<LatencyContender<'static>> {
    [
        (
            "cache_kit::LockFreeLogger (DropNewest)",
            cache_kit::Overflow::DropNewest,
        ),
        (
            "cache_kit::LockFreeLogger (Block)",
            cache_kit::Overflow::Block,
        ),
    ]
    .into_iter()
    .map(|(name, overflow)| -> LatencyContender<'static> {
        (
            name,
            Box::new(move || {
                let logger = cache_kit::LockFreeLogger::builder(log_file("ours"))
                    .overflow(overflow)
                    .start();
                let timed = time_calls(threads, calls, &|n| call_through(&logger, n));
                logger.shutdown(Duration::from_secs(60)).unwrap();
                eprintln!("{name}, {threads} thread(s): {:?}", logger.stats());
                timed
            }),
        )
    })
    .collect()
}

/// Ours under tracing, beside tracing-appender: the layer on a
/// `Registry`, and `fmt` with our `MakeWriter` (the subscriber
/// tracing-appender's `non_blocking` runs under, writer swapped).
fn ours_under_tracing(threads: usize, calls: usize) -> Vec<LatencyContender<'static>> {
    [
        (
            "cache_kit::LoggerLayer (DropNewest)",
            cache_kit::Overflow::DropNewest,
            TracingRoute::Layer,
        ),
        (
            "cache_kit::LoggerLayer (Block)",
            cache_kit::Overflow::Block,
            TracingRoute::Layer,
        ),
        (
            "cache_kit::LoggerMakeWriter + fmt (DropNewest)",
            cache_kit::Overflow::DropNewest,
            TracingRoute::Fmt,
        ),
        (
            "cache_kit::LoggerMakeWriter + fmt (Block)",
            cache_kit::Overflow::Block,
            TracingRoute::Fmt,
        ),
    ]
    .into_iter()
    .map(|(name, overflow, route)| -> LatencyContender<'static> {
        (
            name,
            Box::new(move || {
                let logger = cache_kit::LockFreeLogger::builder(log_file("ours-tracing"))
                    .overflow(overflow)
                    .start();
                let dispatch = match route {
                    TracingRoute::Layer => {
                        use tracing_subscriber::layer::SubscriberExt as _;
                        tracing::Dispatch::new(
                            tracing_subscriber::Registry::default().with(logger.layer()),
                        )
                    }
                    TracingRoute::Fmt => tracing::Dispatch::new(
                        tracing_subscriber::fmt()
                            .with_writer(logger.make_writer())
                            .finish(),
                    ),
                };
                let timed = time_events(threads, calls, &dispatch);
                drop(dispatch);
                logger.shutdown(Duration::from_secs(60)).unwrap();
                eprintln!("{name}, {threads} thread(s): {:?}", logger.stats());
                timed
            }),
        )
    })
    .collect()
}

/// The peers: tracing-appender under `fmt`, a `Mutex<BufWriter<File>>`
/// behind `log`, and env_logger.
fn peer_loggers(threads: usize, calls: usize) -> Vec<LatencyContender<'static>> {
    vec![
        (
            "tracing-appender non_blocking + fmt",
            Box::new(move || tracing_appender_turn(threads, calls, true)),
        ),
        (
            "tracing-appender non_blocking (lossy(false)) + fmt",
            Box::new(move || tracing_appender_turn(threads, calls, false)),
        ),
        (
            "Mutex<BufWriter<File>> (log)",
            Box::new(move || {
                let logger = MutexLogger(Mutex::new(BufWriter::new(log_file("mutex"))));
                let timed = time_calls(threads, calls, &|n| call_through(&logger, n));
                log::Log::flush(&logger);
                timed
            }),
        ),
        (
            "env_logger",
            Box::new(move || {
                let logger = env_logger::Builder::new()
                    .target(env_logger::Target::Pipe(Box::new(log_file("env_logger"))))
                    .filter_level(log::LevelFilter::Info)
                    .build();
                let timed = time_calls(threads, calls, &|n| call_through(&logger, n));
                log::Log::flush(&logger);
                timed
            }),
        ),
    ]
}

/// One turn of tracing-appender's `non_blocking` under `fmt`: lossy (its
/// default, which drops a line when its 128k-line channel is full, as our
/// DropNewest does) or not (it then blocks, as our Block does). Its drops
/// go to stderr, as ours do.
fn tracing_appender_turn(threads: usize, calls: usize, lossy: bool) -> Timed {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(lossy)
        .finish(log_file("tracing"));
    let dropped = writer.error_counter();
    let subscriber = tracing_subscriber::fmt().with_writer(writer).finish();
    let dispatch = tracing::Dispatch::new(subscriber);
    let timed = time_events(threads, calls, &dispatch);
    drop(dispatch);
    drop(guard);
    eprintln!(
        "tracing-appender non_blocking (lossy {lossy}), {threads} thread(s): {} of {} lines dropped",
        dropped.dropped_lines(),
        threads * calls
    );
    timed
}

/// The latency runs at `threads` threads: every implementation (and the
/// floors) takes one turn per round.
fn logger_latency(threads: usize, calls: usize, rounds: usize) {
    let contenders: Vec<LatencyContender<'static>> = ours_through_log(threads, calls)
        .into_iter()
        .chain(ours_under_tracing(threads, calls))
        .chain(peer_loggers(threads, calls))
        .chain(logger_latency_floors(threads, calls))
        .collect();
    in_rounds(rounds, contenders.len(), |index, turn| {
        let (name, run) = &contenders[index];
        let (latencies, span) = run();
        report_logger(name, threads, turn, latencies, span);
    });
}
