//! [`WorkerThread`]: one pool thread's deque and identity, and how it finds
//! its next job.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crossbeam_deque::{Steal, Worker};

use std::panic::resume_unwind;

use atomics_kit::drop_panic_payload;

use crate::pool::detached_job;
use crate::pool::job::{JobRef, StackJob};
use crate::pool::job_blocks::JobBlocks;
use crate::pool::latch::Latch;
use crate::pool::reraise;
use crate::pool::shared::PoolShared;

/// Rounds of looking for work (backing off between them) before an idle
/// worker, or one waiting in `join` or `scope`, parks; rayon-core also
/// searches 32 rounds.
pub(crate) const SEARCH_ROUNDS: usize = 32;

/// How often a worker serving its own pool while it waits for another
/// (`serve_until`, and `wait_idle` of another pool) looks for its own
/// pool's work when it found none.
pub(crate) const SERVING_POLL: std::time::Duration = std::time::Duration::from_millis(1);

/// The pool thread running this code, if any.
pub(crate) struct WorkerThread {
    pub(crate) shared: Arc<PoolShared>,
    pub(crate) index: usize,
    deque: Worker<JobRef>,
    /// A xorshift state: where the next round of stealing starts.
    victim_seed: Cell<u64>,
    /// Set once the worker left its loop: the thread only exits now (its
    /// thread-locals' destructors may still spawn).
    retired: Cell<bool>,
    /// Spare blocks for the heap jobs this thread spawns (see
    /// `job_blocks.rs`).
    pub(crate) job_blocks: JobBlocks,
    /// The pool's only worker: nobody steals from its deque (see `join`).
    alone: bool,
    /// The only worker's `join` second halves not run yet, newest last: a
    /// stack only this worker touches, in place of its deque (see `join`);
    /// [`find_job`](Self::find_job) takes from it first.
    unqueued: RefCell<Vec<JobRef>>,
}

thread_local! {
    /// This thread's worker, owned for the thread's whole life.
    static CURRENT: RefCell<Option<Installed>> = const { RefCell::new(None) };
    /// The same worker as a plain pointer, for `join`'s hot path: a
    /// `const` thread-local without a destructor is one load to read, where
    /// `CURRENT` costs a liveness check, a borrow and a reference count.
    /// Non-null exactly while `CURRENT` holds the worker (see `Installed`).
    static CURRENT_PTR: Cell<*const WorkerThread> = const { Cell::new(std::ptr::null()) };
}

/// The worker in `CURRENT`: clears `CURRENT_PTR` before the worker can be
/// dropped, so that the pointer never dangles, even for code that runs in
/// a thread-local destructor after `CURRENT`'s.
struct Installed(Rc<WorkerThread>);

impl Drop for Installed {
    fn drop(&mut self) {
        // A const thread-local without a destructor stays accessible
        // while the thread's other thread-locals are destroyed.
        CURRENT_PTR.with(|current| current.set(std::ptr::null()));
    }
}

