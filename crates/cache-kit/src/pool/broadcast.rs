//! `broadcast`: one call of a closure on every worker of a pool.
//!
//! The caller posts one job to each worker's inbox (`PoolShared::inboxes`),
//! which only that worker takes from (`WorkerThread::find_job`, before it
//! steals), then wakes every sleeper; the sleep protocol's check includes
//! the worker's own inbox, so the wake-up cannot be lost (modelled in
//! `tests/loom.rs`). The jobs are a scope's tasks (`Scope::spawn_on_worker`):
//! the caller waits as a scope's does (running its own pool's jobs, its
//! own share included, and sleeping on the scope's latch), and the first
//! panic is re-raised once every call finished.

use std::fmt;
use std::sync::Arc;

use atomics_kit::FirstPanic;

use crate::pool::reraise;
use crate::pool::scope::Scope;
use crate::pool::shared::PoolShared;
use crate::pool::worker_thread::WorkerThread;

/// What a [`broadcast`](crate::WorkStealingPool::broadcast) call is told:
/// which worker runs it, and how many there are.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// let seen = pool.broadcast(|ctx| (ctx.index(), ctx.num_threads()));
/// assert_eq!(seen, [(0, 2), (1, 2)]);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BroadcastContext {
    index: usize,
    num_threads: usize,
}

impl BroadcastContext {
    /// The index of the worker running this call (`0..num_threads()`),
    /// as [`current_thread_index`](crate::pool::current_thread_index)
    /// would say.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The number of the pool's workers: how many calls the broadcast
    /// makes.
    #[must_use]
    pub fn num_threads(&self) -> usize {
        self.num_threads
    }
}

impl fmt::Debug for BroadcastContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BroadcastContext")
            .field("index", &self.index)
            .field("num_threads", &self.num_threads)
            .finish()
    }
}

/// Counts a broadcast out when dropped: after `Scope::run` returned or
/// unwound, that is after every call finished.
struct InFlight<'a>(&'a PoolShared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.broadcast_finished();
    }
}

/// Runs `op` once on every worker of `pool` and returns the results in
/// index order. `worker` is the caller's pool worker (of this pool or
/// another), which waits by running its own pool's jobs; admission (the
/// gate, for outside callers) is the caller's business.
pub(crate) fn run<OP, R>(pool: &Arc<PoolShared>, worker: Option<&WorkerThread>, op: OP) -> Vec<R>
where
    OP: Fn(BroadcastContext) -> R + Sync,
    R: Send,
{
    if !pool.broadcast_started() {
        reraise::panic_after_dropping(
            op,
            format_args!(
                "cache-kit: broadcast called on a WorkStealingPool that was shut down \
                 (its workers are exiting)"
            ),
        );
    }
    let _in_flight = InFlight(pool);
    let num_threads = pool.inboxes.len();
    let mut slots: Vec<Option<R>> = (0..num_threads).map(|_| None).collect();
    let call = &op;
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Scope::run(pool, worker, |scope| {
            for (index, slot) in slots.iter_mut().enumerate() {
                scope.spawn_on_worker(index, move |worker| {
                    debug_assert_eq!(worker.index, index, "a broadcast job ran on its own worker");
                    *slot = Some(call(BroadcastContext {
                        index: worker.index,
                        num_threads,
                    }));
                });
            }
            pool.sleep.notify_all();
        })
    }));
    // `op` is user code whose captures' `Drop` may panic: dropped here,
    // before the result is built (a panic while a return value is built
    // leaks that value, rust-lang/rust#47949) and before a call's panic is
    // resumed (a second panic while unwinding aborts the process).
    let mut panics = FirstPanic::new();
    if let Err(payload) = ran {
        panics.keep(payload);
    }
    panics.drop_value(op);
    if panics.caught() {
        // The other calls' results are not dropped while the panic
        // unwinds, and each alone: dropped as one `Vec`, a second result
        // whose `Drop` panics did so while the first one's panic unwound,
        // and the process aborted (three workers or more).
        for slot in slots {
            panics.drop_value(slot);
        }
        panics.resume();
        unreachable!("a panic was pending");
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every worker ran its broadcast call"))
        .collect()
}
