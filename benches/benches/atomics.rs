//! atomics-kit's counters beside what a user would write instead.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use atomics_kit::{AtomicCounter, ShardedCounter};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use crossbeam_utils::CachePadded;
use fearless_benches::{thread_counts, time_on_threads};

/// Increments per thread in one criterion iteration.
const OPS_PER_THREAD: u64 = 1_000;

/// Benches `increment(counter, thread_index)` on one counter shared by every
/// thread, made afresh for each sample, at every thread count.
fn bench_increment<C: Sync>(
    c: &mut Criterion,
    scenario: &str,
    implementation: &str,
    make: fn() -> C,
    increment: fn(&C, usize),
) {
    let mut group = c.benchmark_group(scenario);
    for threads in thread_counts() {
        group.throughput(Throughput::Elements(threads as u64 * OPS_PER_THREAD));
        let id = BenchmarkId::new(implementation, threads);
        group.bench_with_input(id, &threads, |b, &threads| {
            b.iter_custom(|iters| {
                let counter = make();
                time_on_threads(threads, |thread| {
                    for _ in 0..iters * OPS_PER_THREAD {
                        increment(black_box(&counter), thread);
                    }
                })
            });
        });
    }
    group.finish();
}

fn shared_fetch_add(counter: &AtomicU64, _thread: usize) {
    black_box(counter.fetch_add(1, Ordering::Relaxed));
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
    bench_increment(
        c,
        scenario,
        "AtomicU64::fetch_add",
        || AtomicU64::new(0),
        shared_fetch_add,
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

/// Slots for the ideal: more than any thread count we run.
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
    bench_increment(
        c,
        scenario,
        "AtomicU64::fetch_add",
        || AtomicU64::new(0),
        shared_fetch_add,
    );
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
