//! S3-FIFO eviction for one segment of the cache.
//!
//! Three FIFO queues of keys (Yang et al., SOSP '23): new keys enter the
//! *small* queue (a tenth of the segment); a key leaving it that was hit
//! moves to the *main* queue, one that was not is evicted and its hash kept
//! in the *ghost* queue; a new key whose hash is in the ghost queue was
//! evicted too early and goes straight to main. The main queue is a CLOCK:
//! a hit entry goes round again, spending one of its (at most 3) hits.
//!
//! Hits never come here: they bump the slot's counter under the map's read
//! lock (`Slot::touch`). The queues change only on insert, remove and
//! eviction, under the segment's lock, which every change to the segment's
//! keys in the map also holds: so a queue record and its slot agree, and a
//! record whose key was removed (or removed and inserted again, with a new
//! id) is recognised as stale when popped.
//!
//! The capacity is the cache's, not the segment's ([`Budget`]): a segment
//! evicts its own entries when the budget is spent, and the cache takes
//! from other segments when this one has nothing left to give. The
//! segment's nominal share sizes only its small queue.
//!
//! User code (`Hash`, `Eq` in the map) may panic in any map call: every
//! method changes its own state only after the map calls it depends on
//! returned, so a panic leaves the queues and the map in agreement. What
//! leaves the cache goes to a [`Garbage`], dropped by the caller once no
//! lock is held.

use std::any::Any;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use atomics_kit::drop_caught;

use crate::cache::budget::{Budget, Credit, Reservation};
use crate::cache::garbage::Garbage;
use crate::cache::ghost::Ghost;
use crate::cache::slot::{Slot, Times, Verdict};
use crate::cache::RemovalCause;
use crate::sync::map::Shard;

/// A key in a queue, naming one insertion of it by its hash and id (the
/// key itself is only in the map: a record needs no copy of it).
struct Record {
    hash: u64,
    id: u64,
    weight: u64,
}

/// One segment's queues and counts. Every method runs under the segment's
/// lock.
pub(crate) struct Policy {
    small: VecDeque<Record>,
    main: VecDeque<Record>,
    /// Weight of the records in `small`, stale ones included: 128 bits,
    /// as a removed key's stale record keeps its weight here while a new
    /// entry may weigh the whole capacity (two of 2^63 overflowed 64 bits
    /// in a break run, after the new entry was in the map).
    small_weight: u128,
    ghost: Ghost,
    /// The segment's nominal share of the capacity: sizes the small queue.
    share: u64,
    live_entries: usize,
    next_id: u64,
    pub(crate) inserts: u64,
    pub(crate) evictions: u64,
    pub(crate) expirations: u64,
    pub(crate) rejected: u64,
}

/// Whether a slot's entry has expired (always `false` without expiry).
pub(crate) type Expired<'a, V> = &'a dyn Fn(&Slot<V>) -> bool;

/// A copy of an entry, from `Policy::snapshot`: its key, which value of
/// which insertion it is (the key's hash, `Slot::id`, `Slot::generation`),
/// and its value.
pub(crate) type Copied<K, V> = (K, (u64, u64, u32), V);

/// What `Policy::snapshot` hands back when user code panicked while it
/// copied: the copies made so far, and the panic.
pub(crate) struct PartialSnapshot<K, V> {
    entries: Vec<Copied<K, V>>,
    /// A value copied whose key's `Clone` panicked.
    unpaired: Option<V>,
    payload: Box<dyn Any + Send>,
}

impl<K, V> PartialSnapshot<K, V> {
    /// Drops the copies (each `Drop`'s panic caught: the first panic is the
    /// one resumed) and resumes the panic. Call it with no lock held.
    pub(crate) fn resume(self) -> ! {
        // Each key and value alone: a tuple's second `Drop` would run while
        // the first one's panic unwinds, and abort the process.
        for (key, _, value) in self.entries {
            drop_caught(key);
            drop_caught(value);
        }
        drop_caught(self.unpaired);
        resume_unwind(self.payload)
    }
}

