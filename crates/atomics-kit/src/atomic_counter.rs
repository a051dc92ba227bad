//! [`AtomicCounter`]: a counter that also tracks its high-water mark, how many
//! operations it has seen, and a shutdown flag.

use std::fmt;

use crate::const_fn_outside_loom;
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::PerThreadCounter;

/// A shared `u64` counter with exact statistics.
///
/// Besides its value it records the highest value it ever held
/// ([`max`](Self::max)), how many `increment`/`add`/`decrement` calls it has
/// seen ([`stats`](Self::stats)), and a shutdown flag that publishes
/// everything written before [`shutdown`](Self::shutdown).
///
/// [`decrement`](Self::decrement) never takes the value below zero. `new` is
/// `const`, so a counter can live in a `static`.
///
/// # Cost
///
/// `increment` and `add` are one read-modify-write, on the value, and a
/// plain load and store on the calling thread's own slot of the operation
/// count (a [`PerThreadCounter`], made on the counter's first operation so
/// that `new` stays `const`): the count costs no locked instruction and
/// moves no shared cache line. They never touch the high-water mark. Instead a decrement records the value it is about to
/// leave, and `max` is the larger of that record and the current value. The
/// high-water mark is still exact: every value the counter held was either
/// left by a decrement (and recorded) or is no lower than the current value.
///
/// # Examples
///
/// ```
/// use atomics_kit::AtomicCounter;
///
/// static REQUESTS_IN_FLIGHT: AtomicCounter = AtomicCounter::new();
///
/// REQUESTS_IN_FLIGHT.increment();
/// REQUESTS_IN_FLIGHT.increment();
/// assert_eq!(REQUESTS_IN_FLIGHT.decrement(), Some(1));
///
/// let stats = REQUESTS_IN_FLIGHT.stats();
/// assert_eq!((stats.value, stats.max, stats.operations), (1, 2, 3));
/// ```
pub struct AtomicCounter {
    value: AtomicU64,
    /// At least every value a decrement has left; see [`AtomicCounter::max`].
    left_by_decrement: AtomicU64,
    active: AtomicBool,
    /// Every `increment`, `add` and `decrement` call, successful or not.
    operations: Operations,
}

/// How many operations a counter saw, in per-thread slots: each slot only
/// grows, so a sum read while threads count never goes backwards, and it
/// is exact once they are joined.
struct Operations {
    /// Made on first use: a `PerThreadCounter` allocates, and
    /// `AtomicCounter::new` is `const`.
    #[cfg(not(loom))]
    slots: std::sync::OnceLock<PerThreadCounter>,
    /// Under loom `new` is not `const` (loom's atomics are not): made at
    /// once.
    #[cfg(loom)]
    slots: PerThreadCounter,
}

#[cfg(not(loom))]
impl Operations {
    const fn new() -> Self {
        Self {
            slots: std::sync::OnceLock::new(),
        }
    }

    #[inline]
    fn count(&self) {
        self.slots.get_or_init(PerThreadCounter::new).increment();
    }

    fn sum(&self) -> u64 {
        self.slots.get().map_or(0, PerThreadCounter::sum)
    }
}

#[cfg(loom)]
impl Operations {
    fn new() -> Self {
        Self {
            slots: PerThreadCounter::new(),
        }
    }

    fn count(&self) {
        self.slots.increment();
    }

    fn sum(&self) -> u64 {
        self.slots.sum()
    }
}

/// A reading of an [`AtomicCounter`]'s statistics.
///
/// Each field is exact once every thread updating the counter has been
/// joined; while updates run, the fields are read one after another, not as
/// one snapshot (but `max >= value` always holds).
///
/// # Examples
///
/// ```
/// use atomics_kit::{AtomicCounter, CounterStats};
///
/// let counter = AtomicCounter::new();
/// counter.add(5);
/// let stats: CounterStats = counter.stats();
/// assert_eq!((stats.value, stats.max, stats.operations), (5, 5, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct CounterStats {
    /// The value when it was read.
    pub value: u64,
    /// The highest value the counter has held.
    pub max: u64,
    /// How many `increment`, `add` and `decrement` calls were made, including
    /// decrements that found zero.
    pub operations: u64,
}

