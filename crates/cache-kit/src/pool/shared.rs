//! [`PoolShared`]: what a pool's threads and its handle share.

use crate::sync::{Condvar, Mutex};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use atomics_kit::{drop_caught, drop_panic_payload, AdmissionGate, SingleWriterCounter};
use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;

use crate::pool::job::JobRef;
use crate::pool::sleep::Sleep;
use crate::pool::worker_thread::{WorkerThread, SERVING_POLL};

/// `PoolShared::broadcasts`: the workers began to exit.
const RETIRED: usize = 1;
/// `PoolShared::broadcasts`: one broadcast in flight.
const BROADCAST_ONE: usize = 2;

/// Called with the payload of a detached task's panic.
pub(crate) type PanicHandler = Box<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;

/// Called on a worker thread with its index, as it starts or exits.
pub(crate) type ThreadHandler = Box<dyn Fn(usize) + Send + Sync>;

/// The user's callbacks, from the builder.
#[derive(Default)]
pub(crate) struct Handlers {
    pub(crate) panic: Option<PanicHandler>,
    pub(crate) start: Option<ThreadHandler>,
    pub(crate) exit: Option<ThreadHandler>,
}

impl Drop for Handlers {
    /// The handlers go with the pool's last reference, which may be a
    /// worker's thread-local (a task that dropped the last handle), where
    /// a panic in a capture's `Drop` cannot unwind and aborted the process
    /// (a break run). Each is dropped with its panic caught (the panic hook
    /// has printed it), wherever this runs.
    fn drop(&mut self) {
        drop_caught(self.panic.take());
        drop_caught(self.start.take());
        drop_caught(self.exit.take());
    }
}

pub(crate) struct PoolShared {
    pub(crate) injector: Injector<JobRef>,
    pub(crate) stealers: Box<[Stealer<JobRef>]>,
    /// One inbox per worker, for `broadcast`: only that worker takes from
    /// it (`WorkerThread::find_job`), so each worker runs its own share.
    pub(crate) inboxes: Box<[Injector<JobRef>]>,
    /// Broadcasts posting or waiting ([`BROADCAST_ONE`] each), and
    /// [`RETIRED`] once a worker decided to exit: from then on no
    /// broadcast may start (a job in an exited worker's inbox would never
    /// run), and while one runs no worker exits.
    broadcasts: AtomicUsize,
    pub(crate) sleep: Sleep,
    /// Admits outside `spawn`s and `scope`s until shutdown.
    pub(crate) gate: AdmissionGate,
    pub(crate) terminate: AtomicBool,
    /// Detached tasks queued or running.
    pending: AtomicUsize,
    idle_lock: Mutex<()>,
    idle: Condvar,
    pub(crate) counters: Box<[CachePadded<WorkerCounters>]>,
    panicked: AtomicU64,
    handlers: Handlers,
    /// Whether every worker thread could be started: `None` while the
    /// builder still starts them. A worker waits for it before its start
    /// handler, so that a handler's `broadcast` never waits for a worker
    /// the operating system refused (it would never come).
    all_started: Mutex<Option<bool>>,
    all_started_known: Condvar,
    /// Each worker's stack, in bytes (see [`fitting`](Self::fitting)).
    stack: usize,
}

/// One worker's counts; only that worker writes them (a load and a store,
/// no locked instruction). Readers get a snapshot, exact after `wait_idle`
/// or `shutdown`, whose locks and joins order the workers' last counts.
#[derive(Default)]
pub(crate) struct WorkerCounters {
    executed: SingleWriterCounter,
    stolen: SingleWriterCounter,
}

impl WorkerCounters {
    pub(crate) fn count_executed(&self) {
        self.executed.increment();
    }
    pub(crate) fn count_stolen(&self) {
        self.stolen.increment();
    }
    pub(crate) fn executed(&self) -> u64 {
        self.executed.get()
    }
    pub(crate) fn stolen(&self) -> u64 {
        self.stolen.get()
    }
}

