//! The logging hot path allocates nothing for a short record (its text is
//! kept inside it) and at most once for a long one (the text), through the
//! `log` facade and (feature `tracing`) through the layer; a long record
//! (or an `fmt` line through the `MakeWriter`) allocates nothing once the
//! writer has handed earlier records' buffers back. Counted by a global
//! allocator that tallies this thread's allocations.
#![cfg(not(miri))] // miri's allocator is not swappable in a useful way here

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cache_kit::LockFreeLogger;

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the count
// is a thread-local `Cell`, which allocates nothing.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn a_short_log_call_allocates_nothing_and_a_long_one_once() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    // Warm the per-thread buffers (thread name, formatting scratch).
    for n in 0..10 {
        log::Log::log(
            &logger,
            &record(format_args!("warm-up {n} {}", "x".repeat(200))),
        );
    }
    let before = allocations();
    for n in 0..1_000 {
        log::Log::log(
            &logger,
            &record(format_args!("request {n} served in {} µs", n * 3)),
        );
    }
    // A short text is kept inside the record.
    assert_eq!(allocations() - before, 0, "short records allocated");
    let long = "y".repeat(100);
    let before = allocations();
    for n in 0..1_000 {
        log::Log::log(&logger, &record(format_args!("request {n}: {long}")));
    }
    let per_record = (allocations() - before) as f64 / 1_000.0;
    assert!(per_record <= 1.0, "{per_record} allocations per record");
}

#[test]
fn a_long_record_allocates_once_even_when_no_buffer_is_spare() {
    // Grow this thread's formatting buffer once, on another logger.
    let warm = LockFreeLogger::builder(std::io::sink()).start();
    log::Log::log(&warm, &record(format_args!("{}", "w".repeat(10_000))));
    for length in [100, 300, 1_000, 5_000] {
        // A fresh logger: no spare buffer yet. A short record first makes
        // this thread known to it (its per-thread count) and takes no
        // buffer.
        let logger = LockFreeLogger::builder(std::io::sink()).start();
        log::Log::log(&logger, &record(format_args!("short")));
        let long = "z".repeat(length);
        let before = allocations();
        log::Log::log(&logger, &record(format_args!("{long}")));
        // The record's buffer, made to measure: it was a second
        // allocation (a reallocation) past 256 bytes.
        let allocated = allocations() - before;
        assert_eq!(allocated, 1, "{length} bytes");
    }
}

#[test]
fn long_log_calls_reuse_the_buffers_the_writer_hands_back() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let long = "y".repeat(100);
    let log = |n: u32| log::Log::log(&logger, &record(format_args!("request {n}: {long}")));
    // Warms this thread's formatting buffer up to the longest message.
    log(1_000);
    let mut allocated = 0;
    for n in 0..100 {
        // Every record before is written, so its buffer is back. (How
        // many buffers a burst finds spare depends on how soon the writer
        // wakes: a burst of records may outrun it.)
        logger.flush();
        let before = allocations();
        log(n);
        allocated += allocations() - before;
    }
    assert_eq!(allocated, 0, "long records allocated");
}

#[test]
fn a_short_log_call_with_key_value_pairs_allocates_nothing_either() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let pairs: [(&str, log::kv::Value<'_>); 2] =
        [("user", "ann".into()), ("attempt", 3_u32.into())];
    let log = |n: u32| {
        log::Log::log(
            &logger,
            &log::Record::builder()
                .args(format_args!("request {n} served"))
                .level(log::Level::Info)
                .target("app")
                .module_path_static(Some("app"))
                .key_values(&pairs)
                .build(),
        );
    };
    for n in 0..10 {
        log(n);
    }
    let before = allocations();
    for n in 0..1_000 {
        log(n);
    }
    assert_eq!(allocations() - before, 0, "short records allocated");
}

#[cfg(feature = "tracing")]
#[test]
fn a_layer_event_in_spans_allocates_at_most_once_for_its_text() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    use tracing_subscriber::layer::SubscriberExt as _;

    let subscriber = tracing_subscriber::Registry::default().with(logger.layer());
    tracing::subscriber::with_default(subscriber, || {
        let _request = tracing::info_span!("request", id = 7).entered();
        let _db = tracing::info_span!("db", table = "users").entered();
        // Warm the per-thread buffers (thread name, formatting scratch).
        for n in 0..10 {
            tracing::info!(user = "ann", "warm-up {n} {}", "x".repeat(200));
        }
        let before = allocations();
        for n in 0..1_000 {
            tracing::info!(user = "ann", "request {n} served in {} µs", n * 3);
        }
        let per_event = (allocations() - before) as f64 / 1_000.0;
        assert!(per_event <= 1.0, "{per_event} allocations per event");
    });
}

#[cfg(feature = "tracing")]
#[test]
fn an_fmt_line_through_the_make_writer_allocates_no_more_than_fmt_alone_once_buffers_are_back() {
    // What `fmt` allocates itself for an event, writing to a sink.
    let fmt_alone = {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(user = "ann", "warm-up");
            let before = allocations();
            for n in 0..100 {
                tracing::info!(user = "ann", "request {n} served in {} µs", n * 3);
            }
            allocations() - before
        })
    };
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logger.make_writer())
        .finish();
    let through_ours = tracing::subscriber::with_default(subscriber, || {
        tracing::info!(user = "ann", "request 1000 served in 3000 µs");
        let mut allocated = 0;
        for n in 0..100 {
            // Every line before is written, so its buffer is back.
            logger.flush();
            let before = allocations();
            tracing::info!(user = "ann", "request {n} served in {} µs", n * 3);
            allocated += allocations() - before;
        }
        allocated
    });
    assert_eq!(logger.stats().logged, 101);
    assert!(
        through_ours <= fmt_alone,
        "{through_ours} allocations for 100 lines, fmt alone {fmt_alone}"
    );
}

/// Long texts of about one length take each other's buffers without
/// growing them: 500-byte `fmt` lines and 503-byte records (a target and
/// 500 bytes) made buffers of exactly those sizes, and every record that
/// took a line's buffer grew it (a break run: 25 of 50 calls allocated).
#[cfg(feature = "tracing")]
#[test]
fn texts_of_about_one_length_reuse_each_others_buffers_without_growing_them() {
    use std::io::Write as _;
    use tracing_subscriber::fmt::MakeWriter as _;

    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let make_writer = logger.make_writer();
    let line = vec![b'l'; 500];
    let text = "t".repeat(500);
    for _ in 0..100 {
        make_writer.make_writer().write_all(&line).unwrap();
        logger.log_str(log::Level::Info, "app", &text);
    }
    // Every buffer is back, lines' and records' in the order the writer
    // wrote them. How many there are depends on how far the writer kept
    // up; so each record waits for its buffer to come back before the
    // next, and the records take the spares in turn, lines' buffers among
    // them, from the front of the queue (without the flush, a writer that
    // kept up made few spares, and the records outran it and allocated:
    // 2 of 30 runs).
    logger.flush();
    let before = allocations();
    for _ in 0..50 {
        logger.log_str(log::Level::Info, "app", &text);
        logger.flush();
    }
    assert_eq!(allocations() - before, 0, "records grew the lines' buffers");
}

fn record(args: std::fmt::Arguments<'_>) -> log::Record<'_> {
    log::Record::builder()
        .args(args)
        .level(log::Level::Info)
        .target("app")
        .module_path_static(Some("app"))
        .build()
}
