//! Job identity and the report of a job that panicked.

use std::error::Error;
use std::fmt;
use std::num::NonZeroU64;

/// The id [`WorkerPool::submit`](crate::WorkerPool::submit) gives a job; its
/// result carries the same id.
///
/// Ids count up from 0 in the order the pool took the jobs in: unique,
/// but not dense, since a [`try_submit`](crate::WorkerPool::try_submit)
/// refused because the queue was full uses one up as well.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(2, |x: u32| x + 1)?;
/// let id = pool.submit(41).expect("the pool is running");
/// let (done, result) = results.recv()?;
/// assert_eq!((done, result?), (id, 42));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(
    // The id plus one: never zero, so that an `Option` or an enum around a
    // job id costs no tag (a panic report on the results channel).
    NonZeroU64,
);

impl JobId {
    pub(crate) fn new(id: u64) -> Self {
        Self(NonZeroU64::MIN.saturating_add(id))
    }

    /// The id as a number: the count of submissions the pool took in
    /// before it (accepted, or refused by a full queue).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::new(1, |x: u32| x)?;
    /// assert_eq!(pool.submit(1).unwrap().as_u64(), 0);
    /// assert_eq!(pool.submit(2).unwrap().as_u64(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_u64(self) -> u64 {
        self.0.get() - 1
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JobId").field(&self.as_u64()).finish()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job #{}", self.as_u64())
    }
}

/// A job's function panicked: the job's id and the panic message.
///
/// The worker that ran it caught the panic and went on with the next job.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(1, |x: u32| {
///     assert!(x != 13, "unlucky");
///     x
/// })?;
/// let id = pool.submit(13).unwrap();
/// let (_, result) = results.recv()?;
/// let panicked = result.unwrap_err();
/// assert_eq!(panicked.id(), id);
/// assert_eq!(panicked.message(), "unlucky");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobPanicked(
    // Boxed: every result carries a `Result<R, JobPanicked>`, and a
    // pointer keeps it small for the jobs that did not panic.
    Box<Report>,
);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Report {
    id: JobId,
    message: String,
}

impl JobPanicked {
    pub(crate) fn new(id: JobId, message: String) -> Self {
        Self(Box::new(Report { id, message }))
    }

    /// The job that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |_: u8| panic!("boom"))?;
    /// let id = pool.submit(0).unwrap();
    /// assert_eq!(results.recv()?.1.unwrap_err().id(), id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> JobId {
        self.0.id
    }

    /// The panic message (`"non-string panic payload"` when the payload was
    /// neither `&str` nor `String`).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |n: u8| panic!("job {n} failed"))?;
    /// pool.submit(3).unwrap();
    /// assert_eq!(results.recv()?.1.unwrap_err().message(), "job 3 failed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for JobPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} panicked: {}", self.0.id, self.0.message)
    }
}

impl Error for JobPanicked {}
