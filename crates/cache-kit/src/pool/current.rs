//! The pool of the calling thread: [`join`], [`scope`](fn@scope), [`spawn`] and
//! [`broadcast`](fn@broadcast) on
//! it without a handle, and [`current_thread_index`], as rayon's free
//! functions. Run code on a pool with
//! [`WorkStealingPool::install`](crate::WorkStealingPool::install) (or
//! from any of its tasks), and everything it calls can fork on that pool
//! without passing `&pool` down.

use crate::pool::broadcast::{self, BroadcastContext};
use crate::pool::scope::Scope;
use crate::pool::worker_thread::WorkerThread;

/// The calling thread's index in its pool (`0..threads()`), or `None` on
/// a thread that is not a [`WorkStealingPool`](crate::WorkStealingPool)'s.
///
/// # Examples
///
/// ```
/// use cache_kit::pool::current_thread_index;
///
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// assert_eq!(current_thread_index(), None);
/// let index = pool.install(current_thread_index).unwrap();
/// assert!(index < 2);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
#[must_use]
pub fn current_thread_index() -> Option<usize> {
    WorkerThread::with_current(|worker| worker.map(|worker| worker.index))
}

/// The panic of a free function (`function`) called outside a pool
/// thread, raised once the closures it was given (`closures`) are dropped.
#[track_caller]
fn outside(function: &str, closures: impl Sized) -> ! {
    super::reraise::panic_after_dropping(
        closures,
        format_args!(
            "cache-kit: pool::{function} called outside a pool thread; \
             run it inside WorkStealingPool::install or call WorkStealingPool::{function}"
        ),
    )
}

/// [`WorkStealingPool::join`](crate::WorkStealingPool::join) on the
/// calling thread's pool: runs `a` and `b`, potentially in parallel, and
/// returns both results.
///
/// # Panics
///
/// If the calling thread is not a pool thread (there is no global pool);
/// re-raises a panic of `a` or `b` (`a`'s first) after both finished.
///
/// # Examples
///
/// ```
/// use cache_kit::pool;
///
/// fn fib(n: u64) -> u64 {
///     if n < 2 {
///         return n;
///     }
///     let (a, b) = pool::join(|| fib(n - 1), || fib(n - 2));
///     a + b
/// }
///
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// assert_eq!(pool.install(|| fib(20)), 6765);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    WorkerThread::with_current(|worker| match worker {
        Some(worker) => worker.join(a, b),
        None => outside("join", super::reraise::DropsApart::new(a, b)),
    })
}

/// [`WorkStealingPool::scope`](crate::WorkStealingPool::scope) on the
/// calling thread's pool: `op`'s tasks may borrow from the caller's stack
/// and have all finished when it returns.
///
/// # Panics
///
/// If the calling thread is not a pool thread; re-raises the panic of
/// `op` or of one of the tasks (`op`'s first) after all finished.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// let mut squares = [0_u64; 4];
/// pool.install(|| {
///     cache_kit::pool::scope(|s| {
///         for (n, square) in squares.iter_mut().enumerate() {
///             s.spawn(move |_| *square = (n * n) as u64);
///         }
///     });
/// });
/// assert_eq!(squares, [0, 1, 4, 9]);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
pub fn scope<'scope, OP, R>(op: OP) -> R
where
    OP: FnOnce(&Scope<'scope>) -> R,
{
    let Some(worker) = WorkerThread::current() else {
        outside("scope", op)
    };
    Scope::run(&worker.shared, Some(&worker), op)
}

/// [`WorkStealingPool::spawn`](crate::WorkStealingPool::spawn) on the
/// calling thread's pool: queues a detached task there. A pool's own
/// threads may always spawn (also while it drains at shutdown), so this
/// cannot be refused.
///
/// # Panics
///
/// If the calling thread is not a pool thread.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// let done = Arc::new(AtomicUsize::new(0));
/// pool.install(|| {
///     for _ in 0..10 {
///         let done = Arc::clone(&done);
///         cache_kit::pool::spawn(move || { done.fetch_add(1, Ordering::Relaxed); });
///     }
/// });
/// pool.wait_idle();
/// assert_eq!(done.load(Ordering::Relaxed), 10);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
pub fn spawn<F>(task: F)
where
    F: FnOnce() + Send + 'static,
{
    // The thread-local pointer, not `current_worker`'s `Rc` clone: a
    // task's spawns are the hot path.
    WorkerThread::with_current(|worker| match worker {
        Some(worker) => worker.spawn(task),
        None => outside("spawn", task),
    });
}

/// [`WorkStealingPool::broadcast`](crate::WorkStealingPool::broadcast) on
/// the calling thread's pool: runs `op` once on every worker of it and
/// returns the results in index order. The caller runs its own call and
/// other jobs while it waits.
///
/// # Panics
///
/// If the calling thread is not a pool thread, or its pool's workers
/// began to exit (its last handle was dropped by one of its tasks);
/// re-raises the first panic of a call after every call finished.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// let counts = pool.install(|| cache_kit::pool::broadcast(|ctx| ctx.num_threads()));
/// assert_eq!(counts, [2, 2]);
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
pub fn broadcast<OP, R>(op: OP) -> Vec<R>
where
    OP: Fn(BroadcastContext) -> R + Sync,
    R: Send,
{
    let Some(worker) = WorkerThread::current() else {
        outside("broadcast", op)
    };
    broadcast::run(&worker.shared, Some(&worker), op)
}
