//! The one module that chooses between `std` and `loom`.
//!
//! The lifecycle flags (`src/lifecycle.rs`) import their atomics from here
//! and never mention `cfg(loom)` themselves. The rest of the crate runs on
//! OS threads, which loom cannot drive: a bounded mailbox is
//! channels-patterns' `BoundedQueue` (its close and wake-ups are modelled
//! there); an unbounded one's list (`src/mailbox_list.rs`) takes its
//! atomics and cells from here and is modelled in `tests/loom.rs`.

pub(crate) use atomics_kit::sync::{
    order_seqcst_accesses, take_eagerly, Backoff, Condvar, Mutex, MutexGuard, UnsafeCell,
    CELLS_NEED_BUILDING,
};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