impl AtomicCounter {
    const_fn_outside_loom! {
        /// A counter at zero, active, with no operations recorded.
        ///
        /// # Examples
        ///
        /// ```
        /// use atomics_kit::AtomicCounter;
        ///
        /// static COUNTER: AtomicCounter = AtomicCounter::new();
        /// assert_eq!(COUNTER.get(), 0);
        /// assert!(COUNTER.is_active());
        /// ```
        #[must_use]
        pub fn new() -> AtomicCounter {
            AtomicCounter {
                value: AtomicU64::new(0),
                left_by_decrement: AtomicU64::new(0),
                active: AtomicBool::new(true),
                operations: Operations::new(),
            }
        }
    }

    /// Adds one and returns the new value.
    ///
    /// # Panics
    ///
    /// Panics if the value would overflow `u64` (see [`add`](Self::add)).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// assert_eq!(counter.increment(), 1);
    /// assert_eq!(counter.increment(), 2);
    /// ```
    #[inline]
    pub fn increment(&self) -> u64 {
        self.add(1)
    }

    /// Adds `n` and returns the new value.
    ///
    /// # Panics
    ///
    /// Panics if the value would overflow `u64`; the value is left as it
    /// was, and no thread ever sees a wrapped one.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// assert_eq!(counter.add(10), 10);
    /// assert_eq!(counter.add(5), 15);
    /// ```
    #[inline]
    pub fn add(&self, n: u64) -> u64 {
        // A statistic that publishes nothing; a reader after `join` sees
        // every count through the join's happens-before edge.
        self.operations.count();
        // A compare-and-swap, not a `fetch_add`: an addition that would
        // overflow must never land. A `fetch_add` undone after the fact
        // let racing additions land on the wrapped value and succeed, so
        // the counter stayed wrapped and its high-water mark fell (a break
        // run: 8 of 10 runs of two threads incrementing at `u64::MAX`).
        // The price (paired, 2-core AMD VM, / a bare `fetch_add`): 0.68× at
        // one thread and 0.30-0.53× at 2 and 4, from 0.88× and 0.70-0.83×.
        // Relaxed: a guess, checked by the CAS.
        let mut current = self.value.load(Ordering::Relaxed);
        loop {
            let Some(new) = current.checked_add(n) else {
                panic!("AtomicCounter overflow: {current} + {n} exceeds u64::MAX");
            };
            // Relaxed: an addition publishes no other data. `max` needs
            // ordering only from decrements (their Release CAS), because
            // only a decrement can take the value below a height it
            // reached; this RMW continues their release sequences. Relaxed
            // on failure: the value read is only the next guess.
            match self.value.compare_exchange_weak(
                current,
                new,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return new,
                Err(actual) => current = actual,
            }
        }
    }

    /// Subtracts one unless the value is zero; returns the new value, or
    /// `None` (leaving the value at zero) if it was already zero.
    ///
    /// The call is counted in [`CounterStats::operations`] either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// counter.increment();
    /// assert_eq!(counter.decrement(), Some(0));
    /// assert_eq!(counter.decrement(), None);
    /// assert_eq!(counter.get(), 0);
    /// ```
    #[must_use = "a decrement can fail at zero; check the result"]
    pub fn decrement(&self) -> Option<u64> {
        // A statistic, as in `add`.
        self.operations.count();
        // Relaxed: only a guess for the CAS below, which validates it.
        let mut current = self.value.load(Ordering::Relaxed);
        // Relaxed: if this already covers `current`, the load happens-before
        // our Release CAS, so a reader that acquires the CAS's value reads this
        // record or a later, higher one (the record only grows).
        let mut recorded = self.left_by_decrement.load(Ordering::Relaxed);
        loop {
            if current == 0 {
                return None;
            }
            if current > recorded {
                // Relaxed: published by the Release CAS below, as above.
                recorded = self
                    .left_by_decrement
                    .fetch_max(current, Ordering::Relaxed)
                    .max(current);
            }
            // Release: pairs with the Acquire load of `value` in `max`/`stats`,
            // so a reader that sees the lowered value also sees the height
            // recorded above. Later RMWs (any thread's) continue the release
            // sequence, so readers of later values synchronize with it too.
            // Relaxed on failure: the value read is only the next guess.
            match self.value.compare_exchange_weak(
                current,
                current - 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(current - 1),
                Err(actual) => current = actual,
            }
        }
    }

    /// The current value.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// counter.add(3);
    /// assert_eq!(counter.get(), 3);
    /// ```
    #[must_use]
    pub fn get(&self) -> u64 {
        // Relaxed: the value publishes no other data.
        self.value.load(Ordering::Relaxed)
    }

