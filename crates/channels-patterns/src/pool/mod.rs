//! A pool of N threads applying one function to typed jobs: [`WorkerPool`],
//! built by [`WorkerPoolBuilder`].
//!
//! Jobs travel through a job queue (`job_queue.rs`: a shared injector, and
//! a deque per worker that it fills in batches; large jobs boxed). Each job
//! gets a [`JobId`] (`job.rs`); results come back on [`Results`]
//! (`results.rs`) as `(JobId, Result<R, JobPanicked>)`. The errors are in
//! `errors.rs`.
mod builder;
#[allow(unsafe_code)]
mod drop_catching;
mod errors;
mod executor;
mod job;
mod job_queue;
mod results;

use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Duration;

use atomics_kit::{
    drop_panic_payload, panic_message, Admission, AdmissionGate, SingleWriterCounter,
};
use crossbeam_channel::Sender;
use crossbeam_utils::CachePadded;

pub use atomics_kit::SizeError;
pub use builder::WorkerPoolBuilder;
/// The errors of [`Results`]' receives, crossbeam-channel's own (the
/// results travel on one), re-exported so that callers need not depend on
/// crossbeam-channel to name them.
pub use crossbeam_channel::{RecvError, RecvTimeoutError, TryRecvError};
pub use errors::{ExecuteError, PoolError, SubmitError, TrySubmitError};
pub use executor::{Executor, Task};
pub use job::{JobId, JobPanicked};
#[cfg(loom)]
#[doc(hidden)]
pub use job_queue::model as job_queue_model;
pub use results::{Completed, Results, ResultsIntoIter, ResultsIter, ResultsTryIter};

use crate::queue::wait_set::WaitSet;
use crate::sync::{AtomicBool, AtomicUsize, Backoff, Mutex, Ordering};
use drop_catching::DropCatching;
use job_queue::{Jobs, WorkerJobs};
use results::{Delivery, Outcome};

/// The most jobs `T` a bounded queue may hold: a full queue's jobs, each
/// in a slot with its id and a state word, must fit in `isize::MAX` bytes,
/// as any collection's (a break run's 2^23 jobs of 1 TiB each, when the
/// queue was a channel that allocated its slots up front, panicked with
/// "capacity overflow").
fn max_queue_slots<T>() -> usize {
    let align = std::mem::align_of::<Job<T>>().max(std::mem::align_of::<usize>());
    let slot =
        (std::mem::size_of::<Job<T>>() + std::mem::size_of::<usize>()).next_multiple_of(align);
    isize::MAX.unsigned_abs() / slot
}

/// What travels on the job queue: a job and its id.
type Job<T> = (JobId, T);

/// Why a submission was turned away, before the job is given back.
enum Refusal {
    ShutDown,
    ResultsDropped,
}

impl Refusal {
    fn give_back<T>(self, job: T) -> SubmitError<T> {
        match self {
            Self::ShutDown => SubmitError::ShutDown(job),
            Self::ResultsDropped => SubmitError::ResultsDropped(job),
        }
    }
}

/// Counters one worker bumps; padded so that workers never share a line.
#[derive(Debug, Default)]
struct WorkerCounters {
    completed: SingleWriterCounter,
    panicked: SingleWriterCounter,
}

/// State the workers and the pool share.
#[derive(Debug)]
struct Shared {
    counters: Box<[CachePadded<WorkerCounters>]>,
    /// The jobs accepted and not yet finished, for [`Executor::wait_idle`];
    /// `None` for a pool with results (nobody waits for idle there, and the
    /// workers skip the shared count).
    idle: Option<Idle>,
    /// Set when dropping the job function (the last worker's `Arc`)
    /// panicked: see [`WorkerPoolStats::function_drop_panicked`].
    function_drop_panicked: AtomicBool,
}

impl Shared {
    /// A job is about to be queued: counted before it can be taken.
    #[inline]
    fn job_accepted(&self) {
        if let Some(idle) = &self.idle {
            idle.begin();
        }
    }

