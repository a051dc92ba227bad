//! The pool's errors: [`ZeroThreadsError`] and [`PoolShutDown`].

use std::fmt;

/// A pool was asked for zero threads.
///
/// # Examples
///
/// ```
/// let error = cache_kit::WorkStealingPool::new(0).unwrap_err();
/// assert_eq!(error.to_string(), "a pool needs at least one thread");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroThreadsError;

impl fmt::Display for ZeroThreadsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pool needs at least one thread")
    }
}

impl std::error::Error for ZeroThreadsError {}

/// A task was spawned on a pool that was shut down; it did not run.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(1)?;
/// pool.shutdown();
/// let error = pool.spawn(|| {}).unwrap_err();
/// assert_eq!(error.to_string(), "the pool was shut down; the task was not queued");
/// # Ok::<(), cache_kit::ZeroThreadsError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShutDown;

impl fmt::Display for PoolShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool was shut down; the task was not queued")
    }
}

impl std::error::Error for PoolShutDown {}
