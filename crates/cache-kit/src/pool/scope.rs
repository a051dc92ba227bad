//! [`Scope`]: tasks that borrow from the stack of a `scope` caller.

use atomics_kit::drop_panic_payload;
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::{Condvar, Mutex};

use crate::pool::job::HeapJob;
use crate::pool::latch::Latch;
use crate::pool::shared::PoolShared;
use crate::pool::worker_thread::WorkerThread;

/// Spawns tasks that may borrow anything outliving the
/// [`scope`](crate::WorkStealingPool::scope) call (or the free
/// [`scope`](crate::pool::scope)); the scope returns only after
/// all of them have finished.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// let total = AtomicU64::new(0);
/// pool.scope(|s| {
///     for n in 1..=10 {
///         let total = &total;
///         s.spawn(move |_| { total.fetch_add(n, Ordering::Relaxed); });
///     }
/// });
/// assert_eq!(total.into_inner(), 55);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Scope<'scope> {
    latch: Arc<ScopeLatch>,
    /// Invariant in `'scope`, as `std::thread::Scope` is.
    _scope: PhantomData<&'scope mut &'scope ()>,
}

/// Counts the scope's unfinished tasks (plus one for its body), keeps the
/// first panic, and sets `latch` when the count reaches zero.
struct ScopeLatch {
    /// The pool the scope's tasks run in.
    pool: Arc<PoolShared>,
    unfinished: AtomicUsize,
    latch: Latch,
    /// Who waits for the scope, and so how the last task wakes it.
    waiter: Waiter,
    lock: Mutex<Option<Box<dyn Any + Send>>>,
    finished: Condvar,
}

/// The thread waiting for a scope's tasks.
enum Waiter {
    /// A thread of the scope's own pool: it sleeps in that pool's sleep
    /// protocol (`ScopeLatch::pool`).
    OwnPool,
    /// A thread of another pool: it sleeps in that pool's protocol, woken
    /// through this handle (held, not borrowed: the setter wakes through
    /// it after the waiter may have returned and its pool been dropped).
    OtherPool(Arc<PoolShared>),
    /// A thread of no pool: it blocks on `ScopeLatch::finished`.
    Thread,
}

impl ScopeLatch {
    /// Keeps the first panic's payload for the waiter; a later one is
    /// dropped after the lock is released, through `drop_panic_payload`
    /// (its `Drop` is user code and may panic again).
    fn record_panic(&self, payload: Box<dyn Any + Send>) {
        let later = {
            let mut first = self.lock.lock();
            if first.is_none() {
                *first = Some(payload);
                None
            } else {
                Some(payload)
            }
        };
        if let Some(payload) = later {
            drop_panic_payload(payload);
        }
    }

    /// One task (or the body) is done.
    fn done(&self) {
        // AcqRel: each task's effects happen before the last decrement
        // (Acquire of the earlier Releases), whose `set` (Release)
        // publishes them all to the waiter.
        if self.unfinished.fetch_sub(1, Ordering::AcqRel) == 1 {
            match &self.waiter {
                Waiter::OwnPool => self.latch.set_and_wake(&self.pool.sleep),
                Waiter::OtherPool(pool) => self.latch.set_and_wake(&pool.sleep),
                Waiter::Thread => {
                    self.latch.set();
                    // The waiter checks the latch holding the lock.
                    drop(self.lock.lock());
                    self.finished.notify_all();
                }
            }
        }
    }
}

/// Marks one scope task done when dropped. A task's job returns it instead
/// of calling `done` itself, and `HeapJob` drops it after the job's call
/// has returned (see `HeapJob::into_job_ref`): until then the task's
/// borrows of the caller's locals are protected, and `done` may let the
/// caller read those locals at once. Miri (tree borrows, seed 5) caught a
/// `join` from outside the pool reading its result while the worker's
/// call still held the `&mut` it had written through.
struct TaskDone(Arc<ScopeLatch>);

impl Drop for TaskDone {
    fn drop(&mut self) {
        self.0.done();
    }
}

