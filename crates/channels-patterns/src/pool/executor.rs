//! `Executor`: a worker pool with no results handle, for fire-and-forget
//! jobs, and a way to wait until it is idle.

use std::fmt;
use std::time::{Duration, Instant};

use super::{ExecuteError, WorkerPool, WorkerPoolStats};

/// A job for [`WorkerPool::executor`]'s pool: any closure to run once on a
/// worker thread.
pub type Task = Box<dyn FnOnce() + Send + 'static>;

/// A fire-and-forget worker pool: [`execute`](Self::execute) queues a job
/// and returns; no results handle exists, so none can be dropped by
/// mistake (with [`WorkerPool::new`], `let (pool, _) = ..` drops the
/// results handle, and every later submit fails with
/// [`SubmitError::ResultsDropped`](crate::SubmitError::ResultsDropped)).
///
/// - [`WorkerPool::executor`] runs boxed closures ([`Task`]), as the
///   threadpool crate's `ThreadPool` does;
///   [`WorkerPoolBuilder::build_detached`](crate::WorkerPoolBuilder::build_detached)
///   applies one function to typed jobs, with the builder's options
///   (bounded queue, thread names).
/// - [`wait_idle`](Self::wait_idle) blocks (parked, not spinning) until
///   every job accepted so far has finished;
///   [`wait_idle_timeout`](Self::wait_idle_timeout) gives up after a while.
/// - A job that panics is caught and counted in
///   [`WorkerPoolStats::panicked`]; its worker goes on. (The panic hook
///   still prints the panic.)
/// - [`shutdown`](Self::shutdown) runs every accepted job and joins the
///   workers; [`shutdown_now`](Self::shutdown_now) gives back the jobs not
///   started; dropping the executor is a `shutdown`.
///
/// `Executor<T>` is `Send + Sync` when `T: Send`.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let pool = WorkerPool::executor(4)?;
/// let done = Arc::new(AtomicUsize::new(0));
/// for _ in 0..100 {
///     let done = Arc::clone(&done);
///     pool.execute(Box::new(move || {
///         done.fetch_add(1, Ordering::Relaxed);
///     }))?;
/// }
/// pool.wait_idle();
/// assert_eq!(done.load(Ordering::Relaxed), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Executor<T = Task> {
    pool: WorkerPool<T, ()>,
}

impl<T> Executor<T> {
    pub(crate) fn new(pool: WorkerPool<T, ()>) -> Self {
        Self { pool }
    }

