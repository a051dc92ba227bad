//! A work-stealing thread pool: [`WorkStealingPool`], built by
//! [`PoolBuilder`], counted by [`WorkStealingPoolStats`].
//!
//! N threads, each with a crossbeam-deque (`worker_thread.rs`); an
//! injector for outside submissions; `spawn`, [`Scope`] and `join`, whose
//! jobs are type- and lifetime-erased pointers (`job.rs`, as rayon-core's);
//! idle workers park through the sleep protocol (`sleep.rs`), and so do
//! threads waiting in `join` or `scope` (on a latch, `latch.rs`). The free
//! [`join`], [`scope`](fn@scope), [`spawn`] and [`current_thread_index`]
//! (`current.rs`) use the calling thread's pool, as rayon's do; enter one
//! with [`WorkStealingPool::install`]. `unsafe` lives in `mod.rs`,
//! `job.rs`, `job_blocks.rs`, `scope.rs` and `worker_thread.rs` only; the
//! other files deny it. [`WorkStealingPool::broadcast`] (`broadcast.rs`)
//! posts a job to each worker's own inbox.
//!
//! Compiled with the `pool` feature (on by default).

#[deny(unsafe_code)]
mod broadcast;
#[deny(unsafe_code)]
mod builder;
#[deny(unsafe_code)]
mod current;
#[deny(unsafe_code)]
mod errors;
mod job;
mod job_blocks;
#[deny(unsafe_code)]
mod outside_call;
#[deny(unsafe_code)]
mod reraise;
// Public only for the loom models of the latch.
#[deny(unsafe_code)]
#[allow(unreachable_pub)]
pub(crate) mod latch;
mod scope;
#[deny(unsafe_code)]
mod shared;
// Public only for the loom models of the sleep protocol.
#[deny(unsafe_code)]
#[allow(unreachable_pub)]
pub(crate) mod sleep;
#[deny(unsafe_code)]
mod stats;
mod worker_thread;

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_deque::Worker;

pub use atomics_kit::SizeError;
pub use broadcast::BroadcastContext;
pub use builder::PoolBuilder;
pub use current::{broadcast, current_thread_index, join, scope, spawn};
pub use errors::{PoolBuildError, PoolShutDown};
pub use scope::Scope;
pub use stats::{WorkStealingPoolStats, WorkerStats};

use crate::sync::Mutex;
use job::{HeapJob, JobRef};
use outside_call::OutsideCall;
use shared::{Handlers, PoolShared};
use worker_thread::{WorkerThread, SEARCH_ROUNDS};

