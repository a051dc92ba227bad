//! The one module that chooses between `std` and `loom`.
//!
//! The single-flight table (`src/flight.rs`) and the pool's sleep protocol
//! (`src/sleep.rs`) take their locks and atomics from here and never
//! mention `cfg(loom)` themselves, so `tests/loom.rs` checks the same code
//! the crate runs. The cache's map is dashmap's and the pool's deques are
//! crossbeam's, whose atomics loom cannot see.

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, ThreadId};

#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, ThreadId};

/// Locks `mutex`, ignoring poison: every critical section in this crate
/// leaves its data consistent before anything in it can panic (user code
/// never runs under these locks).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Locks a `std` mutex, ignoring poison, for the parts loom does not model
/// (the logger, the pool): their critical sections run no user code and
/// leave their data consistent.
pub(crate) fn lock_std<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The wall clock the logger stamps records with. Miri's isolation has no
/// wall clock, so under miri every record is stamped with the epoch.
pub(crate) fn wall_clock() -> std::time::SystemTime {
    if cfg!(miri) {
        std::time::UNIX_EPOCH
    } else {
        std::time::SystemTime::now()
    }
}