    /// A job counted by `job_accepted` finished, was given back, or was
    /// never queued.
    #[inline]
    fn job_done(&self) {
        if let Some(idle) = &self.idle {
            idle.end();
        }
    }
}

/// The jobs accepted and not finished, and the threads waiting for none.
#[derive(Debug, Default)]
struct Idle {
    pending: AtomicUsize,
    waiters: WaitSet,
}

impl Idle {
    fn begin(&self) {
        // Relaxed: the job's queueing (the injector's push, which
        // synchronizes with the worker's take) orders this count before the
        // worker's `end`, so the count never goes below zero; a waiter
        // needs no more from it.
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    fn end(&self) {
        // SeqCst: a release, so every job's effects happen before a
        // waiter's load in `is_idle` that reads the zero (the decrements form
        // one release sequence); and the change of condition `WaitSet`'s
        // protocol orders against the waiters' counts.
        if self.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.waiters.notify_all();
        }
    }

    fn is_idle(&self) -> bool {
        // SeqCst: acquires `end`'s release, and is `WaitSet`'s re-check.
        self.pending.load(Ordering::SeqCst) == 0
    }

    /// Waits until no job is pending, or until `deadline`; whether idle.
    fn wait(&self, deadline: Option<std::time::Instant>) -> bool {
        loop {
            if self.is_idle() {
                return true;
            }
            if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
                return false;
            }
            // Parks (no spin) until a job's `end` finds the count at zero.
            self.waiters.wait_unless(|| self.is_idle(), deadline);
        }
    }
}

/// A fixed set of worker threads applying one function to the jobs
/// submitted to it, each result delivered with its job's id.
///
/// - [`submit`](Self::submit) returns the job's [`JobId`], or gives the job
///   back if the pool is shut down; with a bounded queue
///   ([`WorkerPoolBuilder::queue_capacity`]) it blocks while the queue is
///   full and [`try_submit`](Self::try_submit) does not.
/// - Results arrive on the [`Results`] receiver returned beside the pool as
///   `(JobId, Result<R, JobPanicked>)`, in the order jobs finish.
/// - A job whose function panics yields [`JobPanicked`] with the panic
///   message; the worker catches the panic and goes on. (The panic hook
///   still prints the panic, as for any panic.)
/// - [`shutdown`](Self::shutdown) runs every accepted job, then joins the
///   workers; [`shutdown_now`](Self::shutdown_now) hands back the jobs not
///   yet started; dropping the pool is a `shutdown`.
///
/// Every job `submit` accepted is run exactly once, or returned by
/// `shutdown_now`; its result is delivered, or counted in
/// [`WorkerPoolStats::results_discarded`] when every `Results` handle is gone.
///
/// `WorkerPool` is `Send + Sync` when `T: Send`: share it by reference (or
/// in an `Arc`) to submit from many threads.
///
/// # Examples
///
/// The seed article's pool, computing factorials:
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(4, |n: u64| (1..=n).product::<u64>())?;
/// for n in 1..=20 {
///     pool.submit(n).expect("the pool is running");
/// }
/// pool.shutdown();
/// let mut factorials: Vec<u64> = results.iter().map(|(_, r)| r.unwrap()).collect();
/// factorials.sort_unstable();
/// assert_eq!(factorials.len(), 20);
/// assert_eq!(factorials[19], 2_432_902_008_176_640_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WorkerPool<T, R> {
    queue: Arc<Jobs<Job<T>>>,
    /// Results delivered, and whether every `Results` handle is gone.
    delivery: Arc<Delivery>,
    /// Every submission passes it; a shutdown closes it and waits for the
    /// submissions already admitted before it closes the queue, so no job
    /// is pushed after the close.
    gate: AdmissionGate,
    shared: Arc<Shared>,
    /// `None` once shut down.
    workers: Mutex<Option<Vec<JoinHandle<()>>>>,
    worker_threads: Box<[ThreadId]>,
    _results: PhantomData<fn() -> R>,
}

