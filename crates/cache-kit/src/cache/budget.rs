//! The capacity, shared by every segment: one count of the weight stored,
//! which an insert raises before its entry goes into the map and an
//! eviction or removal lowers after its entry left.
//!
//! Segments have no capacity of their own: how many keys hash to a
//! segment (which depends on the hasher) never limits how much the cache
//! holds, and an entry may weigh as much as the whole cache.

use crate::sync::{AtomicU64, Ordering};

/// The weight stored, never above the capacity.
pub(crate) struct Budget {
    capacity: u64,
    used: AtomicU64,
}

/// Weight taken from the budget for one insert: given back if the insert
/// does not happen (a user `Hash` or `Eq` that panics in the map), kept
/// by [`commit`](Self::commit).
#[must_use = "dropping a reservation gives its weight back"]
pub(crate) struct Reservation<'a> {
    budget: &'a Budget,
    reserved: u64,
    /// Weight the insert frees when it commits (a replaced value heavier
    /// than the new one).
    freed_on_commit: u64,
}

impl Budget {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            capacity,
            used: AtomicU64::new(0),
        }
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The weight stored (entries inserted and not yet evicted or removed).
    pub(crate) fn used(&self) -> u64 {
        // Relaxed: a snapshot; the map's locks, not this count, order the
        // entries themselves.
        self.used.load(Ordering::Relaxed)
    }

    /// Room for an entry of `weight` that replaces one of `freed` (0 for a
    /// new key), if the budget has it now. Never overflows: the test is a
    /// subtraction from the capacity.
    pub(crate) fn try_reserve(&self, freed: u64, weight: u64) -> Option<Reservation<'_>> {
        let extra = weight.saturating_sub(freed);
        if extra == 0 {
            // Nothing to take (a replacement no heavier than the value it
            // replaces): no write to the count shared by every insert.
            return Some(Reservation {
                budget: self,
                reserved: 0,
                freed_on_commit: freed - weight,
            });
        }
        // Relaxed (load and CAS): the count only bounds the total; the CAS
        // makes each reservation see every earlier one, whatever the order.
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            if extra > self.capacity - used {
                return None;
            }
            match self.used.compare_exchange_weak(
                used,
                used + extra,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(Reservation {
                        budget: self,
                        reserved: extra,
                        freed_on_commit: freed.saturating_sub(weight),
                    })
                }
                Err(now) => used = now,
            }
        }
    }

    /// Gives back the weight of an entry that left the map.
    pub(crate) fn release(&self, weight: u64) {
        // Relaxed: as in `used`; the entry already left the map under its
        // lock.
        self.used.fetch_sub(weight, Ordering::Relaxed);
    }
}

impl Reservation<'_> {
    /// The insert happened: keep the weight (and give back what the
    /// replaced value weighed beyond the new one).
    pub(crate) fn commit(mut self) {
        if self.freed_on_commit > 0 {
            self.budget.release(self.freed_on_commit);
        }
        self.reserved = 0;
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.reserved > 0 {
            self.budget.release(self.reserved);
        }
    }
}
