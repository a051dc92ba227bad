//! [`ShardedCounter`]: a counter whose increments scale with threads, in the
//! manner of Java's `LongAdder`.

use std::fmt;
use std::num::NonZeroUsize;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Ordering};
use crate::{thread_index, SizeError};

/// A counter split into cache-padded shards, one per thread where the shard
/// count allows, so that concurrent increments do not contend.
///
/// Each thread holds a small dense index, unique among live threads (given
/// back when the thread exits), and adds to shard `index % shards`. While no
/// more threads than shards have ever been alive at once, every thread has
/// a shard to itself (indices are kept for a thread's life, so a late
/// thread may share a shard with a long-lived one that holds a high index:
/// slower, never wrong).
/// Reading the total ([`sum`](Self::sum)) visits every shard, so it costs
/// more than a read of a single atomic: use this type where updates are
/// frequent and reads rare (statistics, metrics).
///
/// # Examples
///
/// ```
/// use atomics_kit::ShardedCounter;
///
/// let hits = ShardedCounter::new();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             for _ in 0..1000 {
///                 hits.increment();
///             }
///         });
///     }
/// });
/// assert_eq!(hits.sum(), 4000);
/// ```
pub struct ShardedCounter {
    shards: Box<[CachePadded<AtomicU64>]>,
}

impl ShardedCounter {
    /// The most shards [`with_shards`](Self::with_shards) accepts: 65,536
    /// (8 MiB of padded shards). A shard per thread is the most that helps,
    /// and no machine runs that many threads at once.
    pub const MAX_SHARDS: usize = 1 << 16;