impl PoolShared {
    pub(crate) fn new(stealers: Vec<Stealer<JobRef>>, handlers: Handlers, stack: usize) -> Self {
        let counters = stealers.iter().map(|_| CachePadded::default()).collect();
        let inboxes = stealers.iter().map(|_| Injector::new()).collect();
        Self {
            injector: Injector::new(),
            stealers: stealers.into_boxed_slice(),
            inboxes,
            broadcasts: AtomicUsize::new(0),
            sleep: Sleep::new(),
            gate: AdmissionGate::new(),
            terminate: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
            counters,
            panicked: AtomicU64::new(0),
            handlers,
            all_started: Mutex::new(None),
            all_started_known: Condvar::new(),
            stack,
        }
    }

    /// `values` (what a call from outside the pool hands its workers), if
    /// a `T` and a `U` (a closure and its result) fit a worker's stack;
    /// else panics, naming `what`, once `values` are dropped (each
    /// `Drop`'s panic caught). A value made outside the pool moves onto a
    /// worker's stack to run, through several frames: one as large as that
    /// whole stack overflowed it, and the overflow aborted the process (see
    /// `atomics_kit::STACK_PER_VALUE` for where the line is). What a worker
    /// made itself fits already.
    pub(crate) fn fitting<T, U, V>(&self, what: &str, values: V) -> V {
        match atomics_kit::too_large_for_stack::<T, U>(self.stack) {
            None => values,
            Some(size) => super::reraise::panic_after_dropping(
                values,
                format_args!(
                    "cache-kit: {what} of {size} bytes cannot run on this pool, whose workers' \
                     stacks of {} bytes carry values under 1/{} of them; raise \
                     `PoolBuilder::stack_size`, or box what it captures",
                    self.stack,
                    atomics_kit::STACK_PER_VALUE
                ),
            ),
        }
    }

    /// Tells the workers whether all of them could be started.
    pub(crate) fn set_all_started(&self, all: bool) {
        *self.all_started.lock() = Some(all);
        self.all_started_known.notify_all();
    }

    /// Waits until the builder knows whether every worker started; `false`:
    /// one could not, and this one is to exit at once.
    pub(crate) fn wait_all_started(&self) -> bool {
        let mut all_started = self.all_started.lock();
        loop {
            if let Some(all) = *all_started {
                return all;
            }
            all_started = self.all_started_known.wait(all_started);
        }
    }

