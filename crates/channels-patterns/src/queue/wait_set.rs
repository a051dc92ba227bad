//! Parking threads until another thread changes the state they wait for,
//! without a lost wakeup and without a lock on the path that wakes nobody.

use std::time::Instant;

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, Ordering};

/// Threads waiting for one condition ("the queue is not empty", "the queue
/// is not full"), and the protocol that wakes them.
///
/// A waiter takes the lock, counts itself in `waiters`, issues a `SeqCst`
/// fence, re-checks the condition, and only then sleeps on the condvar (which
/// releases the lock atomically). A notifier first makes the condition true
/// (pushes, pops, closes), issues a `SeqCst` fence, and reads `waiters`: the
/// two fences order "waiter counted, then condition read" against
/// "condition made true, then count read", so either the waiter sees the
/// change or the notifier sees the waiter. A notifier that sees one takes
/// the lock before notifying, so it cannot notify between the waiter's
/// re-check and its sleep. With nobody waiting, notifying costs a fence and
/// a load. `tests/loom.rs` checks the protocol.
#[derive(Debug, Default)]
pub(crate) struct WaitSet {
    waiters: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl WaitSet {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sleeps until notified (or `deadline`, if any), unless `ready`
    /// (checked after the caller is counted as a waiter) says the condition
    /// already holds. May return spuriously: callers re-try their operation
    /// in a loop, and check the deadline themselves.
    pub(crate) fn wait_unless(&self, ready: impl FnOnce() -> bool, deadline: Option<Instant>) {
        let guard = self.lock.lock();
        // Relaxed, then the fence: the fence orders this count before the
        // re-check below, pairing with the fence in `notify_*`.
        self.waiters.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if ready() {
            drop(guard);
        } else if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            drop(self.condvar.wait_timeout(guard, left));
        } else {
            drop(self.condvar.wait(guard));
        }
        // Relaxed: only the count matters; the lock orders it with notifiers
        // that take the lock.
        self.waiters.fetch_sub(1, Ordering::Relaxed);
    }

    /// Wakes one waiter, if any; call after making the condition true.
    pub(crate) fn notify_one(&self) {
        if self.has_waiters() {
            let _guard = self.lock.lock();
            self.condvar.notify_one();
        }
    }

    /// Wakes every waiter; call after making the condition true.
    pub(crate) fn notify_all(&self) {
        if self.has_waiters() {
            let _guard = self.lock.lock();
            self.condvar.notify_all();
        }
    }

    fn has_waiters(&self) -> bool {
        // SeqCst fence: orders the caller's change of the condition before
        // this load, pairing with the fence in `wait_unless`.
        fence(Ordering::SeqCst);
        // Relaxed: the fences give the ordering.
        self.waiters.load(Ordering::Relaxed) != 0
    }
}