/// What a queue decides about the slot of a record it popped (given the
/// record's insertion id): `Slot::judge_small` or `Slot::judge_main`.
type Judge<V> = fn(&Slot<V>, u64) -> Verdict;

impl Policy {
    /// Live entries in the segment.
    pub(crate) fn entries(&self) -> usize {
        self.live_entries
    }

    /// How many evicted keys the ghost queue remembers: as many as the
    /// segment holds (the paper's choice), at least 16.
    fn ghost_window(&self) -> usize {
        self.live_entries.max(16)
    }
}

impl Policy {
    pub(crate) fn new(share: u64) -> Self {
        Self {
            small: VecDeque::new(),
            main: VecDeque::new(),
            small_weight: 0,
            ghost: Ghost::default(),
            share,
            live_entries: 0,
            next_id: 0,
            inserts: 0,
            evictions: 0,
            expirations: 0,
            rejected: 0,
        }
    }

    /// Stores a value for a key that is not in the map, within `room`
    /// reserved for it.
    pub(crate) fn add<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        room: Reservation<'_>,
        key: K,
        hash: u64,
        value: V,
        (weight, times): (u64, Option<Box<Times>>),
    ) {
        let id = self.next_id;
        // No user code runs in the store (no `Eq`, and a table that grows
        // moves its entries by their slots' hashes), so nothing can unwind
        // between it and the reservation's commit.
        map.insert_new_hashed(hash, key, Slot::new(value, (hash, id), weight, times));
        room.commit();
        self.next_id += 1;
        let record = Record { hash, id, weight };
        if self.ghost.contains(hash, self.ghost_window()) {
            self.main.push_back(record);
        } else {
            self.small_weight += u128::from(weight);
            self.small.push_back(record);
        }
        self.live_entries += 1;
        self.inserts += 1;
    }

    /// Replaces the value of `key`, which is in the map, with the one
    /// taken from `value`, weighing `weight`, within `room` reserved for
    /// it, and returns the old value. The key keeps its place in the
    /// queues, and its hit; its expiry starts again from `times`.
    /// The new value stays in the caller's `value` until the map takes it:
    /// should the lookup's `Eq` panic, it is dropped in the caller's frame,
    /// after the caller's lock, never here.
    pub(crate) fn replace<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        room: Reservation<'_>,
        (hash, key): (u64, &K),
        value: &mut Option<V>,
        weight: u64,
        times: Option<Box<Times>>,
    ) -> V {
        let replaced = map.update_hashed(hash, key, |slot| {
            let new_value = value.take().expect("taken once, here");
            slot.replace(new_value, weight, times).0
        });
        let old_value = replaced.expect("the caller holds the segment's lock: the key stays");
        room.commit();
        self.inserts += 1;
        old_value
    }

    /// Replaces the value of `key` in one lookup under the shard's write
    /// lock, if the key is in the map and the new value (taken from
    /// `value`, with `times`) weighs no more than the old one: no room to
    /// make, the weight it frees given back. `Some(Ok((old value, whether
    /// it had expired)))` if it did; `Some(Err((id, weight, expired)))` of
    /// the entry there if the new value is heavier (`value` and `times`
    /// left in place); `None` if the key is not in the map.
    #[allow(clippy::type_complexity)]
    pub(crate) fn try_replace<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        (hash, key, weight): (u64, &K, u64),
        (value, times): (&mut Option<V>, &mut Option<Box<Times>>),
        expired: Expired<'_, V>,
        budget: &Budget,
    ) -> Option<Result<(V, bool), (u64, u64, bool)>> {
        let found = map.update_hashed(hash, key, |slot| {
            let was_expired = expired(slot);
            if slot.weight < weight {
                return Err((slot.id, slot.weight, was_expired));
            }
            let new_value = value.take().expect("taken once, here");
            let (old_value, old_weight) = slot.replace(new_value, weight, times.take());
            Ok((old_value, old_weight, was_expired))
        })?;
        Some(found.map(|(old_value, old_weight, was_expired)| {
            if old_weight > weight {
                budget.release(old_weight - weight);
            }
            self.inserts += 1;
            if was_expired {
                self.expirations += 1;
            }
            (old_value, was_expired)
        }))
    }

    /// Removes `key`, giving its weight back, and returns the map's key,
    /// the value and whether it had expired (then counted so); its queue
    /// record goes stale and is skipped later.
    pub(crate) fn remove<K, V, S, Q>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        (hash, key, expired): (u64, &Q, Expired<'_, V>),
        budget: &Budget,
    ) -> Option<(K, V, bool)>
    where
        S: BuildHasher + Clone,
        K: Hash + Eq + std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // The sweep first (no user code: records are found by hash and id).
        // After the removal no user code runs here, so the entry never
        // unwinds out of this frame, under the caller's lock (its `Drop`
        // would run there).
        self.drop_stale_records(map);
        let (map_key, slot) = map.remove(hash, key)?;
        budget.release(slot.weight);
        self.live_entries = self.live_entries.saturating_sub(1);
        let was_expired = expired(&slot);
        if was_expired {
            self.expirations += 1;
        }
        Some((map_key, slot.value, was_expired))
    }

    /// Removes the entry of insertion `id` of a key hashing to `hash` (not
    /// one made since), if the map still holds it and `also(slot)` agrees,
    /// giving its weight back; the listener will hear `cause`. No key is
    /// compared (a key not equal to itself goes too).
    pub(crate) fn remove_insertion<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        (hash, id): (u64, u64),
        (also, cause): (Expired<'_, V>, RemovalCause),
        budget: &Budget,
        garbage: &mut Garbage<K, V>,
    ) {
        let Some((map_key, slot)) = map.remove_if_found(hash, |slot| slot.id == id, also) else {
            return;
        };
        budget.release(slot.weight);
        self.live_entries = self.live_entries.saturating_sub(1);
        if cause == RemovalCause::Expired {
            self.expirations += 1;
        }
        garbage.entry(map_key, slot.value, cause);
        self.drop_stale_records(map);
    }

    /// Removes the expired entries at the front of both queues, where the
    /// oldest wait, looking at no more than `limit` of them: an insert's
    /// share of reclaiming expired space, with no thread of its own.
    pub(crate) fn remove_expired_at_fronts<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        expired: Expired<'_, V>,
        limit: usize,
        budget: &Budget,
        garbage: &mut Garbage<K, V>,
    ) {
        let mut looked = 0;
        for from_small in [true, false] {
            while looked < limit {
                looked += 1;
                if !self.remove_front_if_expired(map, from_small, expired, budget, garbage) {
                    break;
                }
            }
        }
    }

    /// Removes every expired entry of the segment.
    pub(crate) fn remove_all_expired<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        expired: Expired<'_, V>,
        budget: &Budget,
        garbage: &mut Garbage<K, V>,
    ) {
        for from_small in [true, false] {
            let queue = if from_small { &self.small } else { &self.main };
            for _ in 0..queue.len() {
                if !self.remove_front_if_expired(map, from_small, expired, budget, garbage) {
                    // Live (or stale): round to the back, looked at once.
                    let queue = if from_small {
                        &mut self.small
                    } else {
                        &mut self.main
                    };
                    let record = queue.pop_front().expect("counted");
                    queue.push_back(record);
                }
            }
        }
    }

    /// Removes the entry of the record at the front of a queue if it has
    /// expired; `false` if the queue is empty or the entry has not.
    fn remove_front_if_expired<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        from_small: bool,
        expired: Expired<'_, V>,
        budget: &Budget,
        garbage: &mut Garbage<K, V>,
    ) -> bool {
        let queue = if from_small {
            &mut self.small
        } else {
            &mut self.main
        };
        let Some(record) = queue.front() else {
            return false;
        };
        // The record leaves its queue only once the map call returned.
        let removed = map.remove_if_found(record.hash, |slot| slot.id == record.id, expired);
        let Some((map_key, slot)) = removed else {
            return false;
        };
        let record = queue.pop_front().expect("checked non-empty");
        if from_small {
            self.small_weight -= u128::from(record.weight);
        }
        budget.release(slot.weight);
        self.live_entries = self.live_entries.saturating_sub(1);
        self.expirations += 1;
        garbage.entry(map_key, slot.value, RemovalCause::Expired);
        true
    }

    /// A copy of the segment's entries: key, insertion id and value.
    /// Expired entries are left out. Each copy is `(key, (insertion id,
    /// generation), value)`.
    ///
    /// # Errors
    ///
    /// If a key's or value's `Clone` panics (no `Hash` or `Eq` runs here),
    /// the copies made so far and the payload: the caller drops the copies
    /// once it released the segment's lock (their `Drop` is user code, which
    /// may use the cache), then resumes the panic. Dropped here, while the
    /// panic unwound under the lock, a `Drop` that used the cache hung it
    /// for good, and one that panicked aborted the process (a break run,
    /// `iter` and `retain`, 10 of 10 runs).
    pub(crate) fn snapshot<K, V: Clone, S: BuildHasher + Clone>(
        &self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        expired: Expired<'_, V>,
    ) -> Result<Vec<Copied<K, V>>, PartialSnapshot<K, V>>
    where
        K: Hash + Eq + Clone,
    {
        let mut entries = Vec::with_capacity(self.live_entries);
        // A value copied whose key is being copied: held out here, so that
        // a panic of the key's `Clone` does not drop it while unwinding.
        let mut unpaired: Option<V> = None;
        // Unwind safety: after a panic only `entries` and `unpaired` are
        // used, each whole whatever panics between their writes.
        let copied = catch_unwind(AssertUnwindSafe(|| {
            for record in self.small.iter().chain(&self.main) {
                // The value first, held out before the key is copied.
                let copied = map.read_found(
                    record.hash,
                    |slot| slot.id == record.id,
                    |key, slot| {
                        if expired(slot) {
                            return None;
                        }
                        unpaired = Some(slot.value.clone());
                        Some((slot.generation, key.clone()))
                    },
                );
                if let Some(Some((generation, key))) = copied {
                    let value = unpaired.take().expect("put there above");
                    let insertion = (record.hash, record.id, generation);
                    entries.push((key, insertion, value));
                }
            }
        }));
        match copied {
            Ok(()) => Ok(entries),
            Err(payload) => Err(PartialSnapshot {
                entries,
                unpaired,
                payload,
            }),
        }
    }

    /// Removes every entry of the segment (the map's included) and forgets
    /// its queues, giving the weight back.
    pub(crate) fn clear<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        budget: &Budget,
        garbage: &mut Garbage<K, V>,
    ) {
        // One record at a time, removed from its queue only once its entry
        // is out of the map: a panicking `Eq` leaves the rest consistent.
        // The small queue's weight follows each record out, not all at
        // once at the end: after a panic midway it is still its records'.
        for (small, queue) in [(true, &mut self.small), (false, &mut self.main)] {
            while let Some(record) = queue.front() {
                let removed =
                    map.remove_if_found(record.hash, |slot| slot.id == record.id, |_| true);
                let record = queue.pop_front().expect("checked non-empty");
                if small {
                    self.small_weight -= u128::from(record.weight);
                }
                if let Some((map_key, slot)) = removed {
                    budget.release(slot.weight);
                    self.live_entries = self.live_entries.saturating_sub(1);
                    garbage.entry(map_key, slot.value, RemovalCause::Removed);
                }
            }
        }
        debug_assert_eq!(self.small_weight, 0);
        self.ghost.clear();
    }

    /// Evicts one entry of the segment, never the one whose id is
    /// `protected` (a key being replaced); `false` if there is none to
    /// evict.
    pub(crate) fn evict_one<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        protected: Option<u64>,
        expired: Expired<'_, V>,
        credit: &mut Credit<'_>,
        garbage: &mut Garbage<K, V>,
    ) -> bool {
        let unprotected = self
            .live_entries
            .saturating_sub(usize::from(protected.is_some()));
        if unprotected == 0 {
            return false;
        }
        let small_target = (self.share / 10).max(1);
        loop {
            // The main queue holding nothing but the protected key has
            // nothing to give either.
            let main_spent = match self.main.front() {
                None => true,
                Some(record) => self.main.len() == 1 && Some(record.id) == protected,
            };
            // An empty small queue has nothing to give, whatever its
            // weight says.
            let from_small = (self.small_weight > u128::from(small_target) || main_spent)
                && !self.small.is_empty();
            if !from_small && main_spent {
                return false;
            }
            let queue = if from_small {
                &mut self.small
            } else {
                &mut self.main
            };
            let Some(record) = queue.front() else {
                // Both queues empty: only stale records were left.
                return false;
            };
            let (verdict, was_expired) = if Some(record.id) == protected {
                (Verdict::Keep, false)
            } else {
                let judge = if from_small {
                    Slot::judge_small
                } else {
                    Slot::judge_main
                };
                // The record leaves its queue only after the map call
                // returned: a panicking `Eq` leaves it where it was.
                Self::judge(map, record, (judge, expired), credit, garbage)
            };
            let record = queue.pop_front().expect("checked non-empty");
            if from_small {
                self.small_weight -= u128::from(record.weight);
            }
            match verdict {
                Verdict::Stale => {}
                Verdict::Keep => self.main.push_back(record),
                Verdict::Evict => {
                    self.live_entries = self.live_entries.saturating_sub(1);
                    if was_expired {
                        self.expirations += 1;
                    } else {
                        self.evictions += 1;
                    }
                    if from_small && !was_expired {
                        self.ghost.remember(record.hash, self.ghost_window());
                    }
                    return true;
                }
            }
        }
    }

    /// Applies `verdict_of` to the record's slot and removes the entry if
    /// it says `Evict` or the entry has expired, in one lookup under the
    /// shard's write lock, its weight added to `credit`; returns the
    /// verdict and whether the entry had expired. Under this segment's
    /// lock nobody else changes the key's slot meanwhile.
    fn judge<K: Hash + Eq, V, S: BuildHasher + Clone>(
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
        record: &Record,
        (verdict_of, expired): (Judge<V>, Expired<'_, V>),
        credit: &mut Credit<'_>,
        garbage: &mut Garbage<K, V>,
    ) -> (Verdict, bool) {
        let mut verdict = Verdict::Stale;
        let mut was_expired = false;
        // A slot of another insertion of the key (or none) leaves the
        // verdict `Stale`.
        let judged = |slot: &Slot<V>| {
            was_expired = expired(slot);
            verdict = if was_expired {
                Verdict::Evict
            } else {
                verdict_of(slot, record.id)
            };
            verdict == Verdict::Evict
        };
        let same_insertion = |slot: &Slot<V>| slot.id == record.id;
        let evicted = map.remove_if_found(record.hash, same_insertion, judged);
        let Some((map_key, slot)) = evicted else {
            return (verdict, false);
        };
        credit.add(slot.weight);
        let cause = if was_expired {
            RemovalCause::Expired
        } else {
            RemovalCause::Evicted
        };
        garbage.entry(map_key, slot.value, cause);
        (verdict, was_expired)
    }

    /// Drops the records of removed keys once they outnumber the live
    /// ones, so that inserting and removing keys forever in a cache that
    /// never fills keeps the queues bounded.
    fn drop_stale_records<K: Hash + Eq, V, S: BuildHasher + Clone>(
        &mut self,
        map: &mut Shard<'_, '_, K, Slot<V>, S>,
    ) {
        if self.small.len() + self.main.len() <= 2 * self.live_entries + 64 {
            return;
        }
        for (small, queue) in [(true, &mut self.small), (false, &mut self.main)] {
            // Each record is looked at once, from the front (found by hash
            // and id: no user code runs), and goes to the back if live; the
            // small queue's weight follows each record that leaves it.
            for _ in 0..queue.len() {
                let record = queue.front().expect("counted");
                let live = map
                    .read_found(record.hash, |slot| slot.id == record.id, |_, _| ())
                    .is_some();
                let record = queue.pop_front().expect("counted");
                if live {
                    queue.push_back(record);
                } else if small {
                    self.small_weight -= u128::from(record.weight);
                }
            }
        }
    }
}
