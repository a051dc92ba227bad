//! The benches of the fearless crates beside the peers users would pick
//! instead, measured in paired rounds.
//!
//! - [`scenario`]: what a scenario is (a name, the implementations that
//!   compete in it, how much work one batch is).
//! - [`scenarios`]: every scenario, one file per area (`atomics`, `treiber`,
//!   `channels`, `actors`, `cache`, `work_stealing`).
//! - [`rounds`]: how they are measured: every implementation once per
//!   round, in rotating order, at one thread count.
//! - [`caches`]: the compared caches behind one trait, and Zipf keys.
//! - [`actors`]: the compared counter actors behind one trait.
//! - [`filter`]: which scenarios a run keeps.
//!
//! `examples/paired.rs` runs the rounds and prints one line per turn for
//! `cargo xtask bench`; `benches/scenarios.rs` runs the same scenarios
//! under criterion, one implementation after another, for profiling.
//!
//! # Naming, which `cargo xtask bench` relies on
//!
//! An implementation of ours is spelled with its crate path
//! (`atomics_kit::ShardedCounter`); anything else is a peer.

pub mod actors;
pub mod caches;
pub mod filter;
mod plain_channels;
pub mod rounds;
pub mod scenario;
pub mod scenarios;

use std::sync::Barrier;
use std::time::{Duration, Instant};

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

/// A trivial job for pools and fan-outs: a little arithmetic the optimizer
/// cannot drop, so that what is measured is the machinery around it.
#[must_use]
pub fn trivial(x: u64) -> u64 {
    std::hint::black_box(x)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
}