impl<'scope> Scope<'scope> {
    /// Runs `op` and waits for the scope's tasks. `worker` is the
    /// calling thread's pool worker, of this pool or another: it waits by
    /// running its own pool's jobs and sleeping in that pool's protocol.
    pub(crate) fn run<OP, R>(pool: &Arc<PoolShared>, worker: Option<&WorkerThread>, op: OP) -> R
    where
        OP: FnOnce(&Scope<'scope>) -> R,
    {
        let scope = Scope {
            latch: Arc::new(ScopeLatch {
                pool: Arc::clone(pool),
                unfinished: AtomicUsize::new(1),
                latch: Latch::new(),
                waiter: match worker {
                    None => Waiter::Thread,
                    Some(worker) if worker.is_of(pool) => Waiter::OwnPool,
                    Some(worker) => Waiter::OtherPool(Arc::clone(&worker.shared)),
                },
                lock: Mutex::new(None),
                finished: Condvar::new(),
            }),
            _scope: PhantomData,
        };
        let result = catch_unwind(AssertUnwindSafe(|| op(&scope)));
        scope.latch.done();
        // Wait for every task, whatever happened: they borrow from frames
        // that unwinding would pop.
        match worker {
            Some(worker) => worker.wait_until(&scope.latch.latch),
            None => {
                let mut guard = scope.latch.lock.lock();
                while !scope.latch.latch.is_set() {
                    guard = scope.latch.finished.wait(guard);
                }
            }
        }
        let task_panic = scope.latch.lock.lock().take();
        match (result, task_panic) {
            (Err(payload), task_panic) => {
                // Dropped before unwinding: a panic in its `Drop` while
                // `payload` unwinds would abort the process.
                if let Some(task_panic) = task_panic {
                    drop_panic_payload(task_panic);
                }
                resume_unwind(payload)
            }
            (Ok(_), Some(payload)) => resume_unwind(payload),
            (Ok(result), None) => result,
        }
    }

    /// Queues `task`, which may borrow from outside the scope and spawn
    /// more tasks through the `&Scope` it is given.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::WorkStealingPool::new(2)?;
    /// let words = ["a", "bb", "ccc"];
    /// let mut lengths = vec![0; 3];
    /// pool.scope(|s| {
    ///     for (word, length) in words.iter().zip(lengths.iter_mut()) {
    ///         s.spawn(move |_| *length = word.len());
    ///     }
    /// });
    /// assert_eq!(lengths, [1, 2, 3]);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn spawn<F>(&self, task: F)
    where
        F: FnOnce(&Scope<'scope>) + Send + 'scope,
    {
        // Relaxed: the push and pop of the job order this before the
        // task's own `done`.
        self.latch.unfinished.fetch_add(1, Ordering::Relaxed);
        let latch = Arc::clone(&self.latch);
        let job = move |_: &WorkerThread| {
            let scope = Scope {
                latch,
                _scope: PhantomData,
            };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task(&scope))) {
                scope.latch.record_panic(payload);
            }
            TaskDone(scope.latch)
        };
        // SAFETY: the job borrows only what outlives 'scope, and `run`
        // does not return (nor unwind) before every task's `done`.
        let job = unsafe { HeapJob::into_job_ref(job) };
        let pool = &self.latch.pool;
        match WorkerThread::current_of(pool) {
            Some(worker) => worker.push(job),
            None => pool.inject(job),
        }
    }

    /// Posts `task` to worker `index`'s broadcast inbox, where only that
    /// worker takes it; the task is given the worker. Wakes nobody: the
    /// caller posts one to every worker, then wakes them all. Counted in
    /// the scope like a spawned task (its panic re-raised by `run`).
    pub(crate) fn spawn_on_worker<F>(&self, index: usize, task: F)
    where
        F: FnOnce(&WorkerThread) + Send + 'scope,
    {
        // Relaxed: as in `spawn`.
        self.latch.unfinished.fetch_add(1, Ordering::Relaxed);
        let latch = Arc::clone(&self.latch);
        let job = move |worker: &WorkerThread| {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task(worker))) {
                latch.record_panic(payload);
            }
            TaskDone(latch)
        };
        // SAFETY: as in `spawn`: the job borrows only what outlives
        // 'scope, and `run` waits for its `done`. The inbox's worker runs
        // it: no worker exits while a broadcast is in flight
        // (`PoolShared::try_retire`).
        let job = unsafe { HeapJob::into_job_ref(job) };
        self.latch.pool.inboxes[index].push(job);
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            // Relaxed: a snapshot for display.
            .field("unfinished", &self.latch.unfinished.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
