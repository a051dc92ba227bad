//! [`AtomicCounter`]: a counter that also tracks its high-water mark, how many
//! operations it has seen, and a shutdown flag.

use std::fmt;

use crate::const_fn_outside_loom;
use crate::sync::{AtomicBool, AtomicU64, Backoff, Ordering};
use crate::{CounterOverflow, PerThreadCounter};

/// A shared `u64` counter with exact statistics.
///
/// Besides its value it records the highest value it ever held
/// ([`max`](Self::max)), how many `increment`/`add`/`decrement` calls it has
/// seen ([`stats`](Self::stats)), and a shutdown flag that publishes
/// everything written before [`shutdown`](Self::shutdown).
///
/// [`decrement`](Self::decrement) never takes the value below zero, and an
/// addition never takes it past [`AtomicCounter::MAX`] (`i64::MAX`): it
/// panics, or with [`try_add`](Self::try_add) returns an error. `new` is
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
/// # At the ceiling
///
/// An addition that lands past [`AtomicCounter::MAX`] is backed out by the
/// thread that made it; until then, every read of the value (`get`,
/// `stats`, `max`, `decrement`, a checked addition) waits for it. That
/// happens only within the amounts being added of `i64::MAX`, and lasts
/// as long as the adding thread takes to run a few instructions, unless
/// it is descheduled there. So near the ceiling a read is not
/// async-signal-safe: a signal handler that reads a counter which the
/// interrupted thread was adding to past the ceiling waits forever.
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
    /// The operations counted before the slots were there: while one
    /// thread makes them, every call (its own too) counts here instead of
    /// waiting. A counter in a `#[global_allocator]` counts the
    /// allocations that making the slots does, from inside the making; a
    /// `get_or_init` there waited for itself and hung the process before
    /// `main` (a break run, 5 of 5 runs).
    #[cfg(not(loom))]
    before_slots: AtomicU64,
    /// Whether some thread has started making the slots.
    #[cfg(not(loom))]
    making_slots: AtomicBool,
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
            before_slots: AtomicU64::new(0),
            making_slots: AtomicBool::new(false),
        }
    }

    #[inline]
    fn count(&self) {
        match self.slots.get() {
            Some(slots) => slots.increment(),
            None => self.count_before_slots(),
        }
    }

    #[cold]
    fn count_before_slots(&self) {
        // Relaxed: a statistic, as the slots' counts are.
        self.before_slots.fetch_add(1, Ordering::Relaxed);
        // Relaxed: only says who makes the slots; the `OnceLock` publishes
        // them.
        if !self.making_slots.swap(true, Ordering::Relaxed) {
            // Only this thread sets the cell: `set` never waits.
            let _ = self.slots.set(PerThreadCounter::new());
        }
    }

    fn sum(&self) -> u64 {
        // Relaxed: a statistic, exact after join.
        self.before_slots.load(Ordering::Relaxed)
            + self.slots.get().map_or(0, PerThreadCounter::sum)
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

    /// The largest value a counter holds: `i64::MAX`, about 9.2 × 10^18.
    ///
    /// An addition that would pass it panics ([`add`](Self::add)) or is
    /// refused ([`try_add`](Self::try_add)). The room above it, up to
    /// `u64::MAX`, is what lets an addition be a single `fetch_add`: one
    /// that lands past the ceiling is backed out before any reader or
    /// decrement takes its result for the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// assert_eq!(AtomicCounter::MAX, i64::MAX as u64);
    /// ```
    pub const MAX: u64 = i64::MAX as u64;

    /// [`try_add`](Self::try_add) adds an `n` from 1 up to this with a
    /// single `fetch_add`. Past the ceiling, each thread in the middle of one adds
    /// at most this much: 2^31 of them at once stay below `u64::MAX`, so
    /// the value never wraps.
    const FETCH_ADD_LIMIT: u64 = 1 << 32;

    /// Adds one and returns the new value.
    ///
    /// # Panics
    ///
    /// Panics if the value would pass [`AtomicCounter::MAX`] (see
    /// [`add`](Self::add)).
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
    #[track_caller]
    pub fn increment(&self) -> u64 {
        self.add(1)
    }

    /// Adds `n` and returns the new value.
    ///
    /// # Panics
    ///
    /// Panics if the value would pass [`AtomicCounter::MAX`]; the value is
    /// left as it was. [`try_add`](Self::try_add) returns the error
    /// instead.
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
    #[track_caller]
    pub fn add(&self, n: u64) -> u64 {
        match self.try_add(n) {
            Ok(value) => value,
            Err(overflow) => overflow_panic(overflow),
        }
    }

    /// Adds `n` and returns the new value, unless the value would pass
    /// [`AtomicCounter::MAX`].
    ///
    /// The call is counted in [`CounterStats::operations`] either way.
    ///
    /// # Errors
    ///
    /// [`CounterOverflow`] when the value would pass
    /// [`AtomicCounter::MAX`]; the value is left as it was, and no thread
    /// ever sees the refused sum.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AtomicCounter;
    ///
    /// let counter = AtomicCounter::new();
    /// assert_eq!(counter.try_add(AtomicCounter::MAX - 1), Ok(AtomicCounter::MAX - 1));
    /// assert!(counter.try_add(2).is_err());
    /// assert_eq!(counter.get(), AtomicCounter::MAX - 1);
    /// assert_eq!(counter.try_add(1), Ok(AtomicCounter::MAX));
    /// ```
    #[inline]
    pub fn try_add(&self, n: u64) -> Result<u64, CounterOverflow> {
        // A statistic that publishes nothing; a reader after `join` sees
        // every count through the join's happens-before edge.
        self.operations.count();
        // Zero as well: an addition of zero landed on a sum past the
        // ceiling could not tell when the additions under it are out.
        if n.wrapping_sub(1) >= Self::FETCH_ADD_LIMIT {
            return self.add_checked(n);
        }
        // Relaxed: an addition publishes no other data. `max` needs
        // ordering only from decrements (their Release CAS), because only
        // a decrement can take the value below a height it reached; this
        // RMW continues their release sequences.
        let old = self.value.fetch_add(n, Ordering::Relaxed);
        // No wrap: `old` is at most MAX plus what the threads in the middle
        // of an addition past the ceiling added (see FETCH_ADD_LIMIT).
        let new = old + n;
        if new <= Self::MAX {
            return Ok(new);
        }
        self.back_out_and_add_checked(new, n)
    }

    /// The addition of `n` landed past the ceiling, leaving `landed`: takes
    /// it back out and adds checked. Until the value is back at or under
    /// the ceiling, readers and decrements wait (see
    /// [`settled_value`](Self::settled_value)).
    ///
    /// Additions that landed past the ceiling are backed out last-landed
    /// first: this one only once the value is `landed` again, so nothing
    /// landed above it is left in. Backed out in any other order, a
    /// later addition could be left alone in a value under the ceiling, be
    /// read there, and then be backed out and added again: a racing `get`
    /// would see the value step back, and two additions could return the
    /// same value. (The sum can be past the ceiling only because of another
    /// addition landed under this one: then, once the value settles, `n`
    /// may fit.)
    #[cold]
    fn back_out_and_add_checked(&self, landed: u64, n: u64) -> Result<u64, CounterOverflow> {
        let backoff = Backoff::new();
        // Relaxed: as the `fetch_add` it undoes. Every addition still in
        // the value added at least 1, so the value is `landed` only when
        // those that landed above this one are out.
        while self
            .value
            .compare_exchange_weak(landed, landed - n, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            backoff.snooze();
        }
        self.add_checked(n)
    }

    /// Adds `n` with a compare-and-swap that never leaves a value past the
    /// ceiling: for a large `n`, and after an addition was backed out.
    #[cold]
    fn add_checked(&self, n: u64) -> Result<u64, CounterOverflow> {
        // Relaxed: a guess, checked by the CAS.
        let mut current = self.settled_value(Ordering::Relaxed);
        loop {
            let new = match current.checked_add(n) {
                Some(new) if new <= Self::MAX => new,
                _ => return Err(CounterOverflow::new(current, n)),
            };
            // Relaxed: as the `fetch_add` in `try_add`. Relaxed on failure:
            // the value read is only the next guess.
            match self.value.compare_exchange_weak(
                current,
                new,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(new),
                Err(actual) if actual > Self::MAX => {
                    current = self.settled_value(Ordering::Relaxed);
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// The value, once no addition past the ceiling is landed in it: such
    /// a sum is never a value the counter holds, and the thread that added
    /// it is about to back it out.
    #[inline]
    fn settled_value(&self, order: Ordering) -> u64 {
        let value = self.value.load(order);
        if value <= Self::MAX {
            return value;
        }
        self.wait_until_settled(order)
    }

    #[cold]
    fn wait_until_settled(&self, order: Ordering) -> u64 {
        let backoff = Backoff::new();
        loop {
            backoff.snooze();
            let value = self.value.load(order);
            if value <= Self::MAX {
                return value;
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
        let mut current = self.settled_value(Ordering::Relaxed);
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
                Err(actual) if actual > Self::MAX => {
                    current = self.settled_value(Ordering::Relaxed);
                }
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
        self.settled_value(Ordering::Relaxed)
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
        let value = self.settled_value(Ordering::Acquire);
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

/// Out of line, so that the inlined `add` stays a `fetch_add` and a test;
/// the panic names the user's call of `add` or `increment`.
#[cold]
#[inline(never)]
#[track_caller]
fn overflow_panic(overflow: CounterOverflow) -> ! {
    panic!("{overflow}")
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
    fn add_that_would_pass_the_ceiling_panics_and_leaves_the_value() {
        let counter = AtomicCounter::new();
        counter.add(AtomicCounter::MAX - 1);
        let result = std::panic::catch_unwind(|| counter.add(2));
        assert!(result.is_err());
        assert_eq!(counter.get(), AtomicCounter::MAX - 1);
        assert_eq!(counter.add(1), AtomicCounter::MAX);
        assert_eq!(counter.max(), AtomicCounter::MAX);
    }

    #[test]
    fn every_amount_past_the_ceiling_is_refused_with_the_value_it_found() {
        // Both paths: a `fetch_add` (small `n`) backed out, and the
        // compare-and-swap (large `n`), up to `u64::MAX` that would wrap.
        for start in [0, 1, AtomicCounter::MAX - 1, AtomicCounter::MAX] {
            for n in [1, 2, 1 << 32, (1 << 32) + 1, AtomicCounter::MAX, u64::MAX] {
                let counter = AtomicCounter::new();
                counter.add(start);
                let result = counter.try_add(n);
                match start.checked_add(n).filter(|&v| v <= AtomicCounter::MAX) {
                    Some(expected) => assert_eq!(result, Ok(expected), "{start} + {n}"),
                    None => {
                        assert_eq!(result, Err(CounterOverflow::new(start, n)), "{start} + {n}");
                        assert_eq!(counter.get(), start, "{start} + {n} was not backed out");
                    }
                }
                assert_eq!(
                    counter.stats().operations,
                    2,
                    "a refused addition is counted too"
                );
            }
        }
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