/// A snapshot of a pool's counters, from [`WorkerPool::stats`].
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(2, |x: u8| x)?;
/// pool.submit(1).unwrap();
/// pool.shutdown();
/// let stats = pool.stats();
/// assert_eq!((stats.workers, stats.completed, stats.queued), (2, 1, 0));
/// drop(results);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerPoolStats {
    /// The number of worker threads.
    pub workers: usize,
    /// Jobs accepted and not yet started (a moment's snapshot: while jobs
    /// are queued and start, it may read low, never high).
    pub queued: usize,
    /// Jobs run to the end, including those that panicked.
    pub completed: u64,
    /// Jobs whose function panicked.
    pub panicked: u64,
    /// Results no one received because every [`Results`] handle was gone:
    /// those still waiting in the channel when the last handle dropped,
    /// and those of jobs that finished later. Each result of a completed
    /// job is received through a handle or counted here.
    pub results_discarded: u64,
    /// Whether dropping the job function panicked (the `Drop` of something
    /// it captured): the workers drop it as the last of them stops, before
    /// the [`Results`] end, and catch the panic there (the panic hook
    /// still prints it), so no worker dies of it. Always `false` for
    /// [`WorkerPool::executor`]'s pool, whose jobs' captures drop with each
    /// job (a panic there counts as the job's).
    pub function_drop_panicked: bool,
}

impl<T, R> WorkerPool<T, R>
where
    T: Send + 'static,
    R: Send + 'static,
{
    /// A pool of `workers` threads applying `f` to each job, with an
    /// unbounded job queue. The [`Results`] receiver comes beside it.
    ///
    /// **Keep the [`Results`] handle.** `let (pool, _) = WorkerPool::new(..)`
    /// drops it on the spot (`_` binds nothing; `#[must_use]` cannot see
    /// it), and from then on every [`submit`](Self::submit) fails with
    /// [`SubmitError::ResultsDropped`]. Bind it (`_results` keeps it
    /// alive), or, for jobs whose results nobody wants, use a pool without
    /// results: [`WorkerPool::executor`] (closures, as threadpool) or
    /// [`WorkerPoolBuilder::build_detached`] (one function), whose
    /// [`Executor`] also [`wait_idle`](Executor::wait_idle)s.
    ///
    /// # Errors
    ///
    /// [`PoolError::InvalidSize`] if `workers` is 0 or above
    /// [`MAX_WORKERS`](WorkerPool::MAX_WORKERS), [`PoolError::Spawn`] if
    /// a thread could not be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(2, |s: String| s.len())?;
    /// let id = pool.submit("four".to_owned()).unwrap();
    /// assert_eq!(results.recv()?, (id, Ok(4)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// The mistake, and the fire-and-forget alternative:
    ///
    /// ```
    /// use channels_patterns::{SubmitError, WorkerPool};
    ///
    /// // `_` drops the results handle at once: every submit is refused.
    /// let (pool, _) = WorkerPool::new(2, |x: u32| println!("{x}"))?;
    /// assert!(matches!(pool.submit(1), Err(SubmitError::ResultsDropped(1))));
    ///
    /// // No results wanted: an executor has no handle to drop.
    /// let pool = WorkerPool::builder().workers(2).build_detached(|x: u32| println!("{x}"))?;
    /// pool.execute(1)?;
    /// pool.wait_idle();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<F>(workers: usize, f: F) -> Result<(Self, Results<R>), PoolError>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        WorkerPoolBuilder::new().workers(workers).build(f)
    }

    /// Starts a pool delivering its results to `results` (with `delivery`
    /// shared with their receivers), or, with `None`, a detached pool that
    /// drops them and counts its pending jobs for `Executor::wait_idle`.
    pub(crate) fn start<F>(
        workers: usize,
        queue_capacity: Option<usize>,
        thread_name: &str,
        stack_size: Option<usize>,
        f: F,
        results: Option<Sender<Outcome<R>>>,
        delivery: Arc<Delivery>,
    ) -> Result<Self, PoolError>
    where
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        // Read once (std's default comes from the environment): the size
        // checked is the size every worker gets.
        let stack = stack_size.unwrap_or_else(atomics_kit::user_thread_stack);
        let capacity = match Self::checked_capacity(workers, queue_capacity, thread_name, stack) {
            Ok(capacity) => capacity,
            Err(refusal) => {
                // `f` is user code: a panic in its captures' `Drop` must
                // not replace the typed error.
                atomics_kit::drop_caught(f);
                return Err(refusal);
            }
        };
        let (queue, locals) = Jobs::new(workers, capacity);
        let queue = Arc::new(queue);
        let shared = Arc::new(Shared {
            counters: (0..workers)
                .map(|_| CachePadded::new(WorkerCounters::default()))
                .collect(),
            idle: results.is_none().then(Idle::default),
            function_drop_panicked: AtomicBool::new(false),
        });
        let f = Arc::new(f);
        let mut handles = Vec::with_capacity(workers);
        for (index, local) in locals.into_iter().enumerate() {
            let worker = Worker {
                index,
                local,
                queue: Arc::clone(&queue),
                results: results.clone(),
                shared: Arc::clone(&shared),
                f: Arc::clone(&f),
            };
            // Always an explicit size: a `RUST_MIN_STACK` below the
            // minimum is raised too (see `atomics_kit::user_thread_stack`).
            let thread = thread::Builder::new()
                .name(format!("{thread_name}-{index}"))
                .stack_size(stack);
            let spawned = thread.spawn(move || worker.run());
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    // Nothing was submitted: the started workers leave
                    // (each drops its `f` caught, see `Worker::run`).
                    queue.close();
                    for handle in handles {
                        let _ = handle.join();
                    }
                    // The last `f` may be this one: dropped as above.
                    atomics_kit::drop_caught(f);
                    return Err(PoolError::Spawn(error));
                }
            }
        }
        let worker_threads = handles.iter().map(|handle| handle.thread().id()).collect();
        Ok(Self {
            queue,
            delivery,
            gate: AdmissionGate::new(),
            shared,
            workers: Mutex::new(Some(handles)),
            worker_threads,
            _results: PhantomData,
        })
    }
}