impl WorkerThread {
    pub(crate) fn new(shared: Arc<PoolShared>, index: usize, deque: Worker<JobRef>) -> Self {
        Self {
            index,
            deque,
            // Wrapping: any bits make a seed (a plain multiply overflowed
            // from index 2 on and killed the worker in debug builds).
            victim_seed: Cell::new((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            retired: Cell::new(false),
            job_blocks: JobBlocks::new(),
            alone: shared.stealers.len() == 1,
            unqueued: RefCell::new(Vec::new()),
            shared,
        }
    }

    /// Makes `self` this thread's worker (the thread's whole life).
    pub(crate) fn install(self) -> Rc<WorkerThread> {
        let worker = Rc::new(self);
        CURRENT.with(|current| *current.borrow_mut() = Some(Installed(Rc::clone(&worker))));
        CURRENT_PTR.with(|current| current.set(Rc::as_ptr(&worker)));
        worker
    }

    /// This thread's worker, if it is a thread of any pool.
    pub(crate) fn current() -> Option<Rc<WorkerThread>> {
        CURRENT
            .try_with(|current| {
                current
                    .borrow()
                    .as_ref()
                    .map(|installed| Rc::clone(&installed.0))
            })
            .ok()
            .flatten()
    }

    /// Runs `f` with this thread's worker, if it is a thread of any pool,
    /// without touching a reference count: `join`'s way in.
    #[inline]
    pub(crate) fn with_current<R>(f: impl FnOnce(Option<&WorkerThread>) -> R) -> R {
        let current = CURRENT_PTR.with(Cell::get);
        // SAFETY: non-null only while `CURRENT` owns the worker (set after
        // it is stored, cleared by `Installed::drop` before it is dropped),
        // and `CURRENT` keeps it until the thread's thread-locals are
        // destroyed: after `f` returns, since `f` runs within this call.
        f(unsafe { current.as_ref() })
    }

    /// Whether this worker is one of `shared`'s pool threads.
    #[inline]
    pub(crate) fn is_of(&self, shared: &Arc<PoolShared>) -> bool {
        Arc::ptr_eq(&self.shared, shared)
    }

    /// This thread's worker, if it is one of `shared`'s pool threads.
    pub(crate) fn current_of(shared: &Arc<PoolShared>) -> Option<Rc<WorkerThread>> {
        Self::current().filter(|worker| worker.is_of(shared))
    }

    /// Queues `job` on this worker's deque, where it runs next here unless
    /// an idle worker steals it first (and wakes one for that, as a hint:
    /// this worker runs the job itself if nobody does).
    #[inline]
    pub(crate) fn push(&self, job: JobRef) {
        self.deque.push(job);
        self.shared.sleep.notify_one_for_local_job();
    }

    /// Pops the newest job of this worker's own deque.
    #[inline]
    pub(crate) fn pop_local(&self) -> Option<JobRef> {
        self.deque.pop()
    }

    /// The next job, in crossbeam-deque's documented order: this worker's
    /// deque (newest first), its broadcast inbox, then a batch from the injector, then one job
    /// stolen from another worker (oldest first), starting at a random
    /// victim; all again while any steal says `Retry`.
    pub(crate) fn find_job(&self) -> Option<JobRef> {
        // A one-thread pool's `join` halves, which only this worker can
        // see: a wait inside a first half runs its second (see `join`).
        if self.alone {
            let unqueued = self.unqueued.borrow_mut().pop();
            if unqueued.is_some() {
                return unqueued;
            }
        }
        if let Some(job) = self.deque.pop() {
            return Some(job);
        }
        let stealers = &self.shared.stealers;
        let inbox = &self.shared.inboxes[self.index];
        loop {
            let mut retry = false;
            // This worker's share of a broadcast: only it takes from its
            // inbox, so it comes before any other thread's work.
            match inbox.steal() {
                Steal::Success(job) => return Some(job),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            match self.shared.injector.steal_batch_and_pop(&self.deque) {
                Steal::Success(job) => return Some(job),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            let start = self.next_victim() % stealers.len();
            for offset in 0..stealers.len() {
                let victim = (start + offset) % stealers.len();
                if victim == self.index {
                    continue;
                }
                match stealers[victim].steal() {
                    Steal::Success(job) => {
                        self.shared.counters[self.index].count_stolen();
                        return Some(job);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Waits until `latch` is set, running this worker's pool's jobs
    /// meanwhile: its own deque's, the injector's, stolen ones. When there
    /// are none it searches a while, then sleeps in the pool's sleep
    /// protocol until new work (a broadcast job for this worker included)
    /// or the latch's setter wakes it, so a worker
    /// waiting for a long stolen job uses no CPU. The latch may belong to
    /// another pool (a `scope` of pool B called on a worker of pool A):
    /// the worker keeps serving its own pool while it waits, which is what
    /// keeps two pools waiting on each other from deadlocking.
    pub(crate) fn wait_until(&self, latch: &Latch) {
        let shared = &self.shared;
        shared.sleep.wait_for_latch(
            latch,
            SEARCH_ROUNDS,
            || match self.find_job() {
                Some(job) => {
                    self.execute(job);
                    true
                }
                None => false,
            },
            || shared.has_work() || shared.has_broadcast(self.index),
        );
    }

    /// Runs this worker's pool's jobs until `done` returns `true`, for a
    /// wait on another pool that no latch ends (its `shutdown` waiting for
    /// calls it admitted and for its threads to exit): that pool's work
    /// may be waiting on one of ours, and this worker may be the one that
    /// would run it. With nothing to run it looks again every
    /// [`SERVING_POLL`].
    pub(crate) fn serve_until(&self, mut done: impl FnMut() -> bool) {
        while !done() {
            match self.find_job() {
                Some(job) => self.execute(job),
                None => std::thread::sleep(SERVING_POLL),
            }
        }
    }

    /// `join` on this worker: `b` goes on this worker's deque (on the
    /// stack: no allocation), `a` runs here, then `b` runs here too if it
    /// was not stolen; if it was, this worker waits for it
    /// ([`wait_until`](Self::wait_until)). Re-raises a panic of either
    /// (`a`'s first) after both finished.
    ///
    /// The only worker of its pool keeps `b` in a plain stack of its own
    /// (`unqueued`) instead of its deque: only the pool's other workers
    /// steal from a deque, so nobody else could take it, and crossbeam's
    /// push and fenced pop bought nothing. This worker still can: a wait
    /// inside `a` (on another pool, say, whose task waits for `b`) runs
    /// other jobs, `b` first ([`find_job`](Self::find_job)); running `a`
    /// and then `b` regardless deadlocked there (a break run).
    pub(crate) fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        if self.alone {
            let b_job = StackJob::new(b);
            // SAFETY: `b_job` stays in place until it is seen done or its
            // JobRef is taken back below; `a` runs under catch_unwind, so
            // nothing unwinds past it meanwhile.
            let b_ref = unsafe { b_job.as_job_ref() };
            self.unqueued.borrow_mut().push(b_ref);
            let a_result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(a));
            // Every join `a` made took its own half back before returning,
            // so `b` is on top, unless a wait inside `a` ran it already.
            let taken_back = {
                let mut unqueued = self.unqueued.borrow_mut();
                let on_top = unqueued.last() == Some(&b_ref);
                if on_top {
                    unqueued.pop();
                }
                on_top
            };
            if taken_back {
                return Self::finish_inline(a_result, b_job);
            }
            return Self::joined(a_result, b_job.into_result());
        }
        let worker = self;
        let b_job = StackJob::new(b);
        // SAFETY: `b_job` stays in place until the loop below sees it done
        // or pops its JobRef back; nothing in between can unwind past it
        // (`a` runs under catch_unwind).
        let b_ref = unsafe { b_job.as_job_ref() };
        worker.push(b_ref);
        let a_result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(a));
        let b_result = loop {
            if b_job.is_done() {
                break b_job.into_result();
            }
            match worker.pop_local() {
                Some(job) if job == b_ref => return Self::finish_inline(a_result, b_job),
                Some(job) => worker.execute(job),
                None => {
                    // `b` was stolen: help with other work, else sleep,
                    // until the thief sets its latch.
                    worker.wait_until(&b_job.latch);
                    break b_job.into_result();
                }
            }
        };
        Self::joined(a_result, b_result)
    }

    /// Runs a `join`'s second half here, now that the first returned
    /// `a_result`, and returns both results, or re-raises a panic (`a`'s
    /// first). When `a` returned a value without drop glue, `b` runs
    /// without `catch_unwind`: its panic may unwind through the `join`
    /// directly, since dropping that value runs no user code. The hot path
    /// of every inline `join`: fib through the free `join` at 2 threads,
    /// 9 runs of 31 paired rounds each way, went from 1.01-1.07x rayon
    /// (mean 1.05x) with `b` always caught to 1.02-1.17x (mean 1.09x).
    #[inline]
    fn finish_inline<B, RA, RB>(
        a_result: std::thread::Result<RA>,
        b_job: StackJob<B, RB>,
    ) -> (RA, RB)
    where
        B: FnOnce() -> RB + Send,
        RB: Send,
    {
        match a_result {
            Ok(a) if !std::mem::needs_drop::<RA>() => (a, b_job.into_job()()),
            a_result => Self::joined(a_result, b_job.run_inline()),
        }
    }

    /// Both results of a `join`, or the panic to re-raise (`a`'s first).
    fn joined<RA, RB>(
        a_result: std::thread::Result<RA>,
        b_result: std::thread::Result<RB>,
    ) -> (RA, RB) {
        match (a_result, b_result) {
            (Ok(a), Ok(b)) => (a, b),
            // The other half's result is not dropped while the panic
            // unwinds.
            (Err(payload), Ok(b)) => reraise::resume_after_dropping(payload, b),
            (Ok(a), Err(payload)) => reraise::resume_after_dropping(payload, a),
            (Err(payload), Err(b_payload)) => {
                // `a`'s wins; `b`'s is dropped before unwinding, where a
                // panic in its `Drop` would abort the process.
                drop_panic_payload(b_payload);
                resume_unwind(payload)
            }
        }
    }

    /// Queues a detached task on this worker's deque (a task's spawns are
    /// part of the work its pool drains: always accepted).
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.task_queued();
        let job = detached_job(task, Some(self));
        if self.retired.get() {
            // Spawned as the thread exits (a thread-local's destructor):
            // nobody would take it from this deque, and the other workers
            // may be gone too. It runs here, now.
            self.execute(job);
        } else {
            self.push(job);
        }
    }

    /// Marks the worker as out of its loop: from now on its own spawns
    /// run at once (see [`spawn`](Self::spawn)).
    pub(crate) fn retire(&self) {
        self.retired.set(true);
    }

    /// Runs `job` here. Counted first, so that the count includes a task
    /// as soon as its effects can be seen (by `wait_idle`, say).
    #[inline]
    pub(crate) fn execute(&self, job: JobRef) {
        self.shared.counters[self.index].count_executed();
        // SAFETY: every JobRef comes out of a deque or the injector exactly
        // once, and its job is alive until it runs (heap jobs own their
        // box; stack jobs are waited for by their `join`).
        unsafe { job.execute(self) };
    }

    fn next_victim(&self) -> usize {
        let mut state = self.victim_seed.get();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        self.victim_seed.set(state);
        // Truncation is fine: any bits pick a victim.
        #[allow(clippy::cast_possible_truncation)]
        let victim = state as usize;
        victim
    }
}
