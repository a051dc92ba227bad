//! Parking threads until another thread changes the state they wait for,
//! without a lost wakeup, without a lock on the path that wakes nobody, and
//! without waking a thread twice.

use std::time::Instant;

use crate::sync::{order_seqcst_accesses, AtomicUsize, Condvar, Mutex, Ordering};

/// Threads waiting for one condition ("the queue is not empty", "the queue
/// is not full"), and the protocol that wakes them.
///
/// A waiter takes the lock, counts itself in `sleepers`, re-checks the
/// condition, and only then sleeps on the condvar (which releases the lock
/// atomically). A notifier first makes the condition true (pushes, pops,
/// closes), then reads `sleepers`. The count, the read of it, the change of
/// the condition and the re-check are all `SeqCst` accesses (the callers'
/// part of the contract: the change a `SeqCst` read-modify-write, `ready` a
/// `SeqCst` read), so they fall in one total order: either the waiter's
/// re-check sees the change or the notifier sees the waiter (see
/// `sync::order_seqcst_accesses` for loom). A notifier that sees one takes
/// the lock (so it cannot slip in between a waiter's re-check and its
/// sleep) and *claims* a sleeper: it moves one from `sleepers` to
/// `claimed` and notifies the condvar. A thread leaving its sleep takes a
/// claim if there is one, and otherwise uncounts itself.
///
/// Claiming is what keeps a busy producer cheap: once the one sleeping
/// consumer is claimed, `sleepers` reads 0 again, so the pushes made while
/// that consumer is still waking up cost a fence and a load each, not a lock
/// and a futex call each. With nobody waiting, notifying costs one load. `tests/loom.rs` checks the protocol.
///
/// Every claim is taken by a thread that then leaves its sleep and re-tries
/// its operation: the claimed thread itself, or one that woke on its own
/// (timeout, spurious wakeup) and took the claim first, in which case the
/// notified thread finds no claim and uncounts itself; both re-try.
#[derive(Debug, Default)]
pub(crate) struct WaitSet {
    /// Threads counted as waiting and not claimed by a notifier.
    sleepers: AtomicUsize,
    /// Under the lock: claims made by notifiers and not yet taken by a
    /// thread leaving its sleep.
    claimed: Mutex<usize>,
    condvar: Condvar,
}

impl WaitSet {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Sleeps until notified (or `deadline`, if any), unless `ready`
    /// (checked after the caller is counted as a waiter) says the condition
    /// already holds; `ready` must read the condition with `SeqCst` loads.
    /// May return spuriously: callers re-try their operation
    /// in a loop, and check the deadline themselves.
    pub(crate) fn wait_unless(&self, ready: impl FnOnce() -> bool, deadline: Option<Instant>) {
        let claimed = self.claimed.lock();
        // SeqCst: in the total order with the notifiers' reads of the count
        // and the changes and re-checks of the condition (see the type).
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        order_seqcst_accesses();
        if ready() {
            // Relaxed: no notifier claims while this thread holds the lock,
            // so the count it added is still there to take back.
            self.sleepers.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let mut claimed = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                self.condvar.wait_timeout(claimed, left).0
            }
            None => self.condvar.wait(claimed),
        };
        if *claimed > 0 {
            *claimed -= 1;
        } else {
            // Relaxed: under the lock, which every claim takes; and this
            // thread is still counted, since no claim was left for it.
            self.sleepers.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Wakes one waiter, if any; call after making the condition true with
    /// a `SeqCst` read-modify-write.
    pub(crate) fn notify_one(&self) {
        if self.has_sleepers() {
            let mut claimed = self.claimed.lock();
            // Relaxed: under the lock, which every change of a count takes
            // except the fetch_add of a waiter that also holds it.
            if self.sleepers.load(Ordering::Relaxed) > 0 {
                self.sleepers.fetch_sub(1, Ordering::Relaxed);
                *claimed += 1;
                self.condvar.notify_one();
            }
        }
    }

    /// Wakes every waiter; call after making the condition true with a
    /// `SeqCst` read-modify-write.
    pub(crate) fn notify_all(&self) {
        if self.has_sleepers() {
            let mut claimed = self.claimed.lock();
            // Relaxed: under the lock, as in `notify_one`.
            *claimed += self.sleepers.swap(0, Ordering::Relaxed);
            self.condvar.notify_all();
        }
    }

    fn has_sleepers(&self) -> bool {
        order_seqcst_accesses();
        // SeqCst: in the total order with the caller's change of the
        // condition and the waiters' counts (see the type).
        self.sleepers.load(Ordering::SeqCst) != 0
    }
}
