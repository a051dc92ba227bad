//! The pool's errors: [`PoolShutDown`] for a task refused after shutdown,
//! [`PoolBuildError`] for a pool that could not be built (wrapping
//! atomics-kit's [`SizeError`] for a thread count out of range).

use std::fmt;
use std::io;

use atomics_kit::SizeError;

/// A task was spawned on a pool that was shut down; it did not run.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(1)?;
/// pool.shutdown();
/// let error = pool.spawn(|| {}).unwrap_err();
/// assert_eq!(error.to_string(), "the pool was shut down; the task was not queued");
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolShutDown;

impl fmt::Display for PoolShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool was shut down; the task was not queued")
    }
}

impl std::error::Error for PoolShutDown {}

/// A [`WorkStealingPool`](crate::WorkStealingPool) could not be built;
/// no worker thread is left running.
///
/// # Examples
///
/// ```
/// use cache_kit::{PoolBuildError, WorkStealingPool};
///
/// let error = WorkStealingPool::new(usize::MAX).unwrap_err();
/// assert!(matches!(error, PoolBuildError::InvalidSize(size) if size.argument() == "threads"));
///
/// let error = WorkStealingPool::builder(1).thread_name("a\0b").build().unwrap_err();
/// assert!(matches!(error, PoolBuildError::InvalidThreadName(_)));
/// assert_eq!(error.to_string(), "thread name prefix \"a\\0b\" holds a NUL byte");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolBuildError {
    /// More threads than [`WorkStealingPool::MAX_THREADS`](crate::WorkStealingPool::MAX_THREADS).
    InvalidSize(SizeError),
    /// The thread name prefix holds a NUL byte, which no thread name may
    /// (given back).
    InvalidThreadName(String),
    /// The operating system refused to start a worker thread (too many
    /// threads, a stack size it cannot map). The workers already started
    /// were stopped and joined without running a handler or a job.
    Spawn(io::Error),
}

impl From<SizeError> for PoolBuildError {
    fn from(error: SizeError) -> Self {
        Self::InvalidSize(error)
    }
}

impl fmt::Display for PoolBuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSize(error) => write!(f, "cannot build a work-stealing pool: {error}"),
            Self::InvalidThreadName(name) => {
                write!(f, "thread name prefix {name:?} holds a NUL byte")
            }
            Self::Spawn(error) => write!(f, "could not start a pool thread: {error}"),
        }
    }
}

/// No `source`: the message already holds the cause's text, which a
/// printer walking the chain (anyhow's `{:#}`) would show twice.
impl std::error::Error for PoolBuildError {}
