//! atomics-kit's counters beside what a user would write instead.
//!
//! - `atomic_counter_increment`: every thread increments one shared
//!   counter; ours against a bare `AtomicU64`, the seed article's counter
//!   and a counter behind std's or parking_lot's mutex.
//! - `sharded_counter_increment`: the same with our sharded counter,
//!   against a bare `AtomicU64` and the ideal (a cache-padded slot per
//!   thread).
//!
//! Every run checks that the counter counted every increment.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use atomics_kit::{AtomicCounter, ShardedCounter};
use crossbeam_utils::CachePadded;

use crate::scenario::{Implementation, Scenario, Size};

/// One implementation of an increment scenario: `increment(counter,
/// thread_index)` on one counter shared by every thread, and `read` for
/// the total afterwards.
fn counter<C: Sync + 'static>(
    name: &str,
    size: Size,
    make: fn() -> C,
    increment: fn(&C, usize),
    read: fn(&C) -> u64,
) -> Implementation {
    let label = name.to_owned();
    Implementation::on_threads(
        name,
        size.pick(1_000, 1_000),
        make,
        move |counter, thread, ops| {
            for _ in 0..ops {
                increment(black_box(counter), thread);
            }
        },
        move |counter, ops| assert_eq!(read(counter), ops, "{label} lost increments"),
    )
}

/// The baseline of both scenarios: one `AtomicU64` every thread adds to.
fn shared_fetch_add(size: Size) -> Implementation {
    counter(
        "AtomicU64::fetch_add",
        size,
        || AtomicU64::new(0),
        |counter, _| {
            black_box(counter.fetch_add(1, Ordering::Relaxed));
        },
        |counter| counter.load(Ordering::Relaxed),
    )
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

fn atomic_counter(size: Size) -> Scenario {
    Scenario {
        name: "atomic_counter_increment",
        implementations: vec![
            counter(
                "atomics_kit::AtomicCounter",
                size,
                AtomicCounter::new,
                |counter, _| {
                    black_box(counter.increment());
                },
                AtomicCounter::get,
            ),
            shared_fetch_add(size),
            counter(
                "seed article's AtomicCounter",
                size,
                SeedCounter::new,
                |counter, _| {
                    black_box(counter.increment());
                },
                |counter| counter.count.load(Ordering::Relaxed),
            ),
            counter(
                "parking_lot::Mutex<u64>",
                size,
                || parking_lot::Mutex::new(0_u64),
                |counter, _| *counter.lock() += 1,
                |counter| *counter.lock(),
            ),
            counter(
                "std::sync::Mutex<u64>",
                size,
                || Mutex::new(0_u64),
                |counter, _| *counter.lock().unwrap() += 1,
                |counter| *counter.lock().unwrap(),
            ),
        ],
    }
}

/// Slots for the ideal: more than any thread count we run (up to 16).
const IDEAL_SLOTS: usize = 64;

fn sharded_counter(size: Size) -> Scenario {
    Scenario {
        name: "sharded_counter_increment",
        implementations: vec![
            counter(
                "atomics_kit::ShardedCounter",
                size,
                ShardedCounter::new,
                |counter, _| counter.increment(),
                ShardedCounter::sum,
            ),
            shared_fetch_add(size),
            counter(
                "ideal: CachePadded slot per thread",
                size,
                || -> Box<[CachePadded<AtomicU64>]> {
                    (0..IDEAL_SLOTS)
                        .map(|_| CachePadded::new(AtomicU64::new(0)))
                        .collect()
                },
                |slots, thread| {
                    black_box(slots[thread].fetch_add(1, Ordering::Relaxed));
                },
                |slots| slots.iter().map(|slot| slot.load(Ordering::Relaxed)).sum(),
            ),
        ],
    }
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    vec![atomic_counter(size), sharded_counter(size)]
}