    /// A counter at zero with twice as many shards as the machine has
    /// hardware threads (rounded up to a power of two), so that
    /// oversubscribed programs still find a shard per thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// assert!(counter.shards() >= 2);
    /// assert_eq!(counter.sum(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        let parallelism = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self::with_nonzero_shards((2 * parallelism).next_power_of_two())
    }

    /// A counter at zero with `shards` shards.
    ///
    /// # Errors
    ///
    /// [`SizeError`] if `shards` is zero or above [`MAX_SHARDS`](Self::MAX_SHARDS).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::with_shards(8)?;
    /// assert_eq!(counter.shards(), 8);
    /// # Ok::<(), atomics_kit::SizeError>(())
    /// ```
    pub fn with_shards(shards: usize) -> Result<Self, SizeError> {
        SizeError::check("shards", shards, Self::MAX_SHARDS).map(Self::with_nonzero_shards)
    }

    fn with_nonzero_shards(shards: usize) -> Self {
        ShardedCounter {
            shards: (0..shards)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        }
    }

    /// How many shards the counter has.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// assert_eq!(ShardedCounter::with_shards(3)?.shards(), 3);
    /// # Ok::<(), atomics_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Adds one.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// counter.increment();
    /// assert_eq!(counter.sum(), 1);
    /// ```
    #[inline]
    pub fn increment(&self) {
        self.add(1);
    }

    /// Adds `n`. The total wraps around at `u64::MAX`, as
    /// `AtomicU64::fetch_add` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// counter.add(40);
    /// counter.add(2);
    /// assert_eq!(counter.sum(), 42);
    /// ```
    #[inline]
    pub fn add(&self, n: u64) {
        // Relaxed: the shards publish no other data; `sum` after a join sees
        // every addition through the join's happens-before edge.
        self.shard().fetch_add(n, Ordering::Relaxed);
    }

    #[inline]
    fn shard(&self) -> &AtomicU64 {
        // A thread destroying its thread-locals has no index of its own;
        // shard 0 is as good as any, since shards take atomic adds.
        let index = thread_index().unwrap_or(0);
        let shards = self.shards.len();
        // Indices are dense, so they exceed the shard count only when more
        // threads are alive than there are shards; skip the division otherwise.
        let shard = if index < shards {
            index
        } else {
            index % shards
        };
        &self.shards[shard]
    }

    /// The total of every shard.
    ///
    /// As with `LongAdder::sum`, this is exact when no update runs
    /// concurrently (for example after joining the updating threads). It is
    /// not an atomic snapshot otherwise: an update that runs during the call
    /// may or may not be included.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// counter.add(5);
    /// assert_eq!(counter.sum(), 5);
    /// ```
    #[must_use]
    pub fn sum(&self) -> u64 {
        self.shards
            .iter()
            // Relaxed: see `add`; exactness needs a happens-before edge from
            // the updates, which no ordering here could provide.
            .map(|shard| shard.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Takes the total, leaving zero behind (`LongAdder::sumThenReset`).
    ///
    /// Each shard is swapped with zero atomically, so no update is lost: an
    /// update that runs concurrently is either in the returned total or left
    /// in the counter for the next read. The sum of every `sum_and_reset`
    /// plus a final [`sum`](Self::sum) equals everything ever added.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// counter.add(3);
    /// assert_eq!(counter.sum_and_reset(), 3);
    /// assert_eq!(counter.sum(), 0);
    /// ```
    #[must_use = "the returned total is removed from the counter; use `reset` to discard it"]
    pub fn sum_and_reset(&self) -> u64 {
        self.shards
            .iter()
            // Relaxed: the swap is atomic per shard, which is all that keeps
            // concurrent additions from being lost; they publish no data.
            .map(|shard| shard.swap(0, Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Sets the total to zero. Concurrent updates are kept or discarded as
    /// [`sum_and_reset`](Self::sum_and_reset) describes.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ShardedCounter;
    ///
    /// let counter = ShardedCounter::new();
    /// counter.add(3);
    /// counter.reset();
    /// assert_eq!(counter.sum(), 0);
    /// ```
    pub fn reset(&self) {
        let _discarded = self.sum_and_reset();
    }
}

impl Default for ShardedCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ShardedCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedCounter")
            .field("sum", &self.sum())
            .field("shards", &self.shards())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_shards_is_an_error_that_explains_itself() {
        let error = ShardedCounter::with_shards(0).unwrap_err();
        assert_eq!(error.to_string(), "`shards` must be at least 1, not 0");
    }

    #[test]
    fn concurrent_threads_sharing_one_shard_are_all_counted() {
        const PER_THREAD: u64 = if cfg!(miri) { 50 } else { 10_000 };
        let counter = ShardedCounter::with_shards(1).unwrap();
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| (0..PER_THREAD).for_each(|_| counter.increment()));
            }
        });
        assert_eq!(counter.sum(), 3 * PER_THREAD);
    }

    #[test]
    fn concurrent_threads_up_to_the_shard_count_write_distinct_shards() {
        let counter = ShardedCounter::with_shards(64).unwrap();
        let threads = 4;
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|s| {
            for _ in 0..threads {
                // All four are alive at once (the barrier), so the registry
                // hands them four distinct indices.
                s.spawn(|| {
                    barrier.wait();
                    counter.increment();
                    barrier.wait();
                });
            }
        });
        let used = counter
            .shards
            .iter()
            .filter(|shard| shard.load(Ordering::Relaxed) != 0)
            .count();
        assert_eq!(used, threads);
    }

    #[test]
    fn sum_and_reset_loses_nothing_under_concurrent_adds() {
        const PER_THREAD: u64 = if cfg!(miri) { 50 } else { 20_000 };
        let counter = ShardedCounter::with_shards(4).unwrap();
        let taken = std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| (0..PER_THREAD).for_each(|_| counter.increment()));
            }
            (0..PER_THREAD / 10)
                .map(|_| counter.sum_and_reset())
                .sum::<u64>()
        });
        assert_eq!(taken + counter.sum(), 2 * PER_THREAD);
    }

    #[test]
    fn debug_shows_sum_and_shards() {
        let counter = ShardedCounter::with_shards(2).unwrap();
        counter.add(7);
        assert_eq!(
            format!("{counter:?}"),
            "ShardedCounter { sum: 7, shards: 2 }"
        );
    }
}