impl<T, R> WorkerPool<T, R> {
    /// The bounded queue's capacity, once every argument of `start` is
    /// checked.
    fn checked_capacity(
        workers: usize,
        queue_capacity: Option<usize>,
        thread_name: &str,
        stack: usize,
    ) -> Result<Option<usize>, PoolError> {
        SizeError::check("workers", workers, WorkerPool::MAX_WORKERS)?;
        if thread_name.contains('\0') {
            return Err(PoolError::InvalidThreadName(thread_name.to_owned()));
        }
        let capacity = match queue_capacity {
            Some(capacity) => Some(SizeError::check(
                "queue_capacity",
                capacity,
                WorkerPool::MAX_QUEUE_CAPACITY.min(max_queue_slots::<T>()),
            )?),
            None => None,
        };
        // A job passes through its worker's stack on its way to `f`, and a
        // result on its way back, in several frames at once: one as large
        // as the whole stack overflowed it as the worker started, before
        // any job (a break run: 64 GiB jobs aborted the process), and in a
        // debug build a result of a 16th did (see `STACK_PER_VALUE`).
        if let Some(job) = atomics_kit::too_large_for_stack::<T, R>(stack) {
            return Err(PoolError::StackTooSmall { job, stack });
        }
        Ok(capacity)
    }
}

impl WorkerPool<(), ()> {
    /// The most workers a pool accepts: 65,536 threads. Beyond it
    /// [`PoolError::InvalidSize`]; an operating system refuses far fewer
    /// threads first, which is [`PoolError::Spawn`]. Except on Linux near
    /// the process's limit of memory mappings (`vm.max_map_count`, 65,530
    /// by default; each thread takes a few): there std's setup of the new
    /// thread fails inside the thread ("failed to set up alternative stack
    /// guard page") and aborts the process before the pool can see an
    /// error (a break run: at 16,000 to 18,000 workers). Keep worker
    /// counts to the low thousands.
    pub const MAX_WORKERS: usize = 1 << 16;

