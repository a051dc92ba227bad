//! [`Mutex`]: `std`'s mutex without lock poisoning.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::PoisonError;

use super::primitive;

/// A mutual-exclusion lock whose [`lock`](Mutex::lock) never fails: a
/// panic in another thread while it held the lock does not poison it.
///
/// The data is handed out as the panicking thread left it, so every
/// critical section must keep the data consistent at each point where it
/// could panic (ours run no user code under a lock). Under `--cfg loom`
/// it is loom's mutex.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::Mutex;
///
/// let queue = Mutex::new(Vec::new());
/// std::thread::scope(|s| {
///     s.spawn(|| queue.lock().push(1));
///     s.spawn(|| queue.lock().push(2));
/// });
/// assert_eq!(queue.into_inner().len(), 2);
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized>(primitive::Mutex<T>);

/// Access to a [`Mutex`]'s data; the lock is released when it drops.
#[must_use = "the lock is released at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized>(pub(super) primitive::MutexGuard<'a, T>);

impl<T> Mutex<T> {
    crate::const_fn_outside_loom! {
        /// A lock around `value` (`const`, so it can sit in a `static`).
        pub fn new(value: T) -> Mutex<T> {
            Mutex(primitive::Mutex::new(value))
        }
    }

    /// The data, without locking: the mutex is consumed.
    pub fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Blocks until the lock is free, then takes it.
    ///
    /// # Panics
    ///
    /// As `std`'s: may panic if the calling thread already holds the lock
    /// (it may also deadlock).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard(self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the lock if it is free, without blocking.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(MutexGuard(guard)),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => {
                Some(MutexGuard(poisoned.into_inner()))
            }
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The data, without locking: the borrow proves no one else holds it.
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never blocks: a held lock shows as such.
        match self.try_lock() {
            Some(guard) => f.debug_tuple("Mutex").field(&&*guard).finish(),
            None => f.write_str("Mutex(<locked>)"),
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