/// A work-stealing thread pool: each worker pops its own deque newest
/// first (what it just forked is hot in its cache) and, when that is
/// empty, takes a batch from the shared injector or steals the oldest job
/// of another worker. Idle workers park; queueing a job wakes one.
///
/// - [`spawn`](Self::spawn): a detached `'static` task;
/// - [`scope`](Self::scope): tasks that borrow from the caller's stack,
///   all finished when `scope` returns;
/// - [`join`](Self::join): fork-join of two closures, without allocating
///   when called on a pool thread;
/// - [`install`](Self::install): runs a closure on a pool thread, where
///   the free [`pool::join`](crate::pool::join),
///   [`pool::scope`](fn@crate::pool::scope) and
///   [`pool::spawn`](crate::pool::spawn) use this pool without a handle.
///
/// A task that panics never kills a worker: in `scope` and `join` the
/// panic is re-raised in the caller; a detached task's panic is counted in
/// [`stats`](Self::stats) and handed to the builder's
/// [`panic_handler`](PoolBuilder::panic_handler) if there is one.
///
/// # Examples
///
/// ```
/// use cache_kit::WorkStealingPool;
///
/// fn fib(pool: &WorkStealingPool, n: u64) -> u64 {
///     if n < 2 {
///         return n;
///     }
///     let (a, b) = pool.join(|| fib(pool, n - 1), || fib(pool, n - 2));
///     a + b
/// }
///
/// let pool = WorkStealingPool::new(2)?;
/// assert_eq!(fib(&pool, 20), 6765);
///
/// // Or without passing the pool down:
/// fn fib_here(n: u64) -> u64 {
///     if n < 2 {
///         return n;
///     }
///     let (a, b) = cache_kit::pool::join(|| fib_here(n - 1), || fib_here(n - 2));
///     a + b
/// }
/// assert_eq!(pool.install(|| fib_here(20)), 6765);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
pub struct WorkStealingPool {
    shared: Arc<PoolShared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl WorkStealingPool {
    /// The most worker threads a pool accepts (rayon-core's limit too);
    /// the operating system may refuse fewer
    /// ([`PoolBuildError::Spawn`]). Except on Linux near the process's
    /// limit of memory mappings (`vm.max_map_count`, 65,530 by default;
    /// each thread takes a few), somewhere past 16,000 threads in the
    /// process: there std's setup of the new thread fails inside it and
    /// aborts the process before the builder can see an error. Keep thread
    /// counts to the low thousands.
    pub const MAX_THREADS: usize = 0xFFFF;

    /// A pool of `threads` workers; 0 means one per hardware thread
    /// ([`std::thread::available_parallelism`], 1 if unknown), as in rayon.
    ///
    /// # Errors
    ///
    /// [`PoolBuildError::InvalidSize`] if `threads` is above
    /// [`MAX_THREADS`](Self::MAX_THREADS); [`PoolBuildError::Spawn`] if the
    /// operating system refuses to start a thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(4)?;
    /// assert_eq!(pool.threads(), 4);
    /// assert!(cache_kit::WorkStealingPool::new(0)?.threads() >= 1);
    /// assert!(cache_kit::WorkStealingPool::new(usize::MAX).is_err());
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn new(threads: usize) -> Result<Self, PoolBuildError> {
        PoolBuilder::new(threads).build()
    }

    /// A builder, for thread names, stack size and handlers.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::builder(2).thread_name("render").build()?;
    /// # drop(pool);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn builder(threads: usize) -> PoolBuilder {
        PoolBuilder::new(threads)
    }

