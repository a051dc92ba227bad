//! atomics-kit's counters beside what a user would write instead.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use atomics_kit::{AtomicCounter, ShardedCounter};
use criterion::{criterion_group, criterion_main, Criterion};
use crossbeam_utils::CachePadded;
use fearless_benches::bench_on_threads;

/// Increments per thread in one criterion iteration.
const OPS_PER_THREAD: u64 = 1_000;

/// Benches `increment(counter, thread_index)` on one counter shared by every
/// thread.
fn bench_increment<C: Sync>(
    c: &mut Criterion,
    scenario: &str,
    implementation: &str,
    make: fn() -> C,
    increment: fn(&C, usize),
) {
    bench_on_threads(
        c,
        scenario,
        implementation,
        OPS_PER_THREAD,
        make,
        |counter, thread, ops| {
            for _ in 0..ops {
                increment(black_box(counter), thread);
            }
        },
    );
}

/// The baseline of both scenarios: one `AtomicU64` every thread adds to.
fn shared_fetch_add(c: &mut Criterion, scenario: &str) {
    bench_increment(
        c,
        scenario,
        "AtomicU64::fetch_add",
        || AtomicU64::new(0),
        |counter, _| {
            black_box(counter.fetch_add(1, Ordering::Relaxed));
        },
    );
}

/// The seed article's counter, as users copy it today: every increment also
/// bumps the operation count and raises the high-water mark with a CAS loop.
struct SeedCounter {
    count: AtomicU64,
    max_value: AtomicU64,
    operations: AtomicU64,
}

impl SeedCounter {
    fn new() -> Self {
        SeedCounter {
            count: AtomicU64::new(0),
            max_value: AtomicU64::new(0),
            operations: AtomicU64::new(0),
        }
    }

    fn increment(&self) -> u64 {
        self.operations.fetch_add(1, Ordering::Relaxed);
        let new = self.count.fetch_add(1, Ordering::AcqRel) + 1;
        let mut max = self.max_value.load(Ordering::Acquire);
        while new > max {
            match self.max_value.compare_exchange_weak(
                max,
                new,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(seen) => max = seen,
            }
        }
        new
    }
}

fn atomic_counter(c: &mut Criterion) {
    let scenario = "atomic_counter_increment";
    bench_increment(
        c,
        scenario,
        "atomics_kit::AtomicCounter",
        AtomicCounter::new,
        |counter, _| {
            black_box(counter.increment());
        },
    );
    shared_fetch_add(c, scenario);
    bench_increment(
        c,
        scenario,
        "seed article's AtomicCounter",
        SeedCounter::new,
        |counter, _| {
            black_box(counter.increment());
        },
    );
    bench_increment(
        c,
        scenario,
        "parking_lot::Mutex<u64>",
        || parking_lot::Mutex::new(0_u64),
        |counter, _| *counter.lock() += 1,
    );
    bench_increment(
        c,
        scenario,
        "std::sync::Mutex<u64>",
        || Mutex::new(0_u64),
        |counter, _| *counter.lock().unwrap() += 1,
    );
}

/// Slots for the ideal: more than any thread count we run (up to 16).
const IDEAL_SLOTS: usize = 64;

fn sharded_counter(c: &mut Criterion) {
    let scenario = "sharded_counter_increment";
    bench_increment(
        c,
        scenario,
        "atomics_kit::ShardedCounter",
        ShardedCounter::new,
        |counter, _| counter.increment(),
    );
    shared_fetch_add(c, scenario);
    bench_increment(
        c,
        scenario,
        "ideal: CachePadded slot per thread",
        || -> Box<[CachePadded<AtomicU64>]> {
            (0..IDEAL_SLOTS)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect()
        },
        |slots, thread| {
            black_box(slots[thread].fetch_add(1, Ordering::Relaxed));
        },
    );
}

criterion_group!(benches, atomic_counter, sharded_counter);
criterion_main!(benches);
