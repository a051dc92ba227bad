//! What the map stores for each key: the value, and the few words the
//! eviction policy reads.

use crate::sync::map::KeepsHash;
use crate::sync::{AtomicU64, AtomicU8, Ordering};

/// The most hits a slot remembers (two bits, as S3-FIFO counts).
const MAX_FREQUENCY: u8 = 3;

/// One cached value and its eviction bookkeeping.
///
/// Kept small, because the map stores it inline and a hit reads it: 40
/// bytes for a `u64` value. The expiry times live out of line
/// ([`Times`]), and only in entries that can expire, so a cache without
/// expiry pays one null pointer per entry for them.
pub(crate) struct Slot<V> {
    pub(crate) value: V,
    /// The key's hash, which the map's table moves the entry by when it
    /// grows (hashing the key there would run user code under its lock).
    hash: u64,
    /// Which insertion of the key this is: a queue record naming an older
    /// insertion (the key was removed and inserted again) is stale.
    pub(crate) id: u64,
    pub(crate) weight: u64,
    /// When the entry expires and when it was last read; `None` for an
    /// entry that never expires (always, in a cache without expiry).
    pub(crate) times: Option<Box<Times>>,
    /// Which value of this insertion it is: bumped (wrapping) by each
    /// replacement, so that `retain` can tell a value it judged from one
    /// stored since.
    pub(crate) generation: u32,
    /// Hits since the policy last looked, saturating at [`MAX_FREQUENCY`].
    frequency: AtomicU8,
}

/// An expiring entry's times, in nanoseconds since the cache was built;
/// see `expiry.rs`.
pub(crate) struct Times {
    /// When the entry expires (`u64::MAX`: never).
    pub(crate) deadline: u64,
    /// When the entry was last inserted or read: read only with a
    /// time-to-idle.
    last_access: AtomicU64,
}

impl Times {
    /// The times of an entry inserted (or replaced) `now`, expiring at
    /// `deadline`.
    pub(crate) fn new(now: u64, deadline: u64) -> Box<Self> {
        Box::new(Self {
            deadline,
            last_access: AtomicU64::new(now),
        })
    }

    pub(crate) fn last_access(&self) -> u64 {
        // Relaxed: a time read for the time-to-idle, which orders nothing;
        // a read racing a hit may see the older time, and then expires an
        // entry at most as late as that hit's clock read.
        self.last_access.load(Ordering::Relaxed)
    }

    pub(crate) fn set_last_access(&self, now: u64) {
        // Relaxed: as in `last_access`. Racing hits may store their times
        // out of order; the entry then looks idle since the earlier one, a
        // difference of the race's length.
        self.last_access.store(now, Ordering::Relaxed);
    }
}

impl<V> KeepsHash for Slot<V> {
    fn kept_hash(&self) -> u64 {
        self.hash
    }
}

/// What the policy decided about a queue record it popped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The record names a removed or re-inserted key: drop the record.
    Stale,
    /// The entry was hit since the policy last looked: keep it.
    Keep,
    /// The entry was not hit: evict it.
    Evict,
}

impl<V> Slot<V> {
    /// A slot for `value`, of a key hashing to `hash`, with `times` if the
    /// entry can expire.
    pub(crate) fn new(
        value: V,
        (hash, id): (u64, u64),
        weight: u64,
        times: Option<Box<Times>>,
    ) -> Self {
        Self {
            value,
            hash,
            id,
            weight,
            times,
            generation: 0,
            frequency: AtomicU8::new(0),
        }
    }

    /// Puts `value`, weighing `weight` and expiring by `times`, in place
    /// of the slot's value, as a hit: returns the old value and weight.
    /// The old times (our own type, no user code) drop here.
    pub(crate) fn replace(&mut self, value: V, weight: u64, times: Option<Box<Times>>) -> (V, u64) {
        self.touch();
        self.generation = self.generation.wrapping_add(1);
        self.times = times;
        let old_weight = std::mem::replace(&mut self.weight, weight);
        (std::mem::replace(&mut self.value, value), old_weight)
    }

    /// Records a hit. A load and a store, not a read-modify-write, and only
    /// until the count saturates: a hot key's slot stays shared in every
    /// core's cache instead of bouncing between them.
    pub(crate) fn touch(&self) {
        // Relaxed (both): the count is a hint for the eviction policy and
        // orders nothing; two racing hits that count as one age an entry
        // one step early, never wrongly.
        let seen = self.frequency.load(Ordering::Relaxed);
        if seen < MAX_FREQUENCY {
            self.frequency.store(seen + 1, Ordering::Relaxed);
        }
    }

    /// For a record popped from the small queue: any hit since insertion
    /// earns the main queue (with the count cleared); none, eviction.
    pub(crate) fn judge_small(&self, id: u64) -> Verdict {
        if id != self.id {
            return Verdict::Stale;
        }
        // Relaxed: a hint, as in `touch`; the policy runs under its
        // segment's lock, which orders its own reads and writes.
        if self.frequency.swap(0, Ordering::Relaxed) > 0 {
            Verdict::Keep
        } else {
            Verdict::Evict
        }
    }

    /// For a record popped from the main queue (a CLOCK hand): a hit buys
    /// one more round, spending one count; none, eviction.
    pub(crate) fn judge_main(&self, id: u64) -> Verdict {
        if id != self.id {
            return Verdict::Stale;
        }
        // Relaxed: a hint, as in `touch`.
        let seen = self.frequency.load(Ordering::Relaxed);
        if seen > 0 {
            // Relaxed: as above; a hit racing this store may be lost.
            self.frequency.store(seen - 1, Ordering::Relaxed);
            Verdict::Keep
        } else {
            Verdict::Evict
        }
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use super::Slot;

    /// The map stores slots inline and every hit reads one: growing it (the
    /// expiry times inline took it from 40 to 56 bytes) cost a tenth of the
    /// get-hit throughput. The key's hash, kept so that the table grows
    /// without running the key's `Hash` under its lock, took it to 48.
    #[test]
    fn a_slot_of_a_u64_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Slot<u64>>(), 48);
    }
}