    /// The largest bounded job queue a pool accepts: 16,777,216 jobs, or
    /// fewer for jobs so large that the queue's slots would not fit in
    /// `isize::MAX` bytes (the builder's error then names the largest for
    /// that job type). A larger bound would hardly bound the memory the
    /// waiting jobs take (use the default, unbounded queue).
    pub const MAX_QUEUE_CAPACITY: usize = 1 << 24;

    /// A builder: worker count, a bounded job queue, thread names.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::builder()
    ///     .workers(2)
    ///     .queue_capacity(16)
    ///     .thread_name("hasher")
    ///     .build(|s: &'static str| s.len())?;
    /// pool.submit("abc").unwrap();
    /// assert_eq!(results.recv()?.1, Ok(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> WorkerPoolBuilder {
        WorkerPoolBuilder::new()
    }

    /// A fire-and-forget pool of `workers` threads running closures, as
    /// the threadpool crate's `ThreadPool`: [`Executor::execute`] takes a
    /// boxed closure ([`Task`]), [`Executor::wait_idle`] waits until all
    /// have run, and there is no results handle to keep alive. For typed
    /// jobs and one function, or a bounded queue, see
    /// [`WorkerPoolBuilder::build_detached`].
    ///
    /// # Errors
    ///
    /// As [`WorkerPool::new`]: [`PoolError::InvalidSize`] if `workers` is 0
    /// or above [`MAX_WORKERS`](WorkerPool::MAX_WORKERS),
    /// [`PoolError::Spawn`] if a thread could not be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::sync::{Arc, Mutex};
    ///
    /// let pool = WorkerPool::executor(2)?;
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// for i in 0..5 {
    ///     let log = Arc::clone(&log);
    ///     pool.execute(Box::new(move || log.lock().unwrap().push(i)))?;
    /// }
    /// pool.wait_idle();
    /// assert_eq!(log.lock().unwrap().len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn executor(workers: usize) -> Result<Executor, PoolError> {
        WorkerPoolBuilder::new().workers(workers).build_executor()
    }
}

