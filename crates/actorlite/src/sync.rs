//! The one module that chooses between `std` and `loom`.
//!
//! The lifecycle flags (`src/lifecycle.rs`) import their atomics from here
//! and never mention `cfg(loom)` themselves. The rest of the crate runs on
//! OS threads, which loom cannot drive: a bounded mailbox is
//! channels-patterns' `BoundedQueue` (its close and wake-ups are modelled
//! there), an unbounded one a crossbeam-channel behind
//! `atomics_kit::AdmissionGate` (modelled in atomics-kit).

pub(crate) use atomics_kit::sync::{take_eagerly, Backoff, Condvar, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
