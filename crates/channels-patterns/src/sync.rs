//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics, locks and cells from here
//! and never mentions `cfg(loom)` itself. Locks, condition variables and
//! the backoff are atomics-kit's shared shim (poison-free, loom's under
//! `--cfg loom`).

pub(crate) use atomics_kit::sync::{
    order_seqcst_accesses, take_eagerly, Backoff, Condvar, Mutex, UnsafeCell, CELLS_NEED_BUILDING,
};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// The worker pool's deques: crossbeam-deque's, or under loom and miri a
/// stand-in with the same calls on our `Mutex`. Loom cannot see inside
/// crossbeam-deque: its models check the pool's protocol around the
/// deques (sleeps, wake-ups, the close). Miri stops at crossbeam-epoch,
/// which reclaims the deques' buffers, under strict provenance (it casts
/// integers to pointers; crossbeam's own CI runs it under tree borrows
/// only): this crate's `unsafe` code is the queue's ring and the fan-out's
/// helpers, checked under the strict flags, and the pool is safe code.
#[cfg(not(any(loom, miri)))]
pub(crate) use crossbeam_deque as deque;

#[cfg(any(loom, miri))]
pub(crate) mod deque {
    use std::collections::VecDeque;
    use std::sync::Arc;

    use super::Mutex;

    /// `crossbeam_deque::Steal`, without `Retry` ever being returned.
    #[allow(dead_code)]
    pub(crate) enum Steal<T> {
        Empty,
        Success(T),
        Retry,
    }

    fn steal_from<T>(jobs: &Mutex<VecDeque<T>>) -> Steal<T> {
        jobs.lock().pop_front().map_or(Steal::Empty, Steal::Success)
    }

    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Self(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, job: T) {
            self.0.lock().push_back(job);
        }
        pub(crate) fn steal(&self) -> Steal<T> {
            steal_from(&self.0)
        }
        /// Takes half of the jobs, rounded up: one to return, the rest
        /// into `dest`, in two steps, as crossbeam-deque's: the jobs leave
        /// the injector before they appear in `dest`, and a thread looking
        /// in between sees them in neither.
        pub(crate) fn steal_batch_and_pop(&self, dest: &Worker<T>) -> Steal<T> {
            let (first, batch) = {
                let mut jobs = self.0.lock();
                let Some(first) = jobs.pop_front() else {
                    return Steal::Empty;
                };
                let more = jobs.len().div_ceil(2);
                (first, jobs.drain(..more).collect::<Vec<T>>())
            };
            dest.0.lock().extend(batch);
            Steal::Success(first)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }

    pub(crate) struct Worker<T>(Arc<Mutex<VecDeque<T>>>);

    impl<T> Worker<T> {
        pub(crate) fn new_fifo() -> Self {
            Self(Arc::new(Mutex::new(VecDeque::new())))
        }
        pub(crate) fn stealer(&self) -> Stealer<T> {
            Stealer(Arc::clone(&self.0))
        }
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.lock().pop_front()
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
    }

    pub(crate) struct Stealer<T>(Arc<Mutex<VecDeque<T>>>);

    impl<T> Stealer<T> {
        pub(crate) fn steal(&self) -> Steal<T> {
            steal_from(&self.0)
        }
        pub(crate) fn is_empty(&self) -> bool {
            self.0.lock().is_empty()
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().len()
        }
    }
}

/// Threads: the fan-out helpers are spawned through this, so that under
/// loom they are the model's threads.
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::thread;
