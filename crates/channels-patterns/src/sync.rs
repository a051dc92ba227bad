//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics, locks and cells from here
//! and never mentions `cfg(loom)` itself. Locks, condition variables and
//! the backoff are atomics-kit's shared shim (poison-free, loom's under
//! `--cfg loom`).

pub(crate) use atomics_kit::sync::{
    order_seqcst_accesses, take_eagerly, Backoff, Condvar, Mutex, UnsafeCell, CELLS_NEED_BUILDING,
};

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
