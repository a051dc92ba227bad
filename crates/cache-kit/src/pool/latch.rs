//! [`Latch`]: what a pool thread waiting in `join` or `scope` sleeps on,
//! with no lost wake-up.
//!
//! A waiting worker first runs other jobs and searches a while; when there
//! is nothing to do it sleeps in its pool's sleep protocol
//! ([`Sleep::sleep_until_set`]), counted as a sleeper so that new work
//! wakes it too. Just before it parks, still holding the sleep lock, it
//! marks the latch `SLEEPING` (a compare-exchange from `UNSET`). The
//! thread that completes the awaited work swaps in `SET`; if the old state
//! was `SLEEPING`, it wakes the sleepers through the same lock
//! ([`Sleep::wake_latch_waiter`]). Both are read-modify-writes of one
//! atomic, so one of them sees the other: the waiter finds `SET` and does
//! not park, or the setter finds `SLEEPING` and wakes it; the lock keeps
//! the wake-up from slipping in between the waiter's mark and its wait
//! (rayon-core's `CoreLatch` works the same way). Modelled in
//! `tests/loom.rs`.

use crate::pool::sleep::Sleep;
use crate::sync::{AtomicU8, Ordering};

/// Nothing happened yet; the waiter is awake.
const UNSET: u8 = 0;
/// The waiter is parked (or about to be, holding the sleep lock).
const SLEEPING: u8 = 1;
/// The awaited work is complete, for good.
const SET: u8 = 2;

/// A one-shot completion flag a pool thread can sleep on.
pub struct Latch {
    state: AtomicU8,
}

impl Latch {
    /// Not set, nobody asleep.
    pub fn new() -> Self {
        Self {
            state: AtomicU8::new(UNSET),
        }
    }

    /// Whether the awaited work is complete; its effects are then visible.
    #[inline]
    pub fn is_set(&self) -> bool {
        // Acquire: pairs with the Release half of the swap in `set`.
        self.state.load(Ordering::Acquire) == SET
    }

    /// Marks the work complete. Returns whether the waiter was asleep:
    /// then the caller must wake it ([`Sleep::wake_latch_waiter`] of the
    /// waiter's pool), through a reference of its own, since the latch
    /// may be gone (a `join`'s stack frame) as soon as the swap is done.
    /// The swap is this function's last touch of `self`, as in
    /// `AtomicBool::store` (the latch is all `UnsafeCell`, so the
    /// reference carries no claim that outlives its last use).
    pub fn set(&self) -> bool {
        // AcqRel: Release publishes the completed work to the waiter's
        // Acquire in `is_set` / `try_sleep`; Acquire orders the waiter's
        // `SLEEPING` mark (made under the sleep lock) before the wake-up.
        self.state.swap(SET, Ordering::AcqRel) == SLEEPING
    }

    /// The waiter, holding the sleep lock, announces it is about to park:
    /// false if the latch is set already (then it must not park).
    pub(crate) fn try_sleep(&self) -> bool {
        // Acquire on failure: the waiter then returns and reads the work's
        // effects (pairs with `set`'s Release). Relaxed on success: the
        // mark publishes nothing; the setter's swap reads it.
        self.state
            .compare_exchange(UNSET, SLEEPING, Ordering::Relaxed, Ordering::Acquire)
            .is_ok()
    }

    /// The waiter woke up (notified or spuriously): back to `UNSET` unless
    /// the latch was set meanwhile.
    pub(crate) fn woke_up(&self) {
        // Relaxed: the waiter reads the latch with `is_set` (Acquire)
        // before it relies on the work; this only withdraws its mark, and
        // fails harmlessly when `set` got there first.
        let _ = self
            .state
            .compare_exchange(SLEEPING, UNSET, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Sets the latch and, if its waiter sleeps in `sleep`, wakes it. For a
    /// latch that outlives the call (a scope's, in an `Arc`); a `join`'s
    /// stack job calls [`set`](Self::set) and wakes through the thief's
    /// own pool handle.
    pub fn set_and_wake(&self, sleep: &Sleep) {
        if self.set() {
            sleep.wake_latch_waiter();
        }
    }
}

impl Default for Latch {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Latch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latch")
            .field("set", &self.is_set())
            .finish_non_exhaustive()
    }
}