impl<T, R> WorkerPool<T, R> {
    /// Queues `job` and returns its id. With a bounded queue, waits while
    /// the queue is full. From one of the pool's own jobs, that wait can be
    /// forever: the queue empties only through the workers, and if every
    /// one of them is waiting to submit, none takes a job (one worker: any
    /// submit to a full queue). A job that submits to its own bounded pool
    /// uses [`try_submit`](Self::try_submit) and decides what to do when
    /// the queue is full.
    ///
    /// # Errors
    ///
    /// Gives the job back in [`SubmitError::ShutDown`] once the pool is shut
    /// down, and otherwise in [`SubmitError::ResultsDropped`] once every
    /// [`Results`] handle is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: i32| -x)?;
    /// let id = pool.submit(5).expect("running");
    /// assert_eq!(results.recv()?, (id, Ok(-5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit(&self, job: T) -> Result<JobId, SubmitError<T>> {
        let admission = match self.admit() {
            Ok(admission) => admission,
            Err(refusal) => return Err(refusal.give_back(job)),
        };
        let id = JobId::new(admission.sequence());
        self.shared.job_accepted();
        self.queue.reserve();
        self.queue.push((id, job));
        Ok(id)
    }

    /// Queues `job` if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// Gives the job back in [`TrySubmitError::Full`] if the bounded queue
    /// is full (an id is used up all the same: ids stay unique, not dense),
    /// [`TrySubmitError::ShutDown`] or [`TrySubmitError::ResultsDropped`] as
    /// for [`submit`](Self::submit).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{TrySubmitError, WorkerPool};
    /// use std::sync::mpsc;
    ///
    /// let (release, gate) = mpsc::channel::<()>();
    /// let gate = std::sync::Mutex::new(gate);
    /// let (pool, _results) = WorkerPool::builder()
    ///     .workers(1)
    ///     .queue_capacity(1)
    ///     .build(move |_: u32| gate.lock().unwrap().recv().unwrap())?;
    /// pool.submit(1).unwrap(); // taken by the worker, which waits on `gate`
    /// while pool.stats().queued != 0 {
    ///     std::thread::yield_now();
    /// }
    /// pool.submit(2).unwrap(); // fills the queue
    /// assert!(matches!(pool.try_submit(3), Err(TrySubmitError::Full(3))));
    /// release.send(()).unwrap();
    /// release.send(()).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_submit(&self, job: T) -> Result<JobId, TrySubmitError<T>> {
        let admission = match self.admit() {
            Ok(admission) => admission,
            Err(refusal) => return Err(refusal.give_back(job).into()),
        };
        let id = JobId::new(admission.sequence());
        self.shared.job_accepted();
        if !self.queue.try_reserve() {
            self.shared.job_done();
            return Err(TrySubmitError::Full(job));
        }
        self.queue.push((id, job));
        Ok(id)
    }

    /// An admission through the gate (its sequence is the job id; dropping
    /// it, after the job is queued, marks the submission finished), or why
    /// not.
    fn admit(&self) -> Result<Admission<'_>, Refusal> {
        if self.delivery.is_dropped() {
            // Both true: the shutdown is what the caller must hear (no
            // later handle could make the pool accept the job again).
            return Err(if self.gate.is_closed() {
                Refusal::ShutDown
            } else {
                Refusal::ResultsDropped
            });
        }
        self.gate.enter().ok_or(Refusal::ShutDown)
    }

    /// Stops accepting jobs, lets the workers finish every job already
    /// accepted, and joins them. Returns at once if the pool is already
    /// shut down (after any shutdown in progress has finished).
    ///
    /// After it returns, iterating the [`Results`] ends after the last
    /// result.
    ///
    /// # Panics
    ///
    /// If called from one of this pool's own jobs: it would wait for itself.
    /// (The panic is the job's, so the pool reports it as [`JobPanicked`].)
    /// Only the job's own thread is recognised: called from a thread that
    /// a job waits for (one the job joins, or a fan-out helper running the
    /// job's items), it waits for that job, which waits for it, forever.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(2, |x: u32| x)?;
    /// for x in 0..100 {
    ///     pool.submit(x).unwrap();
    /// }
    /// pool.shutdown();
    /// assert_eq!(results.iter().count(), 100);
    /// assert!(pool.submit(100).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        self.assert_not_own_worker("shutdown");
        let mut workers = self.workers.lock();
        if let Some(handles) = workers.take() {
            self.close_gate();
            self.stop_and_join(handles);
        }
    }

    /// Stops accepting jobs and returns, with their ids, the accepted jobs
    /// that no worker has started; waits for the running ones and joins the
    /// workers. Returns an empty `Vec` if the pool is already shut down.
    ///
    /// # Panics
    ///
    /// If called from one of this pool's own jobs, as [`shutdown`](Self::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |ms: u64| {
    ///     std::thread::sleep(std::time::Duration::from_millis(ms));
    /// })?;
    /// for _ in 0..10 {
    ///     pool.submit(5).unwrap();
    /// }
    /// let not_started = pool.shutdown_now();
    /// // Every job either ran (and has a result) or came back.
    /// assert_eq!(results.iter().count() + not_started.len(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "the returned jobs were not run"]
    pub fn shutdown_now(&self) -> Vec<(JobId, T)> {
        self.assert_not_own_worker("shutdown_now");
        let mut workers = self.workers.lock();
        let Some(handles) = workers.take() else {
            return Vec::new();
        };
        self.gate.close();
        // Takes the queued jobs while waiting for the submissions admitted
        // before the close: one blocked on a full queue finishes once this
        // makes room, and its job comes back too, where waiting first would
        // let a worker make the room by starting a queued job.
        let mut not_started = Vec::new();
        let backoff = Backoff::new();
        loop {
            // Checked before the queue is read: once every admitted
            // submission has finished (Acquire, in the gate), the read
            // below sees all that they queued.
            let all_queued = self.gate.try_wait_for_admitted().is_some();
            not_started.extend(self.queue.take_all());
            if all_queued {
                break;
            }
            if backoff.is_completed() {
                thread::sleep(Duration::from_micros(50));
            } else {
                backoff.snooze();
            }
        }
        for _ in &not_started {
            self.shared.job_done();
        }
        // In submission order (the workers' deques hold older jobs than
        // the injector, and are taken after it).
        not_started.sort_unstable_by_key(|&(id, _)| id);
        self.stop_and_join(handles);
        not_started
    }

    /// Whether [`shutdown`](Self::shutdown) or
    /// [`shutdown_now`](Self::shutdown_now) has begun.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::new(1, |x: u8| x)?;
    /// assert!(!pool.is_shut_down());
    /// pool.shutdown();
    /// assert!(pool.is_shut_down());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_shut_down(&self) -> bool {
        self.gate.is_closed()
    }

    /// The number of worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, _results) = WorkerPool::new(3, |x: u8| x)?;
    /// assert_eq!(pool.workers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn workers(&self) -> usize {
        self.worker_threads.len()
    }

    /// A snapshot of the pool's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(2, |x: u32| assert!(x % 2 == 0))?;
    /// for x in 0..4 {
    ///     pool.submit(x).unwrap();
    /// }
    /// pool.shutdown();
    /// let stats = pool.stats();
    /// assert_eq!((stats.completed, stats.panicked, stats.queued), (4, 2, 0));
    /// drop(results);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn stats(&self) -> WorkerPoolStats {
        let mut stats = WorkerPoolStats {
            workers: self.workers(),
            // Never counts a job twice (see `JobQueue::len`).
            queued: self.queue.len(),
            ..WorkerPoolStats::default()
        };
        // Read before the completed counts: once every handle is gone the
        // delivered count is final, and every completed job's result not
        // in it was discarded.
        let delivered = self
            .delivery
            .is_dropped()
            .then(|| self.delivery.delivered());
        for counters in self.shared.counters.iter() {
            // Each count is exact once the pool is shut down (joining the
            // workers synchronizes with them), a snapshot before. Panicked
            // first: the worker counts a job completed before it counts
            // its panic (see `Worker::run`).
            let panicked = counters.panicked.get();
            stats.completed += counters.completed.get();
            stats.panicked += panicked;
        }
        if let Some(delivered) = delivered {
            stats.results_discarded = stats.completed.saturating_sub(delivered);
        }
        // Acquire: pairs with the worker's Release store; exact once the
        // workers are joined, or the results have ended.
        stats.function_drop_panicked = self.shared.function_drop_panicked.load(Ordering::Acquire);
        stats
    }

    /// Refuses new submissions and waits for the admitted ones to have
    /// queued their jobs.
    fn close_gate(&self) {
        self.gate.close();
        self.gate.wait_for_admitted();
    }

    fn assert_not_own_worker(&self, what: &str) {
        assert!(
            !self.is_own_worker(),
            "{what} called from one of the pool's own jobs: it would wait for itself"
        );
    }

    /// Whether the calling thread is one of this pool's workers.
    pub(crate) fn is_own_worker(&self) -> bool {
        self.worker_threads.contains(&thread::current().id())
    }

    /// Waits until every job accepted so far has finished (or was given
    /// back), or until `deadline`; whether it got there. Only for a pool
    /// started without results (`Executor`); any other returns `true`.
    fn wait_idle_until(&self, what: &str, deadline: Option<std::time::Instant>) -> bool {
        self.assert_not_own_worker(what);
        self.shared
            .idle
            .as_ref()
            .is_none_or(|idle| idle.wait(deadline))
    }

    /// Closes the queue once the gate has drained (every accepted job is
    /// queued, and none comes after): the workers run the jobs left and
    /// leave. Then joins them; called from outside the pool only (see
    /// `assert_not_own_worker`).
    fn stop_and_join(&self, handles: Vec<JoinHandle<()>>) {
        self.queue.close();
        for handle in handles {
            // Workers catch every panic of a job; a worker thread that
            // panicked anyway (a bug here) has nothing left to report.
            let _ = handle.join();
        }
    }
}

