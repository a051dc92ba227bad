//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics, locks and cells from here
//! and never mentions `cfg(loom)` itself. Locks, condition variables and
//! the backoff are atomics-kit's shared shim (poison-free, loom's under
//! `--cfg loom`).

pub(crate) use atomics_kit::sync::{Backoff, Condvar, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// Under loom, a `SeqCst` fence; elsewhere, nothing.
///
/// The park/wake protocols order "condition changed, then waiters counted"
/// against "waiter counted, then condition read" with `SeqCst` accesses
/// alone: all four are in the one total order of `SeqCst` operations, so
/// either the waiter's read sees the change or the notifier's read sees the
/// waiter, and no fence is needed (on x86 the change and the count are
/// locked instructions already, and a `SeqCst` load is a plain load). Loom
/// models `SeqCst` accesses as `AcqRel` only (tokio-rs/loom#180), so it
/// would report this store-buffering pattern as a lost wakeup; under loom
/// this fence, placed between the two accesses of each side, gives the
/// same order through the fences' total order, which loom does model.
#[cfg(loom)]
pub(crate) fn order_seqcst_accesses() {
    fence(Ordering::SeqCst);
}
#[cfg(not(loom))]
pub(crate) fn order_seqcst_accesses() {}

/// std's `UnsafeCell` behind loom's closure API, so that under loom every
/// access to a ring slot's value is checked for a happens-before edge from
/// the previous one.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
