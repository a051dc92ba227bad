//! [`PoolShared`]: what a pool's threads and its handle share.

use crate::sync::{Condvar, Mutex};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use atomics_kit::{drop_panic_payload, AdmissionGate, SingleWriterCounter};
use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;

use crate::pool::job::JobRef;
use crate::pool::sleep::Sleep;

/// Called with the payload of a detached task's panic.
pub(crate) type PanicHandler = Box<dyn Fn(Box<dyn Any + Send>) + Send + Sync>;

pub(crate) struct PoolShared {
    pub(crate) injector: Injector<JobRef>,
    pub(crate) stealers: Box<[Stealer<JobRef>]>,
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
    panic_handler: Option<PanicHandler>,
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
    pub(crate) fn new(stealers: Vec<Stealer<JobRef>>, panic_handler: Option<PanicHandler>) -> Self {
        let counters = stealers.iter().map(|_| CachePadded::default()).collect();
        Self {
            injector: Injector::new(),
            stealers: stealers.into_boxed_slice(),
            sleep: Sleep::new(),
            gate: AdmissionGate::new(),
            terminate: AtomicBool::new(false),
            pending: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle: Condvar::new(),
            counters,
            panicked: AtomicU64::new(0),
            panic_handler,
        }
    }

    /// Whether any deque or the injector holds a job (for the sleep check).
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|stealer| !stealer.is_empty())
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
            // Relaxed: a count.
            self.panicked.fetch_add(1, Ordering::Relaxed);
            match &self.panic_handler {
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
        // AcqRel: the task's effects happen before a `wait_idle` that sees
        // the count reach zero (Release), and the last decrement sees all
        // others (Acquire).
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            drop(self.idle_lock.lock());
            self.idle.notify_all();
        }
    }

    /// Waits until no detached task is queued or running.
    pub(crate) fn wait_idle(&self) {
        let mut guard = self.idle_lock.lock();
        // Acquire: pairs with the Release decrement in `run_detached`.
        while self.pending.load(Ordering::Acquire) != 0 {
            guard = self.idle.wait(guard);
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
        self.panic_handler.is_some()
    }
}