impl<T, R> Drop for WorkerPool<T, R> {
    /// A graceful [`shutdown`](Self::shutdown). Dropped from one of its own
    /// jobs (the last `Arc` of a pool released by a job), the pool stops its
    /// workers after the accepted jobs without joining them, and without
    /// waiting, even when a bounded queue is full.
    fn drop(&mut self) {
        let handles = self.workers.get_mut().take();
        let Some(handles) = handles else { return };
        // `&mut self`: no submission can be in progress.
        self.close_gate();
        // Each worker runs the jobs still queued, finds none, and exits;
        // nothing here waits (on a worker, for what only this thread could
        // do).
        self.queue.close();
        if self.worker_threads.contains(&thread::current().id()) {
            return;
        }
        for handle in handles {
            // As in `stop_and_join`.
            let _ = handle.join();
        }
    }
}

impl<T, R> fmt::Debug for WorkerPool<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.workers())
            .field("shut_down", &self.is_shut_down())
            .field("queued", &self.stats().queued)
            .finish_non_exhaustive()
    }
}

/// One worker thread's share of the pool.
struct Worker<T, R, F> {
    index: usize,
    local: WorkerJobs<Job<T>>,
    queue: Arc<Jobs<Job<T>>>,
    /// `None` for a detached pool: its results (`()`, or a panic report)
    /// are dropped.
    results: Option<Sender<Outcome<R>>>,
    shared: Arc<Shared>,
    f: Arc<F>,
}

