//! `WorkerPoolBuilder`: the options of a `WorkerPool`.

use std::sync::Arc;

use super::results::Delivery;
use super::{Executor, PoolError, Results, Task, WorkerPool};

/// Options for a [`WorkerPool`]: the number of workers, a bounded job
/// queue, the worker threads' names and stack size.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// // At most 8 jobs wait; `submit` blocks beyond that (backpressure).
/// let (pool, results) = WorkerPool::builder().workers(2).queue_capacity(8).build(|x: u32| x * 2)?;
/// for x in 0..100 {
///     pool.submit(x).unwrap();
/// }
/// pool.shutdown();
/// assert_eq!(results.iter().map(|(_, r)| r.unwrap()).sum::<u32>(), 9900);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct WorkerPoolBuilder {
    workers: Option<usize>,
    queue_capacity: Option<usize>,
    thread_name: String,
    stack_size: Option<usize>,
}

impl WorkerPoolBuilder {
    pub(crate) fn new() -> Self {
        Self {
            workers: None,
            queue_capacity: None,
            thread_name: String::from("worker"),
            stack_size: None,
        }
    }

    /// The number of worker threads; by default
    /// [`std::thread::available_parallelism`] (1 if unknown).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::builder().workers(3).build(|x: u8| x)?;
    /// assert_eq!(pool.workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers);
        self
    }

    /// Bounds the job queue: at most `capacity` jobs wait to start;
    /// [`WorkerPool::submit`] blocks while the queue is full and
    /// [`WorkerPool::try_submit`] returns
    /// [`TrySubmitError::Full`](crate::TrySubmitError::Full). Unbounded by
    /// default. At most [`WorkerPool::MAX_QUEUE_CAPACITY`], and fewer for
    /// jobs so large that a full queue would not fit in `isize::MAX` bytes
    /// (the error names the largest accepted). The queue allocates as jobs
    /// arrive; an allocation the system cannot satisfy aborts the process,
    /// as any collection's does.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::builder().workers(1).queue_capacity(4).build(|x: u8| x)?;
    /// (0..10).for_each(|x| drop(pool.submit(x))); // blocks while 4 wait
    /// pool.shutdown();
    /// assert_eq!(results.iter().count(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = Some(capacity);
        self
    }

    /// The prefix of the worker threads' names (`"{prefix}-{index}"`);
    /// `"worker"` by default. A prefix holding a NUL byte makes
    /// [`build`](Self::build) fail with
    /// [`PoolError::InvalidThreadName`].
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::builder()
    ///     .workers(1)
    ///     .thread_name("resizer")
    ///     .build(|_: ()| std::thread::current().name().map(str::to_owned))?;
    /// pool.submit(()).unwrap();
    /// assert_eq!(results.recv()?.1?.as_deref(), Some("resizer-0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name = prefix.into();
        self
    }

    /// The stack size of each worker thread, in bytes (default: std's,
    /// 2 MiB unless `RUST_MIN_STACK` says otherwise, and at least 64 KiB
    /// either way: `atomics_kit::user_thread_stack`): for a job function
    /// that recurses deeply, or jobs of hundreds of KiB passed by value
    /// (a job moves through the worker's stack on its way to `f`, in
    /// several frames at once; a job or result type of a 32nd of the stack
    /// or more, [`atomics_kit::STACK_PER_VALUE`], makes the build fail
    /// with [`PoolError::StackTooSmall`]). Every size is accepted
    /// here: one below 64 KiB is raised to 64 KiB (with less, a job's panic
    /// overflowed the stack while it unwound, and the process aborted,
    /// though the pool catches the panic); the platform
    /// rounds it to whole pages; one it cannot map makes the build fail
    /// with [`PoolError::Spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// fn depth(n: u64) -> u64 {
    ///     if n == 0 { 0 } else { 1 + depth(n - 1) }
    /// }
    ///
    /// let (pool, results) = WorkerPool::builder().workers(1).stack_size(64 << 20).build(depth)?;
    /// pool.submit(100_000).unwrap();
    /// assert_eq!(results.recv()?.1?, 100_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes.max(atomics_kit::MIN_THREAD_STACK));
        self
    }

    /// Starts the pool's workers, applying `f` to each job.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidSize`] for zero workers or more than
    /// [`WorkerPool::MAX_WORKERS`], or a queue capacity of zero, above
    /// [`WorkerPool::MAX_QUEUE_CAPACITY`] or too large for jobs of this
    /// size (see [`queue_capacity`](Self::queue_capacity));
    /// [`PoolError::InvalidThreadName`] for a name prefix with a NUL byte;
    /// [`PoolError::StackTooSmall`] for a job or result type at least as
    /// large as a worker's stack;
    /// [`PoolError::Spawn`] if a thread could not be started (those started
    /// are stopped and joined).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{PoolError, WorkerPool};
    ///
    /// let error = WorkerPool::builder().workers(0).build(|x: u8| x).unwrap_err();
    /// assert!(matches!(error, PoolError::InvalidSize(_)));
    /// let (pool, results) = WorkerPool::builder().build(|x: u8| x + 1)?;
    /// pool.submit(1).unwrap();
    /// assert_eq!(results.recv()?.1, Ok(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build<T, R, F>(self, f: F) -> Result<(WorkerPool<T, R>, Results<R>), PoolError>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let delivery = Arc::new(Delivery::default());
        let pool = WorkerPool::start(
            self.worker_count(),
            self.queue_capacity,
            &self.thread_name,
            self.stack_size,
            f,
            Some(sender),
            Arc::clone(&delivery),
        )?;
        Ok((pool, Results::new(receiver, delivery)))
    }

    /// Starts a fire-and-forget pool applying `f` to each job: an
    /// [`Executor`] has no results handle to keep alive (so it never
    /// refuses a job for want of one), and can
    /// [`wait_idle`](Executor::wait_idle). `f` returns nothing: what it
    /// does is its output. A panic in `f` is caught and counted in
    /// [`WorkerPoolStats::panicked`](crate::WorkerPoolStats::panicked).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let total = Arc::new(AtomicU64::new(0));
    /// let sum = Arc::clone(&total);
    /// let pool = WorkerPool::builder()
    ///     .workers(2)
    ///     .queue_capacity(8)
    ///     .build_detached(move |x: u64| {
    ///         sum.fetch_add(x, Ordering::Relaxed);
    ///     })?;
    /// for x in 1..=100 {
    ///     pool.execute(x).unwrap();
    /// }
    /// pool.wait_idle();
    /// assert_eq!(total.load(Ordering::Relaxed), 5050);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_detached<T, F>(self, f: F) -> Result<Executor<T>, PoolError>
    where
        T: Send + 'static,
        F: Fn(T) + Send + Sync + 'static,
    {
        WorkerPool::start(
            self.worker_count(),
            self.queue_capacity,
            &self.thread_name,
            self.stack_size,
            f,
            None,
            Arc::new(Delivery::default()),
        )
        .map(Executor::new)
    }

    /// Starts a fire-and-forget pool running boxed closures ([`Task`]), as
    /// the threadpool crate's `ThreadPool` does; the same as
    /// `build_detached(|task: Task| task())`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::mpsc;
    ///
    /// let pool = WorkerPool::builder().workers(2).thread_name("io").build_executor()?;
    /// let (tx, rx) = mpsc::channel();
    /// for i in 0..4 {
    ///     let tx = tx.clone();
    ///     pool.execute(Box::new(move || tx.send(i).unwrap())).unwrap();
    /// }
    /// pool.wait_idle();
    /// drop(tx);
    /// assert_eq!(rx.iter().sum::<i32>(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_executor(self) -> Result<Executor<Task>, PoolError> {
        self.build_detached(|task: Task| task())
    }

    fn worker_count(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
    }
}

impl Default for WorkerPoolBuilder {
    fn default() -> Self {
        Self::new()
    }
}
