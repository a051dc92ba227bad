//! treiber's stack beside what a user would pick instead: a `Vec` behind
//! std's or parking_lot's mutex, or crossbeam's `SegQueue` (FIFO, but the
//! usual lock-free choice when order does not matter). The `lockfree`
//! crate's stack is left out: it is unsound (RustSec advisory) and
//! unmaintained.

use std::hint::black_box;
use std::sync::Mutex;

use criterion::{criterion_group, criterion_main, Criterion};
use crossbeam_queue::SegQueue;
use fearless_benches::bench_on_threads;
use treiber::TreiberStack;

/// Values each thread pushes (and pops) in one criterion iteration.
const OPS_PER_THREAD: u64 = 1_000;

/// The two operations every contender offers.
trait Stack: Sync {
    fn push(&self, value: u64);
    fn pop(&self) -> Option<u64>;
}

impl Stack for TreiberStack<u64> {
    fn push(&self, value: u64) {
        TreiberStack::push(self, value);
    }
    fn pop(&self) -> Option<u64> {
        TreiberStack::pop(self)
    }
}

impl Stack for Mutex<Vec<u64>> {
    fn push(&self, value: u64) {
        self.lock().unwrap().push(value);
    }
    fn pop(&self) -> Option<u64> {
        self.lock().unwrap().pop()
    }
}

impl Stack for parking_lot::Mutex<Vec<u64>> {
    fn push(&self, value: u64) {
        self.lock().push(value);
    }
    fn pop(&self) -> Option<u64> {
        self.lock().pop()
    }
}

impl Stack for SegQueue<u64> {
    fn push(&self, value: u64) {
        SegQueue::push(self, value);
    }
    fn pop(&self) -> Option<u64> {
        SegQueue::pop(self)
    }
}

/// What each thread does in a scenario, for any contender (a trait, not a
/// closure, so each contender's calls are monomorphised, not dynamic).
trait Workload {
    const SCENARIO: &'static str;
    fn run<S: Stack>(stack: &S, ops: u64);
}

/// Each thread pushes a value and pops one, `ops` times.
struct PushPopPairs;

impl Workload for PushPopPairs {
    const SCENARIO: &'static str = "stack_push_pop_pairs";
    fn run<S: Stack>(stack: &S, ops: u64) {
        for value in 0..ops {
            stack.push(value);
            black_box(stack.pop());
        }
    }
}

/// Each thread pushes a batch of values, then pops as many.
struct PushAllThenPopAll;

impl Workload for PushAllThenPopAll {
    const SCENARIO: &'static str = "stack_push_all_then_pop_all";
    fn run<S: Stack>(stack: &S, ops: u64) {
        for _ in 0..ops / OPS_PER_THREAD {
            for value in 0..OPS_PER_THREAD {
                stack.push(value);
            }
            for _ in 0..OPS_PER_THREAD {
                black_box(stack.pop());
            }
        }
    }
}

fn contenders<W: Workload>(c: &mut Criterion) {
    fn bench<W: Workload, S: Stack>(c: &mut Criterion, name: &str, make: fn() -> S) {
        bench_on_threads(
            c,
            W::SCENARIO,
            name,
            OPS_PER_THREAD,
            make,
            |stack, _, ops| {
                W::run(stack, ops);
            },
        );
    }
    bench::<W, _>(c, "treiber::TreiberStack", TreiberStack::new);
    bench::<W, _>(c, "std::sync::Mutex<Vec>", || Mutex::new(Vec::new()));
    bench::<W, _>(c, "parking_lot::Mutex<Vec>", || {
        parking_lot::Mutex::new(Vec::new())
    });
    bench::<W, _>(c, "crossbeam_queue::SegQueue (FIFO)", SegQueue::new);
}

fn push_pop_pairs(c: &mut Criterion) {
    contenders::<PushPopPairs>(c);
}

fn push_all_then_pop_all(c: &mut Criterion) {
    contenders::<PushAllThenPopAll>(c);
    // Ours again, with the batch API: one CAS to push the batch, one swap to
    // take everything.
    bench_on_threads(
        c,
        PushAllThenPopAll::SCENARIO,
        "treiber::TreiberStack push_all/pop_all",
        OPS_PER_THREAD,
        TreiberStack::<u64>::new,
        |stack, _, ops| {
            for _ in 0..ops / OPS_PER_THREAD {
                stack.push_all(0..OPS_PER_THREAD);
                black_box(stack.pop_all().count());
            }
        },
    );
}

criterion_group!(benches, push_pop_pairs, push_all_then_pop_all);
criterion_main!(benches);
