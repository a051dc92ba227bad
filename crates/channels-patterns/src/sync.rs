//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics, locks and cells from here
//! and never mentions `cfg(loom)` itself. Locks, condition variables and
//! the backoff are atomics-kit's shared shim (poison-free, loom's under
//! `--cfg loom`).

pub(crate) use atomics_kit::sync::{take_eagerly, Backoff, Condvar, Mutex, UnsafeCell};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// Threads: the fan-out helpers are spawned through this, so that under
/// loom they are the model's threads.
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::thread;

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

/// Whether an [`UnsafeCell`] must be built before it is used. Loom's keeps
/// state for its checks; std's holds only its value, so one holding a
/// `MaybeUninit` is valid left unwritten (and building it would pass the
/// value, however large, through the stack in a debug build).
pub(crate) const CELLS_NEED_BUILDING: bool = cfg!(loom);
