//! What the pool's deques hold: [`JobRef`], a pointer to a job and the
//! function that runs it, so that a heap job (`spawn`, `scope`) and a job on
//! a joiner's stack (`join`) share one 16-byte, `Copy` element type and a
//! `join` allocates nothing (the layout rayon-core uses).
//!
//! This file, `job_blocks.rs`, `scope.rs` and `worker_thread.rs` hold the
//! crate's `unsafe` code; each block says why it is sound.

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use crate::pool::job_blocks;
use crate::pool::latch::Latch;
use crate::pool::worker_thread::WorkerThread;

/// A job in a deque: run it exactly once with [`execute`](Self::execute).
///
/// Equal when they point to the same job: `join` uses it to recognise its
/// own stack job popped back (a live stack job's address is shared by no
/// other job; zero-sized heap jobs share a dangling address, never a stack
/// one).
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobRef {
    pointer: *const (),
    execute_fn: unsafe fn(*const (), &WorkerThread),
}

// SAFETY: a JobRef is only made from jobs that may run on another thread
// (`HeapJob` requires `F: Send`; `StackJob` requires `F: Send, R: Send`),
// and the pointer is dereferenced only by the one thread that executes it.
unsafe impl Send for JobRef {}

impl PartialEq for JobRef {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.pointer, other.pointer)
    }
}

impl JobRef {
    /// Runs the job on `worker`.
    ///
    /// # Safety
    ///
    /// Each `JobRef` must be executed exactly once, and the job it points
    /// to must still be alive (see `HeapJob::into_job_ref` and
    /// `StackJob::as_job_ref`).
    pub(crate) unsafe fn execute(self, worker: &WorkerThread) {
        // SAFETY: forwarded from this function's contract.
        unsafe { (self.execute_fn)(self.pointer, worker) }
    }
}

/// A closure on the heap: what `spawn` and `Scope::spawn` queue. It goes
/// in a block of the spawning worker's [`JobBlocks`](crate::pool::job_blocks::JobBlocks) when it fits (the
/// worker that runs it keeps the block), else in a `Box`.
pub(crate) struct HeapJob;

impl HeapJob {
    /// Moves `job` to the heap; the block or box is given back or freed
    /// when the returned `JobRef` executes. `job` receives the worker that
    /// runs it. What it returns is dropped only after its call has
    /// returned: a scope task returns its completion signal (`scope.rs`),
    /// because while a call runs, the references it was given (the task's
    /// borrows of the scope caller's locals) are protected under Tree
    /// Borrows, and the signal lets the caller use those locals at once.
    /// `spawner` is the calling thread's worker, of any pool, if it is one:
    /// its spare blocks are used.
    ///
    /// # Safety
    ///
    /// `F` may borrow (the `JobRef` forgets its lifetime): the caller must
    /// make sure everything `job` borrows outlives its execution (`spawn`
    /// requires `'static`; `Scope` waits for its jobs).
    #[inline]
    pub(crate) unsafe fn into_job_ref<F, T>(job: F, spawner: Option<&WorkerThread>) -> JobRef
    where
        F: FnOnce(&WorkerThread) -> T + Send,
    {
        if job_blocks::fits::<F>() {
            let block =
                spawner.map_or_else(job_blocks::allocate, |worker| worker.job_blocks.take());
            // SAFETY: a block of layout `BLOCK`, which `F` fits (size and
            // alignment), used by nobody else.
            unsafe { block.cast::<F>().as_ptr().write(job) };
            JobRef {
                pointer: block.as_ptr().cast_const().cast::<()>(),
                execute_fn: execute_in_block::<F, T>,
            }
        } else {
            JobRef {
                pointer: Box::into_raw(Box::new(job)).cast_const().cast::<()>(),
                execute_fn: execute_boxed::<F, T>,
            }
        }
    }
}

