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

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

use crate::cache::slot::{Slot, Verdict};
use crate::sync::map::Map;

/// A key in a queue, naming one insertion of it.
struct Record<K> {
    key: K,
    hash: u64,
    id: u64,
    weight: u64,
}

/// Hashes of keys evicted from the small queue without a hit.
#[derive(Default)]
struct Ghost {
    order: VecDeque<u64>,
    /// How many times each hash is in `order` (hashes can collide).
    counts: HashMap<u64, u32, foldhash::fast::RandomState>,
}

/// What an insert did.
pub(crate) enum Inserted<V> {
    /// The key was new.
    New,
    /// The key was there: its old value, to drop outside the lock.
    Replaced(V),
    /// The entry weighs more than the segment holds: not stored, and any
    /// older value of the key removed (so a reader never sees it).
    Rejected(V, Option<V>),
}

/// One segment's queues and counts. Every method runs under the segment's
/// lock.
pub(crate) struct Policy<K> {
    small: VecDeque<Record<K>>,
    main: VecDeque<Record<K>>,
    /// Weight of the records in `small`, stale ones included.
    small_weight: u64,
    ghost: Ghost,
    capacity: u64,
    live_weight: u64,
    live_entries: usize,
    next_id: u64,
    pub(crate) inserts: u64,
    pub(crate) evictions: u64,
    pub(crate) rejected: u64,
}

impl<K: Hash + Eq + Clone> Policy<K> {
    pub(crate) fn new(capacity: u64) -> Self {
        Self {
            small: VecDeque::new(),
            main: VecDeque::new(),
            small_weight: 0,
            ghost: Ghost::default(),
            capacity,
            live_weight: 0,
            live_entries: 0,
            next_id: 0,
            inserts: 0,
            evictions: 0,
            rejected: 0,
        }
    }

    /// Live entries in the segment.
    pub(crate) fn entries(&self) -> usize {
        self.live_entries
    }

    pub(crate) fn weight(&self) -> u64 {
        self.live_weight
    }

    /// Inserts or replaces `key`'s value, evicting first so that the
    /// segment never holds more than its capacity, not even for a moment.
    pub(crate) fn insert<V, S: BuildHasher + Clone>(
        &mut self,
        map: &Map<K, Slot<V>, S>,
        key: K,
        hash: u64,
        value: V,
        weight: u64,
    ) -> Inserted<V> {
        if weight > self.capacity {
            self.rejected += 1;
            let old = self.remove(map, &key);
            return Inserted::Rejected(value, old);
        }
        let mut value = Some(value);
        let replaced = map.update(&key, |slot| {
            slot.touch();
            let old_weight = std::mem::replace(&mut slot.weight, weight);
            let new_value = value.take().expect("taken once, here");
            (std::mem::replace(&mut slot.value, new_value), old_weight)
        });
        self.inserts += 1;
        if let Some((old_value, old_weight)) = replaced {
            self.live_weight = self.live_weight - old_weight + weight;
            while self.live_weight > self.capacity && self.evict_one(map) {}
            return Inserted::Replaced(old_value);
        }
        while self.live_weight + weight > self.capacity && self.evict_one(map) {}
        let id = self.next_id;
        self.next_id += 1;
        let value = value.expect("not taken: the key was absent");
        map.insert(key.clone(), Slot::new(value, id, weight));
        let record = Record {
            key,
            hash,
            id,
            weight,
        };
        if self.ghost.contains(hash) {
            self.main.push_back(record);
        } else {
            self.small_weight += weight;
            self.small.push_back(record);
        }
        self.live_weight += weight;
        self.live_entries += 1;
        Inserted::New
    }

    /// Removes `key`; its queue record goes stale and is skipped later.
    pub(crate) fn remove<V, S, Q>(&mut self, map: &Map<K, Slot<V>, S>, key: &Q) -> Option<V>
    where
        S: BuildHasher + Clone,
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = map.remove(key)?;
        self.live_weight -= slot.weight;
        self.live_entries -= 1;
        self.drop_stale_records(map);
        Some(slot.value)
    }

    /// Forgets everything; the caller clears the map.
    pub(crate) fn clear(&mut self) {
        self.small.clear();
        self.main.clear();
        self.small_weight = 0;
        self.ghost = Ghost::default();
        self.live_weight = 0;
        self.live_entries = 0;
    }

    /// Evicts one entry; `false` if the segment holds none.
    fn evict_one<V, S: BuildHasher + Clone>(&mut self, map: &Map<K, Slot<V>, S>) -> bool {
        let small_target = (self.capacity / 10).max(1);
        loop {
            if self.small_weight > small_target || self.main.is_empty() {
                let Some(record) = self.small.pop_front() else {
                    return false;
                };
                self.small_weight -= record.weight;
                match self.judge(map, &record, Slot::judge_small) {
                    Verdict::Stale => {}
                    Verdict::Keep => self.main.push_back(record),
                    Verdict::Evict => {
                        self.ghost.remember(record.hash, self.live_entries.max(16));
                        return true;
                    }
                }
            } else {
                let record = self.main.pop_front().expect("checked non-empty");
                match self.judge(map, &record, Slot::judge_main) {
                    Verdict::Stale => {}
                    Verdict::Keep => self.main.push_back(record),
                    Verdict::Evict => return true,
                }
            }
        }
    }

    /// Applies `verdict_of` to the record's slot and removes the entry if
    /// it says `Evict`, in one lookup under the shard's write lock. Under
    /// this segment's lock nobody else changes the key's slot meanwhile.
    fn judge<V, S: BuildHasher + Clone>(
        &mut self,
        map: &Map<K, Slot<V>, S>,
        record: &Record<K>,
        verdict_of: fn(&Slot<V>, u64) -> Verdict,
    ) -> Verdict {
        let mut verdict = Verdict::Stale;
        let evicted = map.remove_if(&record.key, |slot| {
            verdict = verdict_of(slot, record.id);
            verdict == Verdict::Evict
        });
        if let Some(slot) = evicted {
            self.live_weight -= slot.weight;
            self.live_entries -= 1;
            self.evictions += 1;
        }
        verdict
    }

    /// Drops the records of removed keys once they outnumber the live
    /// ones, so that inserting and removing keys forever in a cache that
    /// never fills keeps the queues bounded.
    fn drop_stale_records<V, S: BuildHasher + Clone>(&mut self, map: &Map<K, Slot<V>, S>) {
        if self.small.len() + self.main.len() <= 2 * self.live_entries + 64 {
            return;
        }
        let live =
            |record: &Record<K>| map.read(&record.key, |slot| slot.id == record.id) == Some(true);
        self.small.retain(live);
        self.main.retain(live);
        self.small_weight = self.small.iter().map(|record| record.weight).sum();
    }
}

impl Ghost {
    fn contains(&self, hash: u64) -> bool {
        self.counts.contains_key(&hash)
    }

    /// Remembers `hash`, forgetting the oldest beyond `capacity`.
    fn remember(&mut self, hash: u64, capacity: usize) {
        self.order.push_back(hash);
        *self.counts.entry(hash).or_insert(0) += 1;
        while self.order.len() > capacity {
            let oldest = self.order.pop_front().expect("longer than capacity");
            if let Some(count) = self.counts.get_mut(&oldest) {
                *count -= 1;
                if *count == 0 {
                    self.counts.remove(&oldest);
                }
            }
        }
    }
}
