//! What every bench file shares: which thread counts to run, and a timer for
//! work spread over threads.
//!
//! # Naming, which `cargo xtask bench` relies on
//!
//! - A criterion *group* is one scenario (`atomic_counter_increment`).
//! - A *function id* is one implementation. Ours are spelled with their
//!   crate path (`atomics_kit::ShardedCounter`); anything else is a peer.
//! - The *parameter* is the thread count.
//! - Throughput is declared in elements (operations), so the report can
//!   turn the median time into operations per second.

pub mod caches;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

/// Thread counts to measure: `FEARLESS_BENCH_THREADS` (comma-separated, set
/// by `cargo xtask bench --threads`), or 1, 2 and 4.
///
/// # Panics
///
/// Panics if the variable holds something other than positive integers.
#[must_use]
pub fn thread_counts() -> Vec<usize> {
    match std::env::var("FEARLESS_BENCH_THREADS") {
        Ok(list) => list
            .split(',')
            .map(|n| match n.trim().parse() {
                Ok(threads) if threads > 0 => threads,
                _ => panic!("FEARLESS_BENCH_THREADS: {n:?} is not a positive thread count"),
            })
            .collect(),
        Err(_) => vec![1, 2, 4],
    }
}

/// Runs `work(thread_index)` on `threads` threads released together, and
/// returns the time from the first thread's start to the last one's end,
/// as the threads themselves saw it.
///
/// Thread start-up happens before the clock starts. The clock is read on
/// the working threads, not on the spawning one: on a machine with fewer
/// cores than threads, the spawning thread can be descheduled right after
/// releasing the others and read its clock when they are nearly done (one
/// MPMC round measured 20x too fast that way).
pub fn time_on_threads<F>(threads: usize, work: F) -> Duration
where
    F: Fn(usize) + Sync,
{
    let start_line = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|index| {
                let (start_line, work) = (&start_line, &work);
                s.spawn(move || {
                    start_line.wait();
                    let started = Instant::now();
                    work(index);
                    (started, Instant::now())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a bench thread panicked"))
            .collect()
    });
    let first_start = spans
        .iter()
        .map(|(start, _)| *start)
        .min()
        .expect("at least one thread");
    let last_end = spans
        .iter()
        .map(|(_, end)| *end)
        .max()
        .expect("at least one thread");
    last_end - first_start
}

/// Benches one implementation of one scenario at every thread count: each
/// criterion iteration is `ops_per_thread` operations on every thread,
/// performed by `run(state, thread_index, operations)` on a `state` made
/// afresh for each sample.
pub fn bench_on_threads<S, M, R>(
    c: &mut Criterion,
    scenario: &str,
    implementation: &str,
    ops_per_thread: u64,
    make: M,
    run: R,
) where
    S: Sync,
    M: Fn() -> S,
    R: Fn(&S, usize, u64) + Sync,
{
    let mut group = c.benchmark_group(scenario);
    for threads in thread_counts() {
        group.throughput(Throughput::Elements(threads as u64 * ops_per_thread));
        let id = BenchmarkId::new(implementation, threads);
        group.bench_with_input(id, &threads, |b, &threads| {
            b.iter_custom(|iters| {
                let state = make();
                time_on_threads(threads, |thread| {
                    run(&state, thread, iters * ops_per_thread)
                })
            });
        });
    }
    group.finish();
}

/// A trivial job for pools and fan-outs: a little arithmetic the optimizer
/// cannot drop, so that what is measured is the machinery around it.
#[must_use]
pub fn trivial(x: u64) -> u64 {
    std::hint::black_box(x)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}
