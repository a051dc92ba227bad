//! The worker pool's job queue: [`JobQueue`], shared by the pool and its
//! workers, and each worker's own [`LocalJobs`].
//!
//! Submissions push onto one shared injector (crossbeam-deque's
//! `Injector`). A worker of an unbounded pool takes from it in batches, into
//! a FIFO deque of its own (`steal_batch_and_pop`: up to 32 jobs for one
//! claim on the injector's head, where a channel's receivers contend on the
//! head once per job), runs its own deque first, and once both are empty
//! takes single jobs from the other workers' deques, so a job queued behind
//! a long one never waits while a worker is idle. A job taken from another
//! worker goes straight to running, never into the taker's deque: jobs only
//! ever move from the injector into a deque and from there to a worker,
//! which is what keeps [`JobQueue::len`] from counting one twice.
//!
//! A bounded pool counts the jobs accepted and not started, and its workers
//! take single jobs (a batch taken into a deque would leave room in the
//! injector for more than the bound).
//!
//! Jobs larger than [`MAX_INLINE_JOB`] are boxed ([`Jobs`]): the deques
//! allocate room for dozens before the first arrives.
//!
//! An idle worker spins briefly, then parks on a [`WaitSet`]; a push, a
//! batch that leaves jobs in a worker's deque, and the close each wake one
//! (the close all). Their changes and the sleeper's re-check are ordered by
//! `SeqCst` fences on both sides (see [`JobQueue::has_work`]), whatever
//! orderings crossbeam-deque uses inside.

use crate::queue::wait_set::WaitSet;
use crate::sync::deque::{Injector, Steal, Stealer, Worker};
use crate::sync::{fence, AtomicBool, AtomicUsize, Backoff, Ordering};

/// The jobs of one pool, queued and in the workers' deques (see the
/// module's docs).
pub(super) struct JobQueue<T> {
    injector: Injector<T>,
    /// One per worker, in worker order: to take jobs from another worker's
    /// deque, and to count and take back what the deques hold.
    stealers: Box<[Stealer<T>]>,
    /// `Some` for a bounded pool.
    bound: Option<Bound>,
    /// Set once the pool stops: no job is pushed after it, and workers
    /// leave once they find no job.
    closed: AtomicBool,
    idle_workers: WaitSet,
}

/// The bound of a bounded pool's queue: the jobs accepted and not yet
/// started (or taken back), and the submitters waiting for room.
struct Bound {
    capacity: usize,
    pending: AtomicUsize,
    room: WaitSet,
}

/// One worker's own deque of jobs, taken from the injector in batches.
pub(super) struct LocalJobs<T> {
    jobs: Worker<T>,
    /// The worker's place in [`JobQueue::stealers`]: its own is skipped,
    /// and the others are tried from the next one on.
    index: usize,
}

impl<T> JobQueue<T> {
    /// A queue for `workers` workers, bounded to `capacity` jobs accepted
    /// and not started if `Some`, and each worker's deque, in order.
    pub(super) fn new(workers: usize, capacity: Option<usize>) -> (Self, Vec<LocalJobs<T>>) {
        let locals: Vec<LocalJobs<T>> = (0..workers)
            .map(|index| LocalJobs {
                jobs: Worker::new_fifo(),
                index,
            })
            .collect();
        let queue = Self {
            injector: Injector::new(),
            stealers: locals.iter().map(|local| local.jobs.stealer()).collect(),
            bound: capacity.map(|capacity| Bound {
                capacity,
                pending: AtomicUsize::new(0),
                room: WaitSet::new(),
            }),
            closed: AtomicBool::new(false),
            idle_workers: WaitSet::new(),
        };
        (queue, locals)
    }

    /// Makes room for one more job: at once in an unbounded queue; in a
    /// bounded one, waiting while it is full.
    pub(super) fn reserve(&self) {
        let Some(bound) = &self.bound else {
            return;
        };
        let backoff = Backoff::new();
        while !bound.try_reserve() {
            if backoff.is_completed() {
                bound.room.wait_unless(|| bound.has_room(), None);
            } else {
                backoff.snooze();
            }
        }
    }