    /// Starts `threads` workers named `{name}-{index}`; if one cannot be
    /// started, stops and joins the ones that were.
    pub(crate) fn start(
        threads: usize,
        name: &str,
        stack_size: Option<usize>,
        handlers: Handlers,
    ) -> std::io::Result<Self> {
        let deques: Vec<Worker<JobRef>> = (0..threads).map(|_| Worker::new_lifo()).collect();
        let stealers = deques.iter().map(Worker::stealer).collect();
        let stack = stack_size.unwrap_or_else(atomics_kit::user_thread_stack);
        let shared = Arc::new(PoolShared::new(stealers, handlers, stack));
        let mut handles = Vec::with_capacity(threads);
        for (index, deque) in deques.into_iter().enumerate() {
            let worker_shared = Arc::clone(&shared);
            // Always an explicit size: a `RUST_MIN_STACK` below the
            // minimum is raised too (see `atomics_kit::user_thread_stack`).
            let builder = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .stack_size(stack);
            let started =
                builder.spawn(move || work(WorkerThread::new(worker_shared, index, deque)));
            match started {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    // The started workers are still waiting to learn this:
                    // they exit without running a handler or a job.
                    shared.set_all_started(false);
                    for handle in handles {
                        // Workers catch every task's panic; a join error
                        // cannot happen.
                        let _ = handle.join();
                    }
                    return Err(error);
                }
            }
        }
        shared.set_all_started(true);
        Ok(Self {
            shared,
            threads: Mutex::new(handles),
        })
    }

    /// The number of worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cache_kit::WorkStealingPool::new(3)?.threads(), 3);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    #[must_use]
    pub fn threads(&self) -> usize {
        self.shared.stealers.len()
    }

    /// Queues a detached task: on the calling worker's own deque when
    /// called from a task of this pool, else on the injector.
    ///
    /// # Errors
    ///
    /// [`PoolShutDown`] if the pool was shut down (from outside the pool;
    /// tasks spawning more while the pool drains are always accepted). The
    /// refused `task` is dropped here, a panic of its `Drop` caught.
    ///
    /// # Panics
    ///
    /// If `task`, called from outside the pool, is a 32nd or more of a
    /// worker's stack (see
    /// [`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)), once
    /// `task` is dropped, without queueing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// let done = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..100 {
    ///     let done = Arc::clone(&done);
    ///     pool.spawn(move || { done.fetch_add(1, Ordering::Relaxed); })?;
    /// }
    /// pool.wait_idle();
    /// assert_eq!(done.load(Ordering::Relaxed), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn<F>(&self, task: F) -> Result<(), PoolShutDown>
    where
        F: FnOnce() + Send + 'static,
    {
        // The thread-local pointer, not `current_of`'s `Rc` clone: a
        // task's spawns are the hot path.
        WorkerThread::with_current(|worker| match worker {
            Some(worker) if worker.is_of(&self.shared) => {
                // A task's own spawns are part of the work the pool
                // drains, so they are always accepted.
                worker.spawn(task);
                Ok(())
            }
            _ => {
                // Made outside the pool: it must fit a worker's stack.
                let task = self.shared.fitting::<F, (), _>("a task", task);
                // Outside spawns pass the gate. A refused task is the
                // caller's own value, dropped here: a panic of its `Drop`
                // is caught (the hook has printed it), and the refusal is
                // what the call reports.
                let Some(admission) = self.shared.gate.enter() else {
                    atomics_kit::drop_caught(task);
                    return Err(PoolShutDown);
                };
                self.shared.task_queued();
                self.inject(detached_job(task, None));
                drop(admission);
                Ok(())
            }
        })
    }

    /// Queues `job` on the injector and wakes a worker.
    pub(crate) fn inject(&self, job: JobRef) {
        self.shared.inject(job);
    }

    /// Runs `op`, which may spawn tasks borrowing from the caller's stack
    /// through the [`Scope`]; returns once `op` and every task spawned in
    /// the scope (and in their nested spawns) have finished. On a thread
    /// of this pool, or of another `WorkStealingPool`, the caller runs its
    /// own pool's jobs while it waits and sleeps when there are none (so a
    /// task of pool A waiting on pool B still serves A, and B's tasks may
    /// wait on A in turn); elsewhere it blocks.
    ///
    /// # Panics
    ///
    /// Re-raises the panic of `op` or of one of the tasks (`op`'s first),
    /// after all of them have finished. Panics if the pool was shut down
    /// and the call comes from outside it (a task of the pool may still
    /// open scopes while the pool drains), without running `op`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// let mut halves = [0_u64; 2];
    /// let data: Vec<u64> = (1..=100).collect();
    /// let (left, right) = halves.split_at_mut(1);
    /// pool.scope(|s| {
    ///     s.spawn(|_| left[0] = data[..50].iter().sum());
    ///     s.spawn(|_| right[0] = data[50..].iter().sum());
    /// });
    /// assert_eq!(halves[0] + halves[1], 5050);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn scope<'scope, OP, R>(&'scope self, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R,
    {
        self.scope_as("scope", op)
    }

    /// `scope`, for `caller` (`scope`, or `join` from outside the pool),
    /// whose name the panic after shutdown gives.
    fn scope_as<'scope, OP, R>(&'scope self, caller: &str, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R,
    {
        self.admitted(caller, |worker| Scope::run(&self.shared, worker, op))
    }

    /// Runs `wait` (a scope or a broadcast, which waits for this pool's
    /// work) with the calling thread's pool worker, of this pool or
    /// another, if any; a call from outside this pool passes the gate
    /// first, and panics naming `caller` if the pool was shut down.
    fn admitted<R>(&self, caller: &str, wait: impl FnOnce(Option<&WorkerThread>) -> R) -> R {
        // A thread of any pool waits for the scope's tasks by running its
        // own pool's jobs, so that two pools waiting on each other cannot
        // deadlock (rayon's `in_worker_cross`).
        let worker = WorkerThread::current();
        let own_pool = worker
            .as_ref()
            .is_some_and(|worker| worker.is_of(&self.shared));
        let _admission = if own_pool {
            None
        } else {
            match self.shared.gate.enter() {
                Some(admission) => Some((admission, OutsideCall::enter(&self.shared))),
                None => reraise::panic_after_dropping(
                    wait,
                    format_args!(
                        "cache-kit: {caller} called from outside a WorkStealingPool \
                         that was shut down"
                    ),
                ),
            }
        };
        wait(worker.as_deref())
    }

    /// Runs `op` once on every worker thread of the pool, each given a
    /// [`BroadcastContext`] with its index and the pool's thread count,
    /// and returns the results in index order (rayon's `broadcast`). Each
    /// worker runs its call when it next looks for work (before it steals
    /// any), so a worker busy with a long task delays the broadcast. The
    /// caller waits as in [`scope`](Self::scope): on one of this pool's
    /// threads it runs its own call and other jobs meanwhile, and sleeps
    /// when there are none; on another pool's thread it serves that pool;
    /// elsewhere it blocks. Broadcasts may nest and race.
    ///
    /// # Panics
    ///
    /// Re-raises the panic of a call (the first) after every call has
    /// finished; no worker dies of it. If `op`'s own `Drop` (a capture's)
    /// panics, that panic is raised after every call finished and every
    /// result was dropped (a call's panic comes first). Panics if the pool
    /// was shut down and the call comes from outside it, without running
    /// `op`, as [`join`](Self::join) does; and from one of the pool's own
    /// tasks once its workers began to exit (its last handle was dropped
    /// by one of its tasks). Panics, without running `op`, if `R` is a
    /// 32nd or more of a worker's stack (see
    /// [`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(3)?;
    /// let indices = pool.broadcast(|ctx| {
    ///     assert_eq!(ctx.num_threads(), 3);
    ///     assert_eq!(cache_kit::pool::current_thread_index(), Some(ctx.index()));
    ///     ctx.index()
    /// });
    /// assert_eq!(indices, [0, 1, 2]);
    ///
    /// // After shutdown it panics, as `join` does.
    /// pool.shutdown();
    /// let pool = std::panic::AssertUnwindSafe(&pool);
    /// let refused = std::panic::catch_unwind(|| pool.broadcast(|_| ()));
    /// assert!(refused.is_err());
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn broadcast<OP, R>(&self, op: OP) -> Vec<R>
    where
        OP: Fn(BroadcastContext) -> R + Sync,
        R: Send,
    {
        let op = self.shared.fitting::<(), R, _>("a broadcast's result", op);
        self.admitted("broadcast", |worker| {
            broadcast::run(&self.shared, worker, op)
        })
    }

    /// Runs `a` and `b`, potentially in parallel, and returns both results.
    /// On a pool thread `b` is queued on the caller's deque (no
    /// allocation) where an idle worker may steal it, while the caller runs
    /// `a`, then `b` itself if nobody took it; if `b` was stolen, the
    /// caller runs other jobs, else sleeps, until it is done. The only
    /// thread of a one-thread pool keeps `b` on a stack of its own instead
    /// (no other worker could steal it, so it skips the deque's fences),
    /// from which it runs `b` after `a`, or while `a` waits (on another
    /// pool, say). From outside
    /// the pool, `a` runs on the caller and `b` in the pool; a caller on a
    /// thread of another pool serves its own pool's jobs meanwhile (see
    /// [`scope`](Self::scope)).
    ///
    /// # Panics
    ///
    /// Re-raises a panic of `a` or `b` (`a`'s first) after both have
    /// finished, as rayon's `join` does. Panics if the pool was shut down
    /// and the call comes from outside it (a task of the pool may still
    /// `join` while the pool drains), without running `a` or `b`; so too,
    /// from outside, if `b` or its result is a 32nd or more of a worker's
    /// stack (see
    /// [`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// let numbers: Vec<u64> = (0..1000).collect();
    /// let (evens, odds) = pool.join(
    ///     || numbers.iter().filter(|n| *n % 2 == 0).count(),
    ///     || numbers.iter().filter(|n| *n % 2 == 1).count(),
    /// );
    /// assert_eq!((evens, odds), (500, 500));
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        // On one of this pool's threads, the worker's own `join`, as the
        // free `join` does. Once measured 20% slower than the free function
        // in the benchmark binary as one closure (0.78-0.86x rayon), it was
        // split into a check and a call; with the inline `join` leaner
        // since, the one closure is neutral there (fib through the method
        // at 2 threads 0.99-1.00x rayon, free `join` 1.05-1.07x, 2 x 21
        // paired rounds; the method's fib also passes `&pool` down) and 4%
        // faster in a profiling binary (4 x 31 paired rounds each way).
        WorkerThread::with_current(|worker| match worker {
            Some(worker) if worker.is_of(&self.shared) => worker.join(a, b),
            _ => self.join_from_outside(a, b),
        })
    }

    /// [`join`](Self::join) called from outside this pool: `b` as a task
    /// of a scope whose body is `a`. Out of line and cold, so that the
    /// pool thread's path stays as small as the free `join`'s (an A/B run
    /// measured it neutral to slightly better: fib through the method
    /// 0.95-0.96x rayon at 2 threads without, 1.00x with).
    #[cold]
    #[inline(never)]
    fn join_from_outside<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        let mut b_result = None;
        let b_slot = &mut b_result;
        // Refused (after `shutdown`, or `b` too large for a worker), the
        // closures are dropped one at a time (see `DropsApart`).
        let mut halves = self.shared.fitting::<B, RB, _>(
            "a join's second closure or its result",
            reraise::DropsApart::new(a, b),
        );
        let a_result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            self.scope_as("join", move |s| {
                let (a, b) = halves.take();
                s.spawn(move |_| *b_slot = Some(b()));
                a()
            })
        }));
        match a_result {
            Ok(a_result) => (a_result, b_result.expect("the scope ran b")),
            // `b`'s result, if it returned one, is not dropped while `a`'s
            // panic unwinds.
            Err(payload) => reraise::resume_after_dropping(payload, b_result),
        }
    }

    /// Runs `op` on one of this pool's threads and returns its result,
    /// blocking the caller until then (or, on a thread of another pool,
    /// running that pool's jobs meanwhile). Inside, the free
    /// [`pool::join`](crate::pool::join), [`pool::scope`](fn@crate::pool::scope)
    /// and [`pool::spawn`](crate::pool::spawn) use this pool. Called from
    /// one of this pool's threads, runs `op` right there.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of `op`. Panics if the pool was shut down and the
    /// call comes from outside it, without running `op`; so too, from
    /// outside, if `op` or its result is a 32nd or more of a worker's stack
    /// (see
    /// [`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)).
    ///
    /// # Examples
    ///
    /// ```
    /// use cache_kit::pool;
    ///
    /// fn sum(numbers: &[u64]) -> u64 {
    ///     if numbers.len() <= 1024 {
    ///         return numbers.iter().sum();
    ///     }
    ///     let (left, right) = numbers.split_at(numbers.len() / 2);
    ///     let (a, b) = pool::join(|| sum(left), || sum(right));
    ///     a + b
    /// }
    ///
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// let numbers: Vec<u64> = (1..=100_000).collect();
    /// assert_eq!(pool.install(|| sum(&numbers)), 5_000_050_000);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn install<OP, R>(&self, op: OP) -> R
    where
        OP: FnOnce() -> R + Send,
        R: Send,
    {
        if WorkerThread::current_of(&self.shared).is_some() {
            return op();
        }
        let op = self
            .shared
            .fitting::<OP, R, _>("an installed closure or its result", op);
        let mut result = None;
        self.scope_as("install", |s| s.spawn(|_| result = Some(op())));
        result.expect("the scope ran op")
    }

    /// The calling thread's index in this pool (`0..threads()`), or `None`
    /// if it is not one of this pool's threads. The free
    /// [`pool::current_thread_index`](crate::pool::current_thread_index)
    /// answers for any pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// assert_eq!(pool.current_thread_index(), None);
    /// let index = pool.install(|| pool.current_thread_index()).unwrap();
    /// assert!(index < pool.threads());
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    #[must_use]
    pub fn current_thread_index(&self) -> Option<usize> {
        WorkerThread::current_of(&self.shared).map(|worker| worker.index)
    }

    /// Waits until every detached task ([`spawn`](Self::spawn)ed, including
    /// the ones they spawn) has finished. Called from a task of another
    /// pool, it keeps running that pool's jobs meanwhile (a task of this
    /// pool may be waiting on one of them), as `join` does.
    ///
    /// # Panics
    ///
    /// If called from one of this pool's tasks (it would wait for itself).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// pool.spawn(|| std::thread::sleep(std::time::Duration::from_millis(10)))?;
    /// pool.wait_idle();
    /// assert_eq!(pool.stats().executed(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_idle(&self) {
        assert!(
            WorkerThread::current_of(&self.shared).is_none(),
            "cache-kit: wait_idle called from a task of the same pool, which would wait for itself"
        );
        self.shared.wait_idle();
    }

    /// Stops accepting outside work, runs everything accepted (detached
    /// tasks and what they spawn), and joins the worker threads. Calling it
    /// again is harmless, also from another thread at the same time: each
    /// call returns once the workers are joined. `Drop` calls it.
    ///
    /// # Panics
    ///
    /// If called from one of this pool's tasks, or from inside a
    /// [`scope`](Self::scope), [`join`](Self::join) or
    /// [`broadcast`](Self::broadcast) of this pool called from outside it
    /// (the `scope`'s body, `join`'s first closure): it would wait for
    /// itself. Only that thread is recognised: a thread that the body
    /// starts and joins, calling `shutdown`, waits forever instead (as a
    /// lock taken there would), since the body waits for it.
    ///
    /// Called from a task of another pool, it keeps running that pool's
    /// jobs while it waits for this one's tasks, as `join` does.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// pool.spawn(|| {})?;
    /// pool.shutdown();
    /// assert!(pool.spawn(|| {}).is_err());
    /// assert_eq!(pool.stats().executed(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shutdown(&self) {
        assert!(
            WorkerThread::current_of(&self.shared).is_none(),
            "cache-kit: shutdown called from a task of the same pool, which would wait for itself"
        );
        assert!(
            !OutsideCall::is_inside(&self.shared),
            "cache-kit: shutdown called inside a scope, join or broadcast of the same pool, \
             which would wait for itself"
        );
        self.shared.gate.close();
        // Called on a worker of another pool, every wait below keeps
        // running that pool's jobs: what this pool waits for (a call it
        // admitted, a task, a worker's exit handler) may be waiting on
        // one of them, and this worker may be the one that would run it (a
        // break run: `shutdown` on the only worker of the other pool hung).
        let serving = WorkerThread::current();
        // The calls let in before the close (`install`, `scope`, an
        // outside `join`) may run for as long as their work does: the wait
        // sleeps between checks once its backoff is done.
        match &serving {
            Some(worker) => {
                worker.serve_until(|| self.shared.gate.try_wait_for_admitted().is_some());
            }
            None => {
                let _ = self.shared.gate.wait_for_admitted();
            }
        }
        self.shared.wait_idle();
        // Release: a worker that sees the flag (Acquire) after finding no
        // work exits; nothing can be queued any more.
        self.shared.terminate.store(true, Ordering::Release);
        self.shared.sleep.notify_all();
        if let Some(worker) = &serving {
            // The lock only for each look, never while a job runs (a job
            // may shut this pool down too).
            worker.serve_until(|| self.threads.lock().iter().all(JoinHandle::is_finished));
        }
        // The lock is held while joining, so that a second `shutdown`
        // racing this one returns only once the workers are gone too. No
        // user code needs it: the workers' exit handlers run on their own
        // threads (on another pool's worker they have finished above), and
        // a `shutdown` from one of them panics above.
        let mut handles = self.threads.lock();
        for handle in handles.drain(..) {
            // Workers catch every task's panic; a join error cannot happen.
            let _ = handle.join();
        }
    }

    /// Jobs executed and stolen per worker, and detached panics, so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// pool.join(|| (), || ());
    /// let stats = pool.stats();
    /// assert_eq!(stats.workers.len(), 2);
    /// assert_eq!(stats.panicked, 0);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    #[must_use]
    pub fn stats(&self) -> WorkStealingPoolStats {
        WorkStealingPoolStats {
            workers: self
                .shared
                .counters
                .iter()
                .map(|counters| WorkerStats {
                    executed: counters.executed(),
                    stolen: counters.stolen(),
                })
                .collect(),
            panicked: self.shared.panicked(),
        }
    }
}