    /// Queues `job` to run on a worker. With a bounded queue
    /// ([`WorkerPoolBuilder::queue_capacity`](crate::WorkerPoolBuilder::queue_capacity)),
    /// waits while the queue is full: from one of the executor's own jobs,
    /// possibly forever, as for
    /// [`WorkerPool::submit`](crate::WorkerPool::submit).
    ///
    /// # Errors
    ///
    /// Gives the job back in [`ExecuteError`] once the executor is shut
    /// down.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::mpsc;
    ///
    /// let pool = WorkerPool::executor(2)?;
    /// let (tx, rx) = mpsc::channel();
    /// pool.execute(Box::new(move || tx.send("ran").unwrap()))?;
    /// assert_eq!(rx.recv()?, "ran");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute(&self, job: T) -> Result<(), ExecuteError<T>> {
        // No results handle exists, so the only refusal is a shutdown.
        self.pool
            .submit(job)
            .map(drop)
            .map_err(|refused| ExecuteError(refused.into_job()))
    }

    /// Blocks until every job accepted so far (each `execute` that returned
    /// before this call, and any accepted while it waits) has finished,
    /// panicked or been given back by [`shutdown_now`](Self::shutdown_now).
    /// The thread parks meanwhile; the last job to finish wakes it. Returns
    /// at once when nothing is pending, as after a shutdown.
    ///
    /// Jobs executed concurrently from other threads may keep it waiting:
    /// it returns at a moment when none is pending.
    ///
    /// # Panics
    ///
    /// If called from one of this executor's own jobs: that job is pending,
    /// so it would wait for itself. (The panic is the job's: caught and
    /// counted.)
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    ///
    /// let pool = WorkerPool::executor(2)?;
    /// let count = Arc::new(AtomicU32::new(0));
    /// for _ in 0..10 {
    ///     let count = Arc::clone(&count);
    ///     pool.execute(Box::new(move || {
    ///         std::thread::sleep(std::time::Duration::from_millis(1));
    ///         count.fetch_add(1, Ordering::Relaxed);
    ///     }))?;
    /// }
    /// pool.wait_idle();
    /// assert_eq!(count.load(Ordering::Relaxed), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_idle(&self) {
        self.pool.wait_idle_until("Executor::wait_idle", None);
    }

    /// As [`wait_idle`](Self::wait_idle), waiting at most `timeout` (any
    /// `Duration`, `Duration::MAX` included: a timeout too long to
    /// represent is no timeout). Returns `true` if the executor became
    /// idle, `false` if jobs were still pending when the time ran out.
    ///
    /// # Panics
    ///
    /// If called from one of this executor's own jobs, as
    /// [`wait_idle`](Self::wait_idle).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// let pool = WorkerPool::executor(1)?;
    /// let (release, gate) = mpsc::channel::<()>();
    /// pool.execute(Box::new(move || gate.recv().unwrap()))?;
    /// assert!(!pool.wait_idle_timeout(Duration::from_millis(5)), "the job waits for us");
    /// release.send(())?;
    /// assert!(pool.wait_idle_timeout(Duration::MAX));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "false means jobs were still pending"]
    pub fn wait_idle_timeout(&self, timeout: Duration) -> bool {
        self.pool.wait_idle_until(
            "Executor::wait_idle_timeout",
            Instant::now().checked_add(timeout),
        )
    }

    /// Stops accepting jobs, lets the workers finish every accepted job,
    /// and joins them. Returns at once if already shut down.
    ///
    /// # Panics
    ///
    /// If called from one of this executor's own jobs: it would wait for
    /// itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::mpsc;
    ///
    /// let pool = WorkerPool::executor(2)?;
    /// let (tx, rx) = mpsc::channel();
    /// for i in 0..10 {
    ///     let tx = tx.clone();
    ///     pool.execute(Box::new(move || tx.send(i).unwrap()))?;
    /// }
    /// drop(tx);
    /// pool.shutdown();
    /// assert_eq!(rx.try_iter().count(), 10, "every accepted job ran");
    /// assert!(pool.execute(Box::new(|| ())).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }

    /// Stops accepting jobs and returns the accepted jobs that no worker
    /// has started; waits for the running ones and joins the workers.
    ///
    /// # Panics
    ///
    /// If called from one of this executor's own jobs, as
    /// [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let pool = WorkerPool::builder()
    ///     .workers(1)
    ///     .build_detached(|ms: u64| std::thread::sleep(std::time::Duration::from_millis(ms)))?;
    /// for _ in 0..10 {
    ///     pool.execute(5)?;
    /// }
    /// let not_started = pool.shutdown_now();
    /// assert_eq!(pool.stats().completed + not_started.len() as u64, 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "the returned jobs were not run"]
    pub fn shutdown_now(&self) -> Vec<T> {
        self.pool
            .shutdown_now()
            .into_iter()
            .map(|(_, job)| job)
            .collect()
    }

    /// Whether [`shutdown`](Self::shutdown) or
    /// [`shutdown_now`](Self::shutdown_now) has begun.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let pool = WorkerPool::executor(1)?;
    /// assert!(!pool.is_shut_down());
    /// pool.shutdown();
    /// assert!(pool.is_shut_down());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_shut_down(&self) -> bool {
        self.pool.is_shut_down()
    }

    /// The number of worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// assert_eq!(WorkerPool::executor(3)?.workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn workers(&self) -> usize {
        self.pool.workers()
    }

    /// A snapshot of the executor's counters (`results_discarded` is
    /// always 0: an executor has no results to deliver).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let pool = WorkerPool::builder().workers(2).build_detached(|x: u32| assert!(x % 2 == 0))?;
    /// for x in 0..4 {
    ///     pool.execute(x)?;
    /// }
    /// pool.wait_idle();
    /// let stats = pool.stats();
    /// assert_eq!((stats.completed, stats.panicked, stats.queued), (4, 2, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn stats(&self) -> WorkerPoolStats {
        self.pool.stats()
    }
}

impl<T> fmt::Debug for Executor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("workers", &self.workers())
            .field("shut_down", &self.is_shut_down())
            .field("queued", &self.stats().queued)
            .finish_non_exhaustive()
    }
}
