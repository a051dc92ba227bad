//! [`Condvar`]: `std`'s condition variable, for the poison-free [`Mutex`](super::Mutex).

use std::sync::PoisonError;
use std::time::Duration;

use super::{primitive, MutexGuard};

/// A condition variable used with [`Mutex`](super::Mutex): waits never
/// fail on poisoning. As with `std`'s, a wait may wake spuriously, so wait
/// in a loop that re-checks the condition. Under `--cfg loom` it is loom's.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::{Condvar, Mutex};
/// use std::time::Duration;
///
/// let (done, changed) = (Mutex::new(false), Condvar::new());
/// let (guard, timed_out) = changed.wait_timeout(done.lock(), Duration::from_millis(1));
/// assert!(!*guard);
/// assert!(timed_out, "no one notified");
/// ```
#[derive(Debug, Default)]
pub struct Condvar(primitive::Condvar);

impl Condvar {
    /// A condition variable no thread waits on.
    #[must_use]
    pub fn new() -> Condvar {
        Condvar(primitive::Condvar::new())
    }

    /// Releases the lock, blocks until notified (or spuriously woken), and
    /// takes the lock again.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard(self.0.wait(guard.0).unwrap_or_else(PoisonError::into_inner))
    }

    /// As [`wait`](Self::wait), for at most `timeout` (any `Duration`,
    /// `Duration::MAX` included); also says whether the time ran out.
    pub fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        let (guard, result) = self
            .0
            .wait_timeout(guard.0, timeout)
            .unwrap_or_else(PoisonError::into_inner);
        (MutexGuard(guard), result.timed_out())
    }

    /// Wakes one waiting thread, if any.
    pub fn notify_one(&self) {
        self.0.notify_one();
    }

    /// Wakes every waiting thread.
    pub fn notify_all(&self) {
        self.0.notify_all();
    }
}