impl Drop for WorkStealingPool {
    /// [`shutdown`](Self::shutdown). Dropped from one of its own tasks (a
    /// task held the last handle), it cannot wait for itself: it refuses
    /// outside work and tells the workers to exit once they find no work
    /// left, without joining them.
    fn drop(&mut self) {
        if WorkerThread::current_of(&self.shared).is_none() {
            self.shutdown();
        } else {
            self.shared.gate.close();
            // Release: as in `shutdown`.
            self.shared.terminate.store(true, Ordering::Release);
            self.shared.sleep.notify_all();
        }
    }
}

impl fmt::Debug for WorkStealingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkStealingPool")
            .field("threads", &self.threads())
            .field("pending", &self.shared.pending())
            .field("panic_handler", &self.shared.has_panic_handler())
            .finish_non_exhaustive()
    }
}

/// A worker thread's life: run jobs, search a while when there are none,
/// then park until woken; exit at shutdown once no work is left.
fn work(worker: WorkerThread) {
    if !worker.shared.wait_all_started() {
        return;
    }
    let worker = worker.install();
    let shared = Arc::clone(&worker.shared);
    shared.thread_started(worker.index);
    loop {
        if let Some(job) = worker.find_job() {
            worker.execute(job);
            continue;
        }
        // Acquire: pairs with the Release store in `shutdown`.
        let terminate = shared.terminate.load(Ordering::Acquire);
        // The search rounds wait for work that may come soon; at shutdown
        // none is coming from outside, and each round sweeps every other
        // worker's deque: with every worker woken to exit, that made
        // shutdown quadratic in the thread count (a break run: 1.4 s and
        // 2.8 CPU-seconds for 1,000 idle threads). What a running task
        // spawns goes on its own worker's deque, which that worker drains
        // before it exits.
        let mut found = None;
        if !terminate {
            for _ in 0..SEARCH_ROUNDS {
                std::thread::yield_now();
                found = worker.find_job();
                if found.is_some() {
                    break;
                }
            }
        }
        if let Some(job) = found {
            worker.execute(job);
            continue;
        }
        // Not while a broadcast is in flight: its job for this worker may
        // still come (`try_retire`).
        if terminate && shared.try_retire() {
            shared.thread_exiting(worker.index);
            // Tasks the exit handler (or the panic handler it set off)
            // spawned went onto this worker's deque and count as pending:
            // run them here, since the other workers may be gone.
            while let Some(job) = worker.pop_local() {
                worker.execute(job);
            }
            worker.retire();
            return;
        }
        shared.sleep.sleep_unless(|| {
            shared.has_work()
                || shared.has_broadcast(worker.index)
                // Acquire: as above; the sleep protocol's fence orders it
                // after this worker's count as a sleeper.
                || (shared.terminate.load(Ordering::Acquire) && shared.no_broadcast())
        });
    }
}

/// A detached task's job: it runs the task through `run_detached`, which
/// catches and reports its panic and counts it done. The caller counts it
/// queued (`task_queued`) before queueing it.
/// `spawner`: the calling thread's worker, if it is one (its spare job
/// blocks are used).
pub(crate) fn detached_job<F>(task: F, spawner: Option<&WorkerThread>) -> JobRef
where
    F: FnOnce() + Send + 'static,
{
    let job = move |worker: &WorkerThread| worker.shared.run_detached(task);
    // SAFETY: `task` is 'static: it borrows nothing that could die.
    unsafe { HeapJob::into_job_ref(job, spawner) }
}