    /// The highest value the counter has held.
    ///
    /// Exact: never lower than any value `increment` or `add` returned before
    /// this call (in happens-before order), and never higher than a value the
    /// counter really held.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// counter.add(7);
    /// let _ = counter.decrement();
    /// assert_eq!(counter.max(), 7);
    /// ```
    #[must_use]
    pub fn max(&self) -> u64 {
        self.stats().max
    }

    /// The value, the high-water mark and the operation count.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// counter.increment();
    /// let _ = counter.decrement();
    /// let _ = counter.decrement(); // finds zero, still counted
    /// let stats = counter.stats();
    /// assert_eq!((stats.value, stats.max, stats.operations), (0, 1, 3));
    /// ```
    #[must_use]
    pub fn stats(&self) -> CounterStats {
        // Acquire: pairs with the Release CAS of the decrement that produced
        // this value (or heads its release sequence), making its record of
        // the height it left visible to the load below. Read the value first:
        // the record read afterwards then covers every height left before it.
        let value = self.value.load(Ordering::Acquire);
        // Relaxed: ordered after the Acquire load above.
        let left_by_decrement = self.left_by_decrement.load(Ordering::Relaxed);
        // A statistic, exact after join.
        let operations = self.operations.sum();
        CounterStats {
            value,
            max: value.max(left_by_decrement),
            operations,
        }
    }

    /// Clears the active flag. Everything this thread wrote before the call
    /// is visible to a thread that then sees [`is_active`](Self::is_active)
    /// return `false`.
    ///
    /// The counter keeps counting; the flag is a signal for its users.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// counter.shutdown();
    /// assert!(!counter.is_active());
    /// ```
    pub fn shutdown(&self) {
        // Release: publishes the caller's earlier writes to the Acquire load
        // in `is_active`.
        self.active.store(false, Ordering::Release);
    }

    /// `false` once [`shutdown`](Self::shutdown) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// assert!(counter.is_active());
    /// ```
    #[must_use]
    pub fn is_active(&self) -> bool {
        // Acquire: pairs with the Release store in `shutdown`.
        self.active.load(Ordering::Acquire)
    }
}

impl Default for AtomicCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for AtomicCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("AtomicCounter")
            .field("value", &stats.value)
            .field("max", &stats.max)
            .field("operations", &stats.operations)
            .field("active", &self.is_active())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrement_at_zero_returns_none_and_counts_the_operation() {
        let counter = AtomicCounter::new();
        assert_eq!(counter.decrement(), None);
        assert_eq!(
            counter.stats(),
            CounterStats {
                value: 0,
                max: 0,
                operations: 1
            }
        );
    }

    #[test]
    fn max_remembers_a_height_that_decrements_left() {
        let counter = AtomicCounter::new();
        counter.add(3);
        for expected in [2, 1, 0] {
            assert_eq!(counter.decrement(), Some(expected));
        }
        counter.increment();
        assert_eq!(counter.max(), 3);
        counter.add(4);
        assert_eq!(counter.max(), 5);
    }

    #[test]
    fn add_that_would_overflow_panics_and_leaves_the_value() {
        let counter = AtomicCounter::new();
        counter.add(u64::MAX - 1);
        let result = std::panic::catch_unwind(|| counter.add(2));
        assert!(result.is_err());
        assert_eq!(counter.get(), u64::MAX - 1);
        assert_eq!(counter.add(1), u64::MAX);
    }

    #[test]
    fn debug_shows_the_statistics_and_the_flag() {
        let counter = AtomicCounter::new();
        counter.add(2);
        counter.shutdown();
        assert_eq!(
            format!("{counter:?}"),
            "AtomicCounter { value: 2, max: 2, operations: 1, active: false }"
        );
    }

    #[test]
    fn concurrent_increments_and_decrements_end_exact() {
        // Enough work per thread for miri's scheduler to interleave them.
        const PER_THREAD: u64 = if cfg!(miri) { 60 } else { 20_000 };
        let counter = AtomicCounter::new();
        let successful_decrements = std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..PER_THREAD {
                        counter.increment();
                    }
                });
            }
            let decrementer = s.spawn(|| {
                (0..PER_THREAD)
                    .filter(|_| counter.decrement().is_some())
                    .count() as u64
            });
            decrementer.join().unwrap()
        });
        let stats = counter.stats();
        assert_eq!(stats.value, 2 * PER_THREAD - successful_decrements);
        assert_eq!(stats.operations, 3 * PER_THREAD);
        assert!(stats.max >= stats.value && stats.max <= 2 * PER_THREAD);
    }
}
