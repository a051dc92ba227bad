//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics, locks and the bounded queue from here
//! and never mentions `cfg(loom)` itself. Locks, condition variables and
//! the backoff are atomics-kit's shared shim (poison-free, loom's under
//! `--cfg loom`).

pub(crate) use atomics_kit::sync::{Backoff, Condvar, Mutex};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

/// The bounded lock-free queue under [`BoundedQueue`](crate::BoundedQueue).
#[cfg(not(loom))]
pub(crate) use crossbeam_queue::ArrayQueue;

/// Under loom, a stand-in with `ArrayQueue`'s API: crossbeam's queue uses
/// `core` atomics, which loom cannot see. The loom models check the
/// park/wake and close protocols around the queue; the queue itself is
/// crossbeam's, tested by crossbeam and by our stress tests.
#[cfg(loom)]
pub(crate) use loom_array_queue::ArrayQueue;

#[cfg(loom)]
mod loom_array_queue {
    use std::collections::VecDeque;

    #[derive(Debug)]
    pub(crate) struct ArrayQueue<T> {
        items: loom::sync::Mutex<VecDeque<T>>,
        capacity: usize,
    }

    impl<T> ArrayQueue<T> {
        pub(crate) fn new(capacity: usize) -> Self {
            assert!(capacity > 0, "capacity must be non-zero");
            Self {
                items: loom::sync::Mutex::new(VecDeque::new()),
                capacity,
            }
        }

        pub(crate) fn push(&self, value: T) -> Result<(), T> {
            let mut items = self.items.lock().unwrap();
            if items.len() == self.capacity {
                return Err(value);
            }
            items.push_back(value);
            Ok(())
        }

        pub(crate) fn pop(&self) -> Option<T> {
            self.items.lock().unwrap().pop_front()
        }

        pub(crate) fn len(&self) -> usize {
            self.items.lock().unwrap().len()
        }

        pub(crate) fn is_empty(&self) -> bool {
            self.len() == 0
        }

        pub(crate) fn is_full(&self) -> bool {
            self.len() == self.capacity
        }

        pub(crate) fn capacity(&self) -> usize {
            self.capacity
        }
    }
}

/// Per-thread slots of a queue's in-flight pushes (threads with a higher
/// index share one counter): twice the cores, at least 8, at most 64 (each
/// slot is a padded cache line). Under loom, 2, so that a model's third
/// thread takes the shared counter's path.
#[cfg(not(loom))]
pub(crate) fn in_flight_slots() -> usize {
    let cores = std::thread::available_parallelism().map_or(4, usize::from);
    (cores * 2).clamp(8, 64)
}
#[cfg(loom)]
pub(crate) fn in_flight_slots() -> usize {
    2
}

/// This thread's dense index, unique among live threads (under loom too:
/// atomics-kit keeps its registry in loom's statics).
pub(crate) use atomics_kit::thread_index;