/// Runs a job that [`HeapJob::into_job_ref`] put in a block; the running
/// worker keeps the block.
///
/// # Safety
///
/// `pointer` is a block holding an `F`, written by `into_job_ref`, and
/// this runs once (the contract of `JobRef`).
unsafe fn execute_in_block<F: FnOnce(&WorkerThread) -> T, T>(
    pointer: *const (),
    worker: &WorkerThread,
) {
    // SAFETY: the block holds an `F` (this function's contract), moved out
    // once, here.
    let job = unsafe { pointer.cast::<F>().read() };
    // SAFETY: a block of layout `BLOCK` (`into_job_ref` makes one only),
    // whose `F` was just moved out, and which nothing else uses: its one
    // `JobRef` is being executed.
    unsafe {
        worker
            .job_blocks
            .give_back(NonNull::new_unchecked(pointer.cast_mut().cast::<u8>()));
    }
    let finished = job(worker);
    // The job's call has returned: nothing it borrowed is protected.
    drop(finished);
}

/// Runs a job that [`HeapJob::into_job_ref`] boxed.
///
/// # Safety
///
/// `pointer` came from `Box::into_raw` of a `Box<F>`, and this runs once
/// (the contract of `JobRef`).
unsafe fn execute_boxed<F: FnOnce(&WorkerThread) -> T, T>(
    pointer: *const (),
    worker: &WorkerThread,
) {
    // SAFETY: this function's contract.
    let job = unsafe { Box::from_raw(pointer.cast::<F>().cast_mut()) };
    let finished = job(worker);
    // As in `execute_in_block`.
    drop(finished);
}

/// A job on the stack of a `join` caller: the closure, a slot for its
/// result, and a latch set once the result is in (which the caller may
/// sleep on).
pub(crate) struct StackJob<F, R> {
    job: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<std::thread::Result<R>>>,
    pub(crate) latch: Latch,
}

impl<F, R> StackJob<F, R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    pub(crate) fn new(job: F) -> Self {
        Self {
            job: UnsafeCell::new(Some(job)),
            result: UnsafeCell::new(None),
            latch: Latch::new(),
        }
    }

    /// A reference to queue.
    ///
    /// # Safety
    ///
    /// The caller must not let `self` move or drop until either
    /// [`is_done`](Self::is_done) returns true (another thread ran it) or it
    /// has taken the `JobRef` back out of its deque (and then runs it
    /// inline with [`run_inline`](Self::run_inline)).
    pub(crate) unsafe fn as_job_ref(&self) -> JobRef {
        unsafe fn execute<F: FnOnce() -> R, R>(pointer: *const (), worker: &WorkerThread) {
            // SAFETY: `pointer` is a live `StackJob<F, R>` (the contract of
            // `as_job_ref`), executed once (the contract of `JobRef`).
            let this = unsafe { &*pointer.cast::<StackJob<F, R>>() };
            // SAFETY: only the executing thread touches `job` and `result`
            // until `done` is set; the owner reads `result` after seeing it.
            let job = unsafe { (*this.job.get()).take() }.expect("a stack job runs once");
            let result = catch_unwind(AssertUnwindSafe(job));
            // SAFETY: as above.
            unsafe { *this.result.get() = Some(result) };
            // Publishes `result` to the owner (`Latch::set` is Release,
            // `is_done` Acquire). The last touch of `this`: the owner may
            // free it as soon as it sees the latch set, so the wake-up
            // goes through this worker's own handle on the pool, which is
            // the owner's pool (a stack job is only ever taken from its
            // owner's deque, by a worker of the same pool).
            if this.latch.set() {
                worker.shared.sleep.wake_latch_waiter();
            }
        }
        JobRef {
            pointer: std::ptr::from_ref(self).cast::<()>(),
            execute_fn: execute::<F, R>,
        }
    }

    /// Whether another thread has run the job; its result is then ready.
    pub(crate) fn is_done(&self) -> bool {
        self.latch.is_set()
    }

    /// The job itself, to call on this thread, uncaught: its `JobRef` was
    /// popped back unrun (see `WorkerThread::finish_inline`).
    pub(crate) fn into_job(self) -> F {
        self.job.into_inner().expect("a stack job runs once")
    }

    /// Runs the job on this thread: its `JobRef` was popped back unrun.
    pub(crate) fn run_inline(self) -> std::thread::Result<R> {
        catch_unwind(AssertUnwindSafe(self.into_job()))
    }

    /// The result of a job another thread ran (after `is_done`).
    pub(crate) fn into_result(self) -> std::thread::Result<R> {
        debug_assert!(self.is_done());
        self.result.into_inner().expect("is_done: the result is in")
    }
}