    /// Whether any deque or the injector holds a job (for the sleep check).
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|stealer| !stealer.is_empty())
    }

    /// Whether worker `index`'s broadcast inbox holds a job (for its sleep
    /// check: a worker sleeps through other workers' inboxes).
    pub(crate) fn has_broadcast(&self, index: usize) -> bool {
        !self.inboxes[index].is_empty()
    }

    /// Counts a broadcast in, before it posts its jobs; false if the
    /// workers began to exit (the pool was shut down), and then nothing
    /// may be posted.
    pub(crate) fn broadcast_started(&self) -> bool {
        // SeqCst (here and in the exchange): one order of RMWs on this
        // atomic decides between a broadcast starting and the workers
        // exiting (`try_retire`); a stale load only fails the exchange.
        let mut current = self.broadcasts.load(Ordering::SeqCst);
        loop {
            if current & RETIRED != 0 {
                return false;
            }
            match self.broadcasts.compare_exchange_weak(
                current,
                current + BROADCAST_ONE,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Counts a broadcast out once every worker ran its share, and wakes
    /// the sleepers: after `terminate` a worker may be waiting for the
    /// count to reach zero to exit (`no_broadcast`, its sleep check). The
    /// wake-up is unconditional, so that it needs no reasoning about when
    /// this thread sees `terminate`: the decrement, then `notify_all`'s
    /// fence, against the sleeper's count, fence, then `no_broadcast`.
    pub(crate) fn broadcast_finished(&self) {
        // SeqCst: as in `broadcast_started`.
        self.broadcasts.fetch_sub(BROADCAST_ONE, Ordering::SeqCst);
        self.sleep.notify_all();
    }

    /// A worker that found no work after `terminate` asks to exit: true
    /// (for good: no broadcast starts afterwards) unless a broadcast is in
    /// flight, whose job for this worker may still come.
    pub(crate) fn try_retire(&self) -> bool {
        // SeqCst: as in `broadcast_started`, whose RMWs these race with.
        let mut current = self.broadcasts.load(Ordering::SeqCst);
        loop {
            if current & RETIRED != 0 {
                return true;
            }
            if current != 0 {
                return false;
            }
            // SeqCst: as in `broadcast_started`.
            match self.broadcasts.compare_exchange_weak(
                current,
                RETIRED,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Whether no broadcast is in flight (a retiring worker's sleep
    /// check).
    pub(crate) fn no_broadcast(&self) -> bool {
        // SeqCst: read after the sleep protocol's fence, pairing with
        // `broadcast_finished`'s decrement and its `notify_all`.
        self.broadcasts.load(Ordering::SeqCst) & !RETIRED == 0
    }

    /// Queues `job` on the injector and wakes a worker.
    pub(crate) fn inject(&self, job: JobRef) {
        self.injector.push(job);
        self.sleep.notify_one();
    }

    /// Counts a detached task about to be queued.
    pub(crate) fn task_queued(&self) {
        // Relaxed: the job's push and pop order this before the task's
        // `task_done`; `wait_idle` reads behind the idle lock.
        self.pending.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a detached task: a panic is caught, counted and handed to the
    /// panic handler, never let out into the worker.
    pub(crate) fn run_detached(&self, task: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(task)) {
            self.report_panic(payload);
        }
        // AcqRel: the task's effects happen before a `wait_idle` that sees
        // the count reach zero (Release), and the last decrement sees all
        // others (Acquire).
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            drop(self.idle_lock.lock());
            self.idle.notify_all();
        }
    }

    /// A detached task's (or a start or exit handler's) panic: counted and
    /// handed to the panic handler, never let out into the worker.
    fn report_panic(&self, payload: Box<dyn Any + Send>) {
        // Relaxed: a count.
        self.panicked.fetch_add(1, Ordering::Relaxed);
        match &self.handlers.panic {
            Some(handler) => {
                // A panicking handler must not take the worker down
                // either, nor its payload's `Drop`.
                if let Err(again) = catch_unwind(AssertUnwindSafe(|| handler(payload))) {
                    drop_panic_payload(again);
                }
            }
            // A payload whose `Drop` panics must not kill the worker.
            None => drop_panic_payload(payload),
        }
    }

    /// Runs the start handler, if any, on worker `index` (a panic is
    /// reported as a detached task's is; the worker starts anyway).
    pub(crate) fn thread_started(&self, index: usize) {
        if let Some(handler) = &self.handlers.start {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(index))) {
                self.report_panic(payload);
            }
        }
    }

    /// Runs the exit handler, if any, on worker `index` as it exits.
    pub(crate) fn thread_exiting(&self, index: usize) {
        if let Some(handler) = &self.handlers.exit {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(index))) {
                self.report_panic(payload);
            }
        }
    }

    /// Waits until no detached task is queued or running. Called on a
    /// worker of another pool (the same pool's refuse it), it keeps running
    /// that pool's jobs meanwhile, as `join` does: a task of this pool may
    /// be waiting on one of them (an `install` into the caller's pool),
    /// and this worker may be the one that would run it.
    pub(crate) fn wait_idle(&self) {
        let serving = WorkerThread::current();
        let mut guard = self.idle_lock.lock();
        // Acquire: pairs with the Release decrement in `run_detached`.
        while self.pending.load(Ordering::Acquire) != 0 {
            let Some(worker) = &serving else {
                guard = self.idle.wait(guard);
                continue;
            };
            drop(guard);
            match worker.find_job() {
                // Its own pool's job, run with no lock held.
                Some(job) => worker.execute(job),
                // Nothing to run: a short wait, then look again (its pool
                // may queue work meanwhile, with no way to wake this wait).
                None => drop(self.idle.wait_timeout(self.idle_lock.lock(), SERVING_POLL)),
            }
            guard = self.idle_lock.lock();
        }
    }

    pub(crate) fn pending(&self) -> usize {
        // Relaxed: a snapshot.
        self.pending.load(Ordering::Relaxed)
    }

    pub(crate) fn panicked(&self) -> u64 {
        // Relaxed: a count.
        self.panicked.load(Ordering::Relaxed)
    }

    pub(crate) fn has_panic_handler(&self) -> bool {
        self.handlers.panic.is_some()
    }
}
