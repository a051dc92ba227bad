//! Closures and results too large for a worker's stack, handed to the pool
//! from outside it: each call panics on the caller, having dropped what it
//! was given once, and the pool goes on working. Before the check, the
//! worker's stack overflowed and the process aborted.
#![cfg(not(miri))] // Megabyte values, and stack sizes miri does not enforce.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use cache_kit::{PoolBuilder, WorkStealingPool};

/// The workers' stack in these tests, and a value twice as large.
const STACK: usize = 256 << 10;
const LARGE: usize = 2 * STACK;

/// Runs `test` on a thread whose stack holds a few `LARGE` values.
fn on_a_large_stack(test: impl FnOnce() + Send) {
    thread::scope(|s| {
        thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(s, test)
            .unwrap()
            .join()
            .unwrap();
    });
}

/// A capture that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// The message of the panic `call` raised.
fn refusal(call: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(call)).expect_err("the call was refused");
    payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default()
}

fn small_stack_pool() -> WorkStealingPool {
    PoolBuilder::new(2).stack_size(STACK).build().unwrap()
}

#[test]
fn a_task_larger_than_a_workers_stack_is_refused_on_the_caller_and_dropped_once() {
    on_a_large_stack(|| {
        let pool = small_stack_pool();
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = Counted(Arc::clone(&drops));
        let large = [7_u8; LARGE];
        let message = refusal(|| {
            let _ = pool.spawn(move || {
                let _ = (&counted, std::hint::black_box(&large));
            });
        });
        assert!(message.contains("stack_size"), "{message}");
        assert!(message.contains(&STACK.to_string()), "{message}");
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        // The same from a scope, whose `op` runs here.
        let counted = Counted(Arc::clone(&drops));
        let message = refusal(|| {
            pool.scope(|s| {
                s.spawn(move |_| {
                    let _ = (&counted, std::hint::black_box(&large));
                });
            });
        });
        assert!(message.contains("scope's task"), "{message}");
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        // The pool still works, and a task within the bound runs.
        let small = [1_u8; STACK / 64];
        assert_eq!(
            pool.install(move || small.iter().map(|&b| usize::from(b)).sum::<usize>()),
            STACK / 64
        );
    });
}

#[test]
fn results_larger_than_a_workers_stack_are_refused_before_anything_runs() {
    on_a_large_stack(|| {
        let pool = small_stack_pool();
        let ran = AtomicUsize::new(0);
        let message = refusal(|| {
            let _ = pool.install(|| {
                ran.fetch_add(1, Ordering::Relaxed);
                [0_u8; LARGE]
            });
        });
        assert!(message.contains("installed closure"), "{message}");
        let message = refusal(|| {
            let _ = pool.join(|| ran.fetch_add(1, Ordering::Relaxed), || [0_u8; LARGE]);
        });
        assert!(message.contains("join's second closure"), "{message}");
        let message = refusal(|| {
            let _ = pool.broadcast(|_| {
                ran.fetch_add(1, Ordering::Relaxed);
                [0_u8; LARGE]
            });
        });
        assert!(message.contains("broadcast's result"), "{message}");
        assert_eq!(ran.load(Ordering::Relaxed), 0);
        assert_eq!(pool.join(|| 1, || 2), (1, 2));
    });
}

#[test]
fn a_task_of_a_32nd_of_a_workers_stack_is_refused_and_one_below_it_runs() {
    // A break run of actorlite: a value of a quarter of a thread's stack,
    // passed by value through its frames, overflowed it (a debug build's
    // from a 16th). The line is a 32nd, for every pool of the workspace.
    on_a_large_stack(|| {
        let pool = small_stack_pool();
        let at_the_line = [3_u8; STACK / 32];
        let message = refusal(|| {
            let _ = pool.install(move || std::hint::black_box(&at_the_line)[0]);
        });
        assert!(message.contains("1/32"), "{message}");
        let below = [3_u8; STACK / 32 - 64];
        assert_eq!(pool.install(move || std::hint::black_box(&below)[0]), 3);
    });
}
