//! The seed article's counter demo, made correct: 10 threads increment 1000
//! times each while 5 threads try to decrement 500 times each. The demo
//! checks its own result and exits non-zero if a check fails.
//!
//! Run it with `cargo xtask demo` or `cargo run -p atomics-kit --example demo`.

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use atomics_kit::{AtomicCounter, ShardedCounter};

const INCREMENTERS: u64 = 10;
const INCREMENTS_EACH: u64 = 1_000;
const DECREMENTERS: u64 = 5;
const DECREMENTS_EACH: u64 = 500;

fn main() -> ExitCode {
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        println!("  [{}] {what}", if ok { "ok" } else { "FAILED" });
        if !ok {
            failures.push(what);
        }
    };

    println!("AtomicCounter: {INCREMENTERS} threads x {INCREMENTS_EACH} increments, {DECREMENTERS} threads x {DECREMENTS_EACH} decrements");
    let counter = AtomicCounter::new();
    let hits = ShardedCounter::new();
    let (highest_returned, successful_decrements) = thread::scope(|s| {
        let incrementers: Vec<_> = (0..INCREMENTERS)
            .map(|_| {
                s.spawn(|| {
                    let mut highest = 0;
                    for _ in 0..INCREMENTS_EACH {
                        highest = highest.max(counter.increment());
                        hits.increment();
                        // As in the article: a pause lets the decrementers interleave.
                        thread::sleep(Duration::from_micros(10));
                    }
                    highest
                })
            })
            .collect();
        let decrementers: Vec<_> = (0..DECREMENTERS)
            .map(|_| {
                s.spawn(|| {
                    let mut successes = 0;
                    for _ in 0..DECREMENTS_EACH {
                        if counter.decrement().is_some() {
                            successes += 1;
                            thread::sleep(Duration::from_micros(15));
                        }
                    }
                    successes
                })
            })
            .collect();
        let highest = incrementers.into_iter().map(|h| h.join().unwrap()).max();
        let decrements: u64 = decrementers.into_iter().map(|h| h.join().unwrap()).sum();
        (highest.unwrap_or(0), decrements)
    });

    let stats = counter.stats();
    let increments = INCREMENTERS * INCREMENTS_EACH;
    println!(
        "  value {}, max {}, operations {}, successful decrements {successful_decrements}",
        stats.value, stats.max, stats.operations
    );
    check(
        stats.value == increments - successful_decrements,
        format!(
            "value {} = increments {increments} - successful decrements {successful_decrements}",
            stats.value
        ),
    );
    check(
        stats.max >= stats.value,
        format!("max {} >= value {}", stats.max, stats.value),
    );
    check(
        stats.max == highest_returned,
        format!(
            "max {} = highest value an increment returned ({highest_returned})",
            stats.max
        ),
    );
    let calls = increments + DECREMENTERS * DECREMENTS_EACH;
    check(
        stats.operations == calls,
        format!("operations {} = calls made {calls}", stats.operations),
    );

    counter.shutdown();
    check(!counter.is_active(), "inactive after shutdown".to_owned());

    println!(
        "ShardedCounter: the same {INCREMENTERS} threads, {} shards",
        hits.shards()
    );
    check(
        hits.sum() == increments,
        format!("sum {} = increments {increments}", hits.sum()),
    );

    if failures.is_empty() {
        println!("atomics-kit demo: all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("atomics-kit demo: {} check(s) FAILED", failures.len());
        ExitCode::FAILURE
    }
}