    /// Makes room for one more job if there is room: `false` when a
    /// bounded queue is full.
    pub(super) fn try_reserve(&self) -> bool {
        self.bound.as_ref().is_none_or(Bound::try_reserve)
    }

    /// Queues a job that [`reserve`](Self::reserve) or
    /// [`try_reserve`](Self::try_reserve) made room for, and wakes
    /// an idle worker if there is one.
    pub(super) fn push(&self, job: T) {
        self.injector.push(job);
        // SeqCst: orders the push before the read of the sleepers, against
        // a sleeper's count and re-check (see `has_work`).
        fence(Ordering::SeqCst);
        self.idle_workers.notify_one();
    }

    /// The next job for the worker that owns `local`, waiting while there
    /// is none; `None` once the queue is closed and has no job left for it
    /// (jobs still in other workers' deques are theirs to run).
    pub(super) fn next(&self, local: &LocalJobs<T>) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            if let Some(job) = self.find(local) {
                return Some(self.started(job));
            }
            // SeqCst: reads `close`'s swap; every push happened before it
            // (the pool closes after its last submission), so one more look
            // sees every job left.
            if self.closed.load(Ordering::SeqCst) {
                return self.find(local).map(|job| self.started(job));
            }
            if backoff.is_completed() {
                self.idle_workers.wait_unless(|| self.has_work(), None);
            } else {
                backoff.snooze();
            }
        }
    }

    /// Takes back every job not started (for `shutdown_now`): those queued
    /// and those in the workers' deques. A job a worker is moving from the
    /// injector into its deque right now is missed here and run by it.
    pub(super) fn take_all(&self) -> Vec<T> {
        let mut taken = Vec::new();
        while let Some(job) = settle(|| self.injector.steal()) {
            taken.push(job);
        }
        for stealer in self.stealers.iter() {
            while let Some(job) = settle(|| stealer.steal()) {
                taken.push(job);
            }
        }
        if let Some(bound) = &self.bound {
            bound.release(taken.len());
        }
        taken
    }

    /// Closes the queue: no job is pushed after this (the pool's gate has
    /// refused and drained every submission before), and every worker
    /// leaves once it finds no job.
    pub(super) fn close(&self) {
        // SeqCst: a read-modify-write, the change `WaitSet` orders against
        // the sleepers' counts; and a release of every push before it.
        self.closed.swap(true, Ordering::SeqCst);
        self.idle_workers.notify_all();
        if let Some(bound) = &self.bound {
            bound.room.notify_all();
        }
    }

    /// The jobs queued and in the workers' deques, not yet started: a
    /// snapshot, which may miss jobs that move while it is taken, and never
    /// counts one twice (the deques are read first, and a job only moves
    /// from the injector into a deque, see the module's docs).
    pub(super) fn len(&self) -> usize {
        let in_deques: usize = self.stealers.iter().map(Stealer::len).sum();
        in_deques + self.injector.len()
    }

    /// A job from the worker's own deque, else from the injector (a batch,
    /// for an unbounded pool), else from another worker's deque.
    fn find(&self, local: &LocalJobs<T>) -> Option<T> {
        if let Some(job) = local.jobs.pop() {
            return Some(job);
        }
        let from_injector = settle(|| {
            if self.bound.is_some() {
                self.injector.steal()
            } else {
                self.injector.steal_batch_and_pop(&local.jobs)
            }
        });
        if let Some(job) = from_injector {
            if !local.jobs.is_empty() {
                // Jobs wait in this deque while this worker runs one: an
                // idle worker may take them. SeqCst: as in `push`.
                fence(Ordering::SeqCst);
                self.idle_workers.notify_one();
            }
            return Some(job);
        }
        let workers = self.stealers.len();
        (1..workers).find_map(|offset| {
            let other = &self.stealers[(local.index + offset) % workers];
            settle(|| other.steal())
        })
    }

    /// `job` is about to start: it no longer counts against the bound.
    fn started(&self, job: T) -> T {
        if let Some(bound) = &self.bound {
            bound.release(1);
        }
        job
    }

    /// Whether a worker about to sleep should look again: the queue
    /// closed, or a job is queued or waits in a worker's deque. The
    /// sleeper's re-check in `WaitSet`'s protocol: the fence orders it
    /// after the sleeper's count, as the notifiers' fences order their
    /// changes before their reads of the count, so either the sleeper sees
    /// the change or the notifier sees the sleeper.
    fn has_work(&self) -> bool {
        fence(Ordering::SeqCst);
        // SeqCst: see above and `close`.
        self.closed.load(Ordering::SeqCst)
            || !self.injector.is_empty()
            || self.stealers.iter().any(|stealer| !stealer.is_empty())
    }
}

