//! What a scenario is: a name and the implementations that compete in it,
//! each able to run a given number of batches of the scenario's work at a
//! given thread count and say how long that took.

use std::fmt;
use std::time::{Duration, Instant};

use crate::time_on_threads;

/// One workload, and every implementation measured on it.
///
/// Ours are spelled with their crate path (`atomics_kit::ShardedCounter`);
/// any other name is a peer. `cargo xtask bench` relies on this.
#[derive(Debug)]
pub struct Scenario {
    /// The scenario's name in the report: `atomic_counter_increment`.
    pub name: &'static str,
    /// Ours and the peers, in the order the first round runs them.
    pub implementations: Vec<Implementation>,
}

/// How many operations one batch of a scenario is, which turns a measured
/// time into a throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// This many operations on each thread (a thread count of 2 does twice
    /// the work).
    PerThread(u64),
    /// This many operations in all, however many threads share them.
    Total(u64),
}

impl Batch {
    /// The operations in `batches` batches at `threads` threads.
    #[must_use]
    pub fn operations(self, threads: usize, batches: u64) -> u64 {
        match self {
            Batch::PerThread(ops) => ops * threads as u64 * batches,
            Batch::Total(ops) => ops * batches,
        }
    }
}

/// `run(threads, batches)`: performs `batches` batches at `threads` threads
/// and returns the time they took, and only that time (whatever it sets up
/// or checks happens outside the clock).
type Run = Box<dyn FnMut(usize, u64) -> Duration>;

/// One contender in a scenario: ours or a peer.
pub struct Implementation {
    /// The name in the report.
    pub name: String,
    /// The operations in one batch.
    pub batch: Batch,
    run: Run,
}

impl Implementation {
    /// An implementation that runs `batches` batches at `threads` threads
    /// with `run(threads, batches)`, which returns the time they took.
    pub fn new(
        name: impl Into<String>,
        batch: Batch,
        run: impl FnMut(usize, u64) -> Duration + 'static,
    ) -> Self {
        Implementation {
            name: name.into(),
            batch,
            run: Box::new(run),
        }
    }

    /// The common shape: for each run a fresh state from `make`, then
    /// `work(state, thread_index, operations)` on every thread, released
    /// together (see [`time_on_threads`]), with `ops_per_thread` operations
    /// per batch; then `check(state, operations)` after the clock stops,
    /// with the operations of all threads (a counter counted them all, a
    /// stack is empty again).
    pub fn on_threads<S, M, W, C>(
        name: impl Into<String>,
        ops_per_thread: u64,
        make: M,
        work: W,
        check: C,
    ) -> Self
    where
        S: Sync,
        M: Fn() -> S + 'static,
        W: Fn(&S, usize, u64) + Sync + 'static,
        C: Fn(&S, u64) + 'static,
    {
        let batch = Batch::PerThread(ops_per_thread);
        Self::new(name, batch, move |threads, batches| {
            let state = make();
            let per_thread = batches * ops_per_thread;
            let elapsed = time_on_threads(threads, |thread| work(&state, thread, per_thread));
            check(&state, batch.operations(threads, batches));
            elapsed
        })
    }

    /// Runs `batches` batches at `threads` threads; returns the time they
    /// took.
    pub fn run(&mut self, threads: usize, batches: u64) -> Duration {
        (self.run)(threads, batches)
    }
}

impl fmt::Debug for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Implementation")
            .field("name", &self.name)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

/// How big a scenario's batches and inputs are: as measured, or tiny, to
/// prove in a second that every implementation works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// The sizes the report is measured with.
    Full,
    /// Tiny sizes, for `--smoke`.
    Smoke,
}

impl Size {
    /// `full`, or `smoke` for a smoke run.
    #[must_use]
    pub fn pick<T>(self, full: T, smoke: T) -> T {
        match self {
            Size::Full => full,
            Size::Smoke => smoke,
        }
    }
}

/// Times `batches` calls of `once` (for work done from the calling thread,
/// such as submitting jobs to a pool and waiting for them).
pub fn time_batches(batches: u64, mut once: impl FnMut()) -> Duration {
    let started = Instant::now();
    for _ in 0..batches {
        once();
    }
    started.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_count_operations_per_thread_or_in_all() {
        assert_eq!(Batch::PerThread(10).operations(4, 3), 120);
        assert_eq!(Batch::Total(10).operations(4, 3), 30);
    }

    #[test]
    fn a_checked_run_sees_every_thread_s_operations() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let mut counter = Implementation::on_threads(
            "counter",
            5,
            || AtomicU64::new(0),
            |count, _, ops| {
                count.fetch_add(ops, Ordering::Relaxed);
            },
            |count, ops| assert_eq!(count.load(Ordering::Relaxed), ops),
        );
        counter.run(3, 2);
    }
}
