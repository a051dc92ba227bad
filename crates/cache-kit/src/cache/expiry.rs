//! Expiry: time-to-live, time-to-idle and per-entry deadlines, checked on
//! every read and reclaimed without a thread of its own.
//!
//! Times are nanoseconds since the cache was built (`u64::MAX`: never), so
//! an entry's deadline and last read fit a word each; they live out of
//! line ([`Times`]), only in entries that can expire. An expired entry is never returned:
//! a read that finds one removes it (cause `Expired`); eviction removes the
//! expired entries it meets before the live one it judges (entries are
//! queued by insertion, not deadline, so an expired entry deeper in the
//! queues can outlast a live one evicted); each insert also looks at
//! the front of its segment's queues, where the oldest entries wait; and
//! [`Cache::remove_expired`](crate::Cache::remove_expired) sweeps them all.

use std::time::{Duration, Instant};

use crate::cache::slot::{Slot, Times};

/// A per-entry time-to-live, asked at each insert.
pub(crate) type ExpireAfter<K, V> = Box<dyn Fn(&K, &V) -> Option<Duration> + Send + Sync>;

/// When entries expire.
pub(crate) struct Expiry<K, V> {
    epoch: Instant,
    time_to_live: Option<Duration>,
    time_to_idle: Option<u64>,
    expire_after: Option<ExpireAfter<K, V>>,
}

/// A duration in nanoseconds, `u64::MAX` (never) if longer than that.
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl<K, V> Expiry<K, V> {
    /// The per-entry expiry function, taken out to be dropped (user code)
    /// by the cache's `Drop`.
    pub(crate) fn take_expire_after(&mut self) -> Option<ExpireAfter<K, V>> {
        self.expire_after.take()
    }

    /// `None` if no expiry was asked for: the cache then never reads the
    /// clock.
    pub(crate) fn new(
        time_to_live: Option<Duration>,
        time_to_idle: Option<Duration>,
        expire_after: Option<ExpireAfter<K, V>>,
    ) -> Option<Self> {
        if time_to_live.is_none() && time_to_idle.is_none() && expire_after.is_none() {
            return None;
        }
        Some(Self {
            epoch: Instant::now(),
            time_to_live,
            time_to_idle: time_to_idle.map(nanos),
            expire_after,
        })
    }

    /// Now, in nanoseconds since the cache was built.
    pub(crate) fn now(&self) -> u64 {
        nanos(self.epoch.elapsed())
    }

    /// The times of an entry inserted `now`: its deadline is the
    /// per-entry time-to-live if it gives one, else the cache's, else
    /// never. `None` (nothing to allocate) for an entry that never expires.
    pub(crate) fn times(&self, key: &K, value: &V, now: u64) -> Option<Box<Times>> {
        let time_to_live = self
            .expire_after
            .as_ref()
            .and_then(|expire_after| expire_after(key, value))
            .or(self.time_to_live);
        let deadline = time_to_live.map_or(u64::MAX, |ttl| now.saturating_add(nanos(ttl)));
        (deadline != u64::MAX || self.time_to_idle.is_some()).then(|| Times::new(now, deadline))
    }

    /// Whether the entry in `slot` has expired at `now`.
    pub(crate) fn is_expired(&self, slot: &Slot<V>, now: u64) -> bool {
        // An entry without times never expires: with a time-to-idle, every
        // entry has them.
        slot.times.as_ref().is_some_and(|times| {
            times.deadline <= now
                || self
                    .time_to_idle
                    .is_some_and(|tti| times.last_access().saturating_add(tti) <= now)
        })
    }

    /// Records a read of the entry (for the time-to-idle).
    pub(crate) fn accessed(&self, slot: &Slot<V>, now: u64) {
        if self.time_to_idle.is_some() {
            if let Some(times) = &slot.times {
                times.set_last_access(now);
            }
        }
    }
}

impl<K, V> std::fmt::Debug for Expiry<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expiry")
            .field("time_to_live", &self.time_to_live)
            .field("time_to_idle_nanos", &self.time_to_idle)
            .field("per_entry", &self.expire_after.is_some())
            .finish()
    }
}
