//! The capacity, shared by every segment: one count of the weight stored,
//! which an insert raises before its entry goes into the map and a removal
//! lowers after its entry left. An insert's own evictions stay in the count
//! as a [`Credit`] that pays for its reservation: evicting one entry to
//! store another writes nothing to the count (it wrote twice, a
//! `fetch_sub` and a CAS on the line every insert shares).
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

    /// An empty [`Credit`], for the weight an insert is about to evict.
    pub(crate) fn credit(&self) -> Credit<'_> {
        Credit {
            budget: self,
            weight: 0,
        }
    }

    /// Room for an entry of `weight` that replaces one of `freed` (0 for a
    /// new key), if the budget has it now: paid from `credit` first (no
    /// write to the count every insert shares), the rest taken from the
    /// count. Never overflows: the test is a subtraction from the
    /// capacity. `None` leaves the credit as it was.
    pub(crate) fn try_reserve<'a>(
        &'a self,
        credit: &mut Credit<'a>,
        freed: u64,
        weight: u64,
    ) -> Option<Reservation<'a>> {
        let extra = weight.saturating_sub(freed);
        let from_credit = extra.min(credit.weight);
        let from_count = extra - from_credit;
        if from_count > 0 {
            // Relaxed (load and CAS): the count only bounds the total; the
            // CAS makes each reservation see every earlier one, whatever
            // the order.
            let mut used = self.used.load(Ordering::Relaxed);
            loop {
                if from_count > self.capacity - used {
                    return None;
                }
                match self.used.compare_exchange_weak(
                    used,
                    used + from_count,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(now) => used = now,
                }
            }
        }
        credit.weight -= from_credit;
        // Both parts are in the count now: the reservation gives back all
        // of `extra` if the insert does not happen.
        Some(Reservation {
            budget: self,
            reserved: extra,
            freed_on_commit: freed.saturating_sub(weight),
        })
    }

    pub(crate) fn release(&self, weight: u64) {
        // Relaxed: as in `used`; the entry already left the map under its
        // lock.
        self.used.fetch_sub(weight, Ordering::Relaxed);
    }
}

/// Weight an insert evicted and has not given back: still in the count,
/// it pays for the insert's own reservation, so that evicting one entry to
/// store another writes nothing to the count. What is left when the
/// credit drops (the insert refused, a panic, a heavier victim) goes back.
#[must_use = "dropping a credit gives its weight back"]
pub(crate) struct Credit<'a> {
    budget: &'a Budget,
    weight: u64,
}

impl Credit<'_> {
    /// Adds the weight of an entry that left the map.
    pub(crate) fn add(&mut self, weight: u64) {
        // Never overflows in practice: every part of it is in the count,
        // which stays at most the capacity.
        self.weight = self.weight.saturating_add(weight);
    }
}

impl Drop for Credit<'_> {
    fn drop(&mut self) {
        if self.weight > 0 {
            self.budget.release(self.weight);
        }
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
