//! The one module that chooses between `std` and `loom`.
//!
//! Locks, condition variables and the backoff are atomics-kit's shared
//! shim (poison-free, loom's under `--cfg loom`); the atomics and the
//! cache's storage are switched here. The single-flight table
//! (`cache/flight.rs`), the cache's segments and the pool's sleep protocol
//! (`pool/sleep.rs`) take what they need from here and never mention
//! `cfg(loom)` themselves, so `tests/loom.rs` checks the same code the
//! crate runs. The pool's deques are crossbeam's, whose atomics loom cannot
//! see.

// Each part takes what it needs; with some features off, the others'
// names go unused.
#![allow(unused_imports)]

#[cfg(feature = "cache")]
pub(crate) mod map;

pub(crate) use atomics_kit::sync::{Backoff, Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc,
};

#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, ThreadId};

#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, ThreadId};

/// The wall clock the logger stamps records with. Miri's isolation has no
/// wall clock, so under miri every record is stamped with the epoch.
#[cfg(feature = "logger")]
pub(crate) fn wall_clock() -> std::time::SystemTime {
    if cfg!(miri) {
        std::time::UNIX_EPOCH
    } else {
        std::time::SystemTime::now()
    }
}