impl Bound {
    /// Claims a place if the queue is not full.
    fn try_reserve(&self) -> bool {
        // Relaxed: the count publishes nothing (the job itself travels
        // through the injector); the claim is a read-modify-write, so two
        // submitters never take the last place both.
        let mut pending = self.pending.load(Ordering::Relaxed);
        while pending < self.capacity {
            match self.pending.compare_exchange_weak(
                pending,
                pending + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => pending = now,
            }
        }
        false
    }

    /// `jobs` places are free again: wakes the submitters waiting for one.
    fn release(&self, jobs: usize) {
        if jobs == 0 {
            return;
        }
        // SeqCst: the change of condition `WaitSet`'s protocol orders
        // against the waiting submitters' counts.
        self.pending.fetch_sub(jobs, Ordering::SeqCst);
        if jobs == 1 {
            self.room.notify_one();
        } else {
            self.room.notify_all();
        }
    }

    /// Whether a place is free: a waiting submitter's re-check.
    fn has_room(&self) -> bool {
        // SeqCst: `WaitSet`'s re-check, against `release`.
        self.pending.load(Ordering::SeqCst) < self.capacity
    }
}

/// What `steal` takes once it settles: it is tried again while it says
/// `Retry` (it lost a race with another thief, and may find a job yet).
fn settle<T>(mut steal: impl FnMut() -> Steal<T>) -> Option<T> {
    loop {
        match steal() {
            Steal::Success(job) => return Some(job),
            Steal::Empty => return None,
            Steal::Retry => {}
        }
    }
}

/// The largest job (with its id) a queue holds by value, in bytes; larger
/// ones are boxed. crossbeam-deque allocates room for jobs before any
/// arrives (each worker's deque 64 slots, the injector a block of 63), so by
/// value, large jobs cost that much memory per worker at once: a break
/// run's 64 GiB jobs made the pool's `build` abort the process allocating
/// 4 TiB. Boxed, a slot is one pointer, and a job that large pays one
/// allocation beside copying itself.
const MAX_INLINE_JOB: usize = 256;

/// A pool's [`JobQueue`], holding its jobs by value, or boxed when they
/// are larger than [`MAX_INLINE_JOB`] (decided once, by the job's type).
pub(super) enum Jobs<J> {
    Inline(JobQueue<J>),
    Boxed(JobQueue<Box<J>>),
}

/// A worker's [`LocalJobs`], of the same kind as its pool's [`Jobs`].
pub(super) enum WorkerJobs<J> {
    Inline(LocalJobs<J>),
    Boxed(LocalJobs<Box<J>>),
}

impl<J> Jobs<J> {
    /// [`JobQueue::new`], boxing the jobs if they are large.
    pub(super) fn new(workers: usize, capacity: Option<usize>) -> (Self, Vec<WorkerJobs<J>>) {
        if std::mem::size_of::<J>() <= MAX_INLINE_JOB {
            let (queue, locals) = JobQueue::new(workers, capacity);
            let locals = locals.into_iter().map(WorkerJobs::Inline).collect();
            (Self::Inline(queue), locals)
        } else {
            let (queue, locals) = JobQueue::new(workers, capacity);
            let locals = locals.into_iter().map(WorkerJobs::Boxed).collect();
            (Self::Boxed(queue), locals)
        }
    }

