//! The one module that chooses between `std` and `loom`.
//!
//! The lifecycle flags (`src/lifecycle.rs`) import their atomics from here
//! and never mention `cfg(loom)` themselves. The rest of the crate runs on
//! OS threads, which loom cannot drive: a bounded mailbox is
//! channels-patterns' `BoundedQueue` (its close and wake-ups are modelled
//! there); an unbounded one's list (`src/mailbox_list.rs`) takes its
//! atomics and cells from here and is modelled in `tests/loom.rs`.

pub(crate) use atomics_kit::sync::{take_eagerly, Backoff, Condvar, Mutex, UnsafeCell};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

/// Under loom, a `SeqCst` fence; elsewhere, nothing.
///
/// The unbounded mailbox's sleep (`MailboxList::wait`) orders "tail
/// changed, then `sleeping` read" against "`sleeping` set, then tail read"
/// with `SeqCst` accesses alone, which fall in one total order (on x86 the
/// change is a locked instruction and the read a plain load). Loom models
/// `SeqCst` accesses as `AcqRel` only (tokio-rs/loom#180) and would report
/// this store-buffering pattern as a lost wake-up; under loom this fence,
/// between the two accesses of each side, gives the same order through the
/// fences' total order, which loom does model.
#[cfg(loom)]
pub(crate) fn order_seqcst_accesses() {
    loom::sync::atomic::fence(Ordering::SeqCst);
}
#[cfg(not(loom))]
pub(crate) fn order_seqcst_accesses() {}

/// Whether an [`UnsafeCell`] must be built before it is used. Loom's keeps
/// state for its checks; std's holds only its value, so one holding a
/// `MaybeUninit` is valid left unwritten (and building it would pass the
/// value, however large, through the stack in a debug build).
pub(crate) const CELLS_NEED_BUILDING: bool = cfg!(loom);
