//! [`SingleWriterCounter`]: a statistic that one thread writes and any
//! thread reads.

use std::fmt;

use crate::sync::{AtomicU64, Ordering};

/// A count that only its owner thread adds to (a worker's executed jobs,
/// an actor's handled messages), with a load and a store instead of a
/// locked read-modify-write; any thread may read it.
///
/// If two threads did increment it at once, increments could be lost (the
/// count stays a plausible lower bound, never undefined behaviour): keep it
/// with the thread that owns it.
///
/// # Examples
///
/// ```
/// use atomics_kit::SingleWriterCounter;
///
/// let handled = SingleWriterCounter::new();
/// std::thread::scope(|s| {
///     s.spawn(|| (0..10).for_each(|_| handled.increment()));
/// });
/// assert_eq!(handled.get(), 10);
/// ```
#[derive(Default)]
pub struct SingleWriterCounter(AtomicU64);

impl SingleWriterCounter {
    crate::const_fn_outside_loom! {
        /// A counter at zero.
        pub fn new() -> SingleWriterCounter {
            SingleWriterCounter(AtomicU64::new(0))
        }
    }

    /// Adds one. Call it from the owning thread only.
    #[inline]
    pub fn increment(&self) {
        // Relaxed load: the owner's own last store. Release store: pairs
        // with the Acquire load in `get`, so a reader that sees this count
        // also sees what the owner did before counting it.
        self.0
            .store(self.0.load(Ordering::Relaxed) + 1, Ordering::Release);
    }

    /// The count: exact once the owner's increments happened before the
    /// call (a join, a lock hand-over), a snapshot while they run.
    #[must_use]
    pub fn get(&self) -> u64 {
        // Acquire: pairs with the Release store in `increment`.
        self.0.load(Ordering::Acquire)
    }
}

impl fmt::Debug for SingleWriterCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SingleWriterCounter")
            .field(&self.get())
            .finish()
    }
}