    /// [`JobQueue::reserve`].
    pub(super) fn reserve(&self) {
        match self {
            Self::Inline(queue) => queue.reserve(),
            Self::Boxed(queue) => queue.reserve(),
        }
    }

    /// [`JobQueue::try_reserve`].
    pub(super) fn try_reserve(&self) -> bool {
        match self {
            Self::Inline(queue) => queue.try_reserve(),
            Self::Boxed(queue) => queue.try_reserve(),
        }
    }

    /// [`JobQueue::push`].
    pub(super) fn push(&self, job: J) {
        match self {
            Self::Inline(queue) => queue.push(job),
            Self::Boxed(queue) => queue.push(Box::new(job)),
        }
    }

    /// [`JobQueue::next`], for a worker whose deque came with this queue.
    pub(super) fn next(&self, local: &WorkerJobs<J>) -> Option<J> {
        match (self, local) {
            (Self::Inline(queue), WorkerJobs::Inline(local)) => queue.next(local),
            (Self::Boxed(queue), WorkerJobs::Boxed(local)) => queue.next(local).map(|job| *job),
            _ => unreachable!("a worker's deque is of its pool's kind"),
        }
    }

    /// [`JobQueue::take_all`].
    pub(super) fn take_all(&self) -> Vec<J> {
        match self {
            Self::Inline(queue) => queue.take_all(),
            Self::Boxed(queue) => queue.take_all().into_iter().map(|job| *job).collect(),
        }
    }

    /// [`JobQueue::close`].
    pub(super) fn close(&self) {
        match self {
            Self::Inline(queue) => queue.close(),
            Self::Boxed(queue) => queue.close(),
        }
    }

    /// [`JobQueue::len`].
    pub(super) fn len(&self) -> usize {
        match self {
            Self::Inline(queue) => queue.len(),
            Self::Boxed(queue) => queue.len(),
        }
    }
}

/// The queue as loom models drive it (`tests/loom.rs`): jobs are numbers,
/// each model thread a worker with its own deque.
#[cfg(loom)]
pub mod model {
    /// A [`JobQueue`](super::JobQueue) of `u32` jobs.
    pub struct Queue(super::JobQueue<u32>);

    /// One worker's deque: the worker's half of the model.
    pub struct Local(super::LocalJobs<u32>);

    impl std::fmt::Debug for Queue {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Queue").finish_non_exhaustive()
        }
    }

    impl std::fmt::Debug for Local {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Local").finish_non_exhaustive()
        }
    }

    impl Queue {
        /// A queue for `workers` workers, bounded if `capacity` is `Some`,
        /// and their deques.
        pub fn new(workers: usize, capacity: Option<usize>) -> (Self, Vec<Local>) {
            let (queue, locals) = super::JobQueue::new(workers, capacity);
            (Self(queue), locals.into_iter().map(Local).collect())
        }

        /// `reserve` (waiting while full), then `push`: a `submit`.
        pub fn submit(&self, job: u32) {
            self.0.reserve();
            self.0.push(job);
        }

        /// `try_reserve`, then `push` if there was room.
        pub fn try_submit(&self, job: u32) -> bool {
            let reserved = self.0.try_reserve();
            if reserved {
                self.0.push(job);
            }
            reserved
        }

        /// A worker's `next`.
        pub fn next(&self, local: &Local) -> Option<u32> {
            self.0.next(&local.0)
        }

        /// The pool's close.
        pub fn close(&self) {
            self.0.close();
        }

        /// `shutdown_now`'s take.
        pub fn take_all(&self) -> Vec<u32> {
            self.0.take_all()
        }
    }
}
