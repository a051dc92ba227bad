//! What can go wrong building a pool and submitting to it.

use std::error::Error;
use std::fmt;
use std::io;

use atomics_kit::SizeError;

use crate::fan_out::MAX_IN_FLIGHT;

/// A [`WorkerPool`](crate::WorkerPool) (or a fan-out, which runs one)
/// could not be built.
///
/// The message includes the cause's (the [`SizeError`]'s or the
/// [`io::Error`]'s), so [`source`](Error::source) is `None`, as for the
/// crate's other errors: a printer that walks the chain shows each cause
/// once.
///
/// # Examples
///
/// ```
/// use channels_patterns::{PoolError, WorkerPool};
///
/// let error = WorkerPool::new(0, |x: u32| x).unwrap_err();
/// assert!(matches!(error, PoolError::InvalidSize(zero) if zero.argument() == "workers"));
/// assert_eq!(error.to_string(), "cannot build a worker pool: `workers` must be at least 1, not 0");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum PoolError {
    /// Zero workers (no job would ever run), a bounded queue of capacity
    /// zero (no job could be queued), or for a bounded fan-out zero inputs
    /// in flight; the error names which.
    InvalidSize(SizeError),
    /// The thread name prefix holds a NUL byte, which no thread name may
    /// (given back).
    InvalidThreadName(String),
    /// The operating system refused to start a worker thread. The workers
    /// already started were stopped and joined.
    Spawn(io::Error),
    /// The job or result type, `job` bytes, is a 32nd or more of a
    /// worker's stack, `stack` bytes (std's default unless
    /// [`stack_size`](crate::WorkerPoolBuilder::stack_size) says
    /// otherwise), which it may overflow on its way through
    /// ([`atomics_kit::STACK_PER_VALUE`]).
    StackTooSmall {
        /// The larger of the job's and the result's size, in bytes.
        job: usize,
        /// A worker's stack, in bytes.
        stack: usize,
    },
}

impl From<SizeError> for PoolError {
    fn from(error: SizeError) -> Self {
        Self::InvalidSize(error)
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A fan-out's own argument is named as the fan-out's.
            Self::InvalidSize(error) if error.argument() == MAX_IN_FLIGHT => {
                write!(f, "cannot fan out: {error}")
            }
            Self::InvalidSize(error) => write!(f, "cannot build a worker pool: {error}"),
            Self::InvalidThreadName(name) => {
                write!(f, "thread name prefix {name:?} holds a NUL byte")
            }
            Self::Spawn(error) => write!(f, "could not start a worker thread: {error}"),
            Self::StackTooSmall { job, stack } => write!(
                f,
                "cannot build a worker pool: a job or result of {job} bytes is too large for \
                 a worker's stack of {stack} bytes, which carries values under 1/{} of it \
                 (give `stack_size` more, or box the job)",
                atomics_kit::STACK_PER_VALUE
            ),
        }
    }
}

/// No `source`: the message already includes the cause's (see above).
impl Error for PoolError {}

/// [`WorkerPool::submit`](crate::WorkerPool::submit) refused a job; the job
/// is given back.
///
/// # Examples
///
/// ```
/// use channels_patterns::{SubmitError, WorkerPool};
///
/// let (pool, _results) = WorkerPool::new(1, |x: u32| x)?;
/// pool.shutdown();
/// let refused = pool.submit(7).unwrap_err();
/// assert!(matches!(refused, SubmitError::ShutDown(7)));
/// assert_eq!(refused.into_job(), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum SubmitError<T> {
    /// The pool was shut down.
    ShutDown(T),
    /// Every [`Results`](crate::Results) handle was dropped, so the job's
    /// result could not be delivered.
    ResultsDropped(T),
}

impl<T> SubmitError<T> {
    /// The refused job.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::new(1, |s: String| s)?;
    /// pool.shutdown();
    /// assert_eq!(pool.submit("kept".to_owned()).unwrap_err().into_job(), "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_job(self) -> T {
        match self {
            Self::ShutDown(job) | Self::ResultsDropped(job) => job,
        }
    }
}

impl<T> fmt::Debug for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
            Self::ResultsDropped(_) => f.write_str("ResultsDropped(..)"),
        }
    }
}

impl<T> fmt::Display for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShutDown(_) => f.write_str("the worker pool is shut down; the job was not run"),
            Self::ResultsDropped(_) => {
                f.write_str("every results receiver was dropped; the job was not run")
            }
        }
    }
}

impl<T> Error for SubmitError<T> {}

/// [`WorkerPool::try_submit`](crate::WorkerPool::try_submit) refused a job;
/// the job is given back.
///
/// # Examples
///
/// ```
/// use channels_patterns::{TrySubmitError, WorkerPool};
///
/// let (pool, _results) = WorkerPool::builder().workers(1).queue_capacity(1).build(|x: u32| x)?;
/// pool.shutdown();
/// assert!(matches!(pool.try_submit(1), Err(TrySubmitError::ShutDown(1))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum TrySubmitError<T> {
    /// The bounded job queue is full.
    Full(T),
    /// The pool was shut down.
    ShutDown(T),
    /// Every [`Results`](crate::Results) handle was dropped.
    ResultsDropped(T),
}

impl<T> TrySubmitError<T> {
    /// The refused job.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::new(1, |s: String| s)?;
    /// pool.shutdown();
    /// assert_eq!(pool.try_submit("kept".to_owned()).unwrap_err().into_job(), "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_job(self) -> T {
        match self {
            Self::Full(job) | Self::ShutDown(job) | Self::ResultsDropped(job) => job,
        }
    }
}

impl<T> From<SubmitError<T>> for TrySubmitError<T> {
    fn from(error: SubmitError<T>) -> Self {
        match error {
            SubmitError::ShutDown(job) => Self::ShutDown(job),
            SubmitError::ResultsDropped(job) => Self::ResultsDropped(job),
        }
    }
}

impl<T> fmt::Debug for TrySubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
            Self::ResultsDropped(_) => f.write_str("ResultsDropped(..)"),
        }
    }
}

impl<T> fmt::Display for TrySubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("the job queue is full; the job was not queued"),
            Self::ShutDown(job) => fmt::Display::fmt(&SubmitError::ShutDown(job), f),
            Self::ResultsDropped(job) => fmt::Display::fmt(&SubmitError::ResultsDropped(job), f),
        }
    }
}

impl<T> Error for TrySubmitError<T> {}

/// [`Executor::execute`](crate::Executor::execute) refused a job because
/// the pool is shut down; the job is given back.
///
/// # Examples
///
/// ```
/// use channels_patterns::{ExecuteError, WorkerPool};
///
/// let pool = WorkerPool::builder().workers(1).build_detached(|x: u32| drop(x))?;
/// pool.shutdown();
/// let refused: ExecuteError<u32> = pool.execute(7).unwrap_err();
/// assert_eq!(refused.into_job(), 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ExecuteError<T>(pub(crate) T);

impl<T> ExecuteError<T> {
    /// The refused job.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let pool = WorkerPool::builder().workers(1).build_detached(|s: String| drop(s))?;
    /// pool.shutdown();
    /// assert_eq!(pool.execute("kept".to_owned()).unwrap_err().into_job(), "kept");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_job(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for ExecuteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExecuteError(..)")
    }
}

impl<T> fmt::Display for ExecuteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the executor is shut down; the job was not run")
    }
}

impl<T> Error for ExecuteError<T> {}
