//! treiber's stack beside what a user would pick instead: a `Vec` behind
//! std's or parking_lot's mutex, or crossbeam's `SegQueue` (FIFO, but the
//! usual lock-free choice when order does not matter). The `lockfree`
//! crate's stack is left out: it is unsound (RustSec advisory) and
//! unmaintained.
//!
//! - `stack_push_pop_pairs`: each thread pushes a value and pops one.
//! - `stack_push_all_then_pop_all`: each thread pushes a batch of values,
//!   then pops as many; ours also runs with its batch API (one CAS to push
//!   the batch, one swap to take everything).
//!
//! An operation is one push and its pop. Every pop of a pair finds a value
//! (the popping thread pushed one more than it popped), and every run
//! leaves its stack empty; both are checked.

use std::hint::black_box;
use std::sync::Mutex;

use crossbeam_queue::SegQueue;
use treiber::TreiberStack;

use crate::scenario::{Implementation, Scenario, Size};

/// The two operations every contender offers.
trait Stack: Sync + 'static {
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
    /// `ops` pushes and as many pops, in rounds of `batch` for workloads
    /// that batch.
    fn run<S: Stack>(stack: &S, ops: u64, batch: u64);
}

/// Each thread pushes a value and pops one, `ops` times.
struct PushPopPairs;

impl Workload for PushPopPairs {
    const SCENARIO: &'static str = "stack_push_pop_pairs";
    fn run<S: Stack>(stack: &S, ops: u64, _: u64) {
        for value in 0..ops {
            stack.push(value);
            assert!(black_box(stack.pop()).is_some(), "a pair's pop found none");
        }
    }
}

/// Each thread pushes a batch of values, then pops as many.
struct PushAllThenPopAll;

impl Workload for PushAllThenPopAll {
    const SCENARIO: &'static str = "stack_push_all_then_pop_all";
    fn run<S: Stack>(stack: &S, ops: u64, batch: u64) {
        for _ in 0..ops / batch {
            for value in 0..batch {
                stack.push(value);
            }
            for _ in 0..batch {
                black_box(stack.pop());
            }
        }
    }
}

/// A stack left with values after every thread popped what it pushed lost
/// pops or invented pushes.
fn check_empty<S: Stack>(stack: &S, _: u64) {
    assert!(stack.pop().is_none(), "the stack is not empty after a run");
}

/// Every contender of workload `W`, `batch` operations per thread in a
/// batch.
fn contenders<W: Workload>(batch: u64) -> Vec<Implementation> {
    fn contender<W: Workload, S: Stack>(name: &str, batch: u64, make: fn() -> S) -> Implementation {
        Implementation::on_threads(
            name,
            batch,
            make,
            move |stack, _, ops| W::run(stack, ops, batch),
            check_empty,
        )
    }
    vec![
        contender::<W, _>("treiber::TreiberStack", batch, TreiberStack::new),
        contender::<W, _>("std::sync::Mutex<Vec>", batch, || Mutex::new(Vec::new())),
        contender::<W, _>("parking_lot::Mutex<Vec>", batch, || {
            parking_lot::Mutex::new(Vec::new())
        }),
        contender::<W, _>("crossbeam_queue::SegQueue (FIFO)", batch, SegQueue::new),
    ]
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    let batch = size.pick(1_000, 100);
    let mut push_all_then_pop_all = contenders::<PushAllThenPopAll>(batch);
    push_all_then_pop_all.push(Implementation::on_threads(
        "treiber::TreiberStack push_all/pop_all",
        batch,
        TreiberStack::<u64>::new,
        move |stack, _, ops| {
            for _ in 0..ops / batch {
                stack.push_all(0..batch);
                black_box(stack.pop_all().count());
            }
        },
        check_empty,
    ));
    vec![
        Scenario {
            name: PushPopPairs::SCENARIO,
            implementations: contenders::<PushPopPairs>(batch),
        },
        Scenario {
            name: PushAllThenPopAll::SCENARIO,
            implementations: push_all_then_pop_all,
        },
    ]
}
