//! [`Scope`]: tasks that borrow from the stack of a `scope` caller.

use atomics_kit::drop_panic_payload;
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::sync::{Condvar, Mutex};

use crate::pool::job::HeapJob;
use crate::pool::latch::Latch;
use crate::pool::reraise;
use crate::pool::shared::PoolShared;
use crate::pool::worker_thread::WorkerThread;

/// Spawns tasks that may borrow anything outliving the
/// [`scope`](crate::WorkStealingPool::scope) call (or the free
/// [`scope`](fn@crate::pool::scope)); the scope returns only after
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
    /// The scope's shared state, in an `Arc` that `run` holds until every
    /// task has finished (the latch is set), so it outlives every `Scope`
    /// (each task's lives until that task's `done`). Tasks point to it
    /// rather than each holding a clone of the `Arc`: two locked
    /// read-modify-writes less per task, as rayon's scope does.
    latch: NonNull<ScopeLatch>,
    /// Invariant in `'scope`, as `std::thread::Scope` is.
    _scope: PhantomData<&'scope mut &'scope ()>,
}

// SAFETY: a `Scope` gives only shared access to its `ScopeLatch`, which is
// `Sync` (atomics, a latch, a mutex, a condvar, `Arc`s) and outlives it
// (see `latch`): what an `Arc<ScopeLatch>` was, which these bounds match.
unsafe impl Send for Scope<'_> {}
// SAFETY: as for `Send`.
unsafe impl Sync for Scope<'_> {}

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

    /// Counts one task (or the body) finished; the last one sets the latch.
    ///
    /// # Safety
    ///
    /// `latch` points into `run`'s `Arc`, and the caller's own count in
    /// `unfinished` is not given back yet (so `run` still waits, holding
    /// the `Arc`). After this call the caller must not touch the latch.
    unsafe fn done(latch: NonNull<ScopeLatch>) {
        // SAFETY: alive until our count is given back (the caller's
        // contract). Only an `&AtomicUsize` is made: interior-mutable
        // shared references may see their memory freed while in use (as
        // `Arc::drop`'s does, rust-lang/rust#98017), which is what happens
        // when the decrement below is not the last one.
        let unfinished = unsafe { &(*latch.as_ptr()).unfinished };
        // AcqRel: each task's effects happen before the last decrement
        // (Acquire of the earlier Releases), whose `set` (Release)
        // publishes them all to the waiter.
        if unfinished.fetch_sub(1, Ordering::AcqRel) != 1 {
            // Not the last: the latch may be gone from here on.
            return;
        }
        // SAFETY: the last count: nobody sets the latch but us, so `run`
        // still holds its `Arc` (the pointer came from `Arc::as_ptr`). A
        // strong count of our own keeps the latch alive through the
        // wake-up below, after which `run` may drop its `Arc` at once.
        let this = unsafe {
            Arc::increment_strong_count(latch.as_ptr());
            Arc::from_raw(latch.as_ptr())
        };
        this.finish();
    }

    /// The last count is given back: sets the latch and wakes the waiter.
    fn finish(&self) {
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

/// Marks one scope task done when dropped. A task's job returns it instead
/// of calling `done` itself, and `HeapJob` drops it after the job's call
/// has returned (see `HeapJob::into_job_ref`): until then the task's
/// borrows of the caller's locals are protected, and `done` may let the
/// caller read those locals at once. Miri (tree borrows, seed 5) caught a
/// `join` from outside the pool reading its result while the worker's
/// call still held the `&mut` it had written through.
struct TaskDone(NonNull<ScopeLatch>);

impl Drop for TaskDone {
    fn drop(&mut self) {
        // SAFETY: made from a task's `Scope` (so the latch is `run`'s,
        // alive) for that task's count, given back here once; nothing
        // touches the latch through it afterwards.
        unsafe { ScopeLatch::done(self.0) };
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
        let owner = Arc::new(ScopeLatch {
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
        });
        let scope = Scope {
            // `as_ptr`: the pointer keeps the provenance of the whole
            // allocation, which `done` needs to take a strong count.
            latch: NonNull::new(Arc::as_ptr(&owner).cast_mut()).expect("an Arc is never null"),
            _scope: PhantomData,
        };
        let result = catch_unwind(AssertUnwindSafe(|| op(&scope)));
        // SAFETY: the body's count (the 1 it started with), given back
        // once; `owner` keeps the latch alive.
        unsafe { ScopeLatch::done(scope.latch) };
        // Wait for every task, whatever happened: they borrow from frames
        // that unwinding would pop.
        match worker {
            Some(worker) => worker.wait_until(&owner.latch),
            None => {
                let mut guard = owner.lock.lock();
                while !owner.latch.is_set() {
                    guard = owner.finished.wait(guard);
                }
            }
        }
        let task_panic = owner.lock.lock().take();
        match (result, task_panic) {
            (Err(payload), task_panic) => {
                // Dropped before unwinding: a panic in its `Drop` while
                // `payload` unwinds would abort the process.
                if let Some(task_panic) = task_panic {
                    drop_panic_payload(task_panic);
                }
                resume_unwind(payload)
            }
            // The body's result is not dropped while the task's panic
            // unwinds.
            (Ok(result), Some(payload)) => reraise::resume_after_dropping(payload, result),
            (Ok(result), None) => result,
        }
    }

    /// The scope's shared state.
    fn shared(&self) -> &ScopeLatch {
        // SAFETY: the latch outlives every `Scope` (see `latch`): `run`'s
        // own is dropped before `run` drops its `Arc`, and a task's before
        // that task's `done`.
        unsafe { self.latch.as_ref() }
    }

    /// Queues `task`, which may borrow from outside the scope and spawn
    /// more tasks through the `&Scope` it is given.
    ///
    /// # Panics
    ///
    /// If `task` is a 32nd or more of a worker's stack (see
    /// [`PoolBuilder::stack_size`](crate::PoolBuilder::stack_size)), once
    /// `task` is dropped, without queueing it.
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
        // Refused only when made outside the pool: a task made on one of
        // its workers sits on that worker's stack already, so it fits.
        let task = self
            .shared()
            .pool
            .fitting::<F, (), _>("a scope's task", task);
        // Relaxed: the push and pop of the job order this before the
        // task's own `done`.
        self.shared().unfinished.fetch_add(1, Ordering::Relaxed);
        let scope = Scope {
            latch: self.latch,
            _scope: PhantomData,
        };
        let job = move |_: &WorkerThread| {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task(&scope))) {
                scope.shared().record_panic(payload);
            }
            // Counted done only after the call has returned (see
            // `TaskDone`).
            TaskDone(scope.latch)
        };
        let pool = &self.shared().pool;
        // The thread-local pointer, not `current_of`'s `Rc` clone: this is
        // every task's path.
        WorkerThread::with_current(|worker| {
            // SAFETY: the job borrows only what outlives 'scope, and `run`
            // does not return (nor unwind) before every task's `done`.
            let job = unsafe { HeapJob::into_job_ref(job, worker) };
            match worker {
                Some(worker) if worker.is_of(pool) => worker.push(job),
                _ => pool.inject(job),
            }
        });
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
        self.shared().unfinished.fetch_add(1, Ordering::Relaxed);
        let scope = Scope {
            latch: self.latch,
            _scope: PhantomData,
        };
        let job = move |worker: &WorkerThread| {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| task(worker))) {
                scope.shared().record_panic(payload);
            }
            TaskDone(scope.latch)
        };
        // SAFETY: as in `spawn`: the job borrows only what outlives
        // 'scope, and `run` waits for its `done`. The inbox's worker runs
        // it: no worker exits while a broadcast is in flight
        // (`PoolShared::try_retire`).
        let job =
            WorkerThread::with_current(|worker| unsafe { HeapJob::into_job_ref(job, worker) });
        self.shared().pool.inboxes[index].push(job);
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            // Relaxed: a snapshot for display.
            .field(
                "unfinished",
                &self.shared().unfinished.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}
