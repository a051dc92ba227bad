//! The pool's errors: [`PoolShutDown`]; a zero thread count is refused
//! with atomics-kit's [`SizeError`](crate::SizeError).

use std::fmt;

/// A task was spawned on a pool that was shut down; it did not run.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(1)?;
/// pool.shutdown();
/// let error = pool.spawn(|| {}).unwrap_err();
/// assert_eq!(error.to_string(), "the pool was shut down; the task was not queued");
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShutDown;

impl fmt::Display for PoolShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool was shut down; the task was not queued")
    }
}

impl std::error::Error for PoolShutDown {}