impl<T, R, F> Worker<T, R, F>
where
    F: Fn(T) -> R,
{
    /// Runs jobs until the queue is closed and has none left for this
    /// worker, then lets go of the pool: the job function first, so that
    /// it is dropped (by the last worker) before the results end.
    fn run(self) {
        self.serve();
        let Self {
            f, results, shared, ..
        } = self;
        // A capture's `Drop` is user code: caught, so that the worker
        // thread ends normally, and reported in the stats, never silent.
        if let Err(payload) = atomics_kit::try_drop(f) {
            // Release: pairs with `stats`' Acquire load.
            shared.function_drop_panicked.store(true, Ordering::Release);
            drop_panic_payload(payload);
        }
        drop(results);
    }

    fn serve(&self) {
        let counters = &self.shared.counters[self.index];
        while let Some((id, job)) = self.queue.next(&self.local) {
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| (id, DropCatching::new((self.f)(job)))))
                    .map_err(|payload| JobPanicked::new(id, panic_message(payload)));
            // Before the send: a result delivered is always counted
            // completed, so `completed - delivered` never goes below
            // the discarded results.
            counters.completed.increment();
            // After `completed` (both Release), and `stats` reads
            // them the other way round (Acquire): a snapshot never
            // shows more panicked jobs than completed ones (a
            // break run saw 294 panicked of 293 completed).
            if outcome.is_err() {
                counters.panicked.increment();
            }
            let undelivered = match &self.results {
                Some(results) => results.send(outcome).err().map(|error| error.0),
                None => Some(outcome),
            };
            // Counted by `stats` as completed and not delivered (a
            // detached pool delivers none, counts none). A result's
            // own Drop may panic, and so may that panic's payload:
            // its `DropCatching` catches both, so the worker lives.
            drop(undelivered);
            // After the result is out of this worker's hands (and
            // dropped, for a detached pool): a waiter woken by the
            // last job finds nothing of it still running.
            self.shared.job_done();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    #[test]
    fn jobs_and_results_carry_no_tag_beyond_the_job_id() {
        // The never-zero job id is the niche: a panic report costs no
        // extra word on the results channel.
        assert_eq!(size_of::<Job<u64>>(), 16);
        assert_eq!(size_of::<Outcome<u64>>(), 16);
    }
}
