//! The cache's key-value storage and its segments' eviction policies. Each
//! segment owns a run of dashmap's shards (as many in all as dashmap's
//! default: one per segment for a cache of 64 segments on up to 16 CPUs)
//! and a policy lock, taken before any of those shards is write-locked. An
//! insert takes the policy's lock and then the write lock of the shard it
//! works in, kept while its lookup, evictions and store stay in that shard
//! (all of them, with one shard per segment). It took the policy's lock and
//! then a shard's three times (on an insert of a new key into a full cache,
//! those 10 locked instructions were a third of its time, `perf`).
//!
//! Every operation takes a closure, so that no dashmap guard leaves this
//! file except inside a [`Locked`], which is the only way to the policy.
//! Keys go to a shard of their segment, picked here from the segment the
//! cache picked and other bits of the hash (never by dashmap's own
//! key-based methods, which would pick another shard).
//!
//! Under loom the storage is a stand-in with the same operations, one loom
//! `RwLock` per segment over a `HashMap` and the policy, so that the models
//! in `tests/loom.rs` run the cache's own code: dashmap's locks are not
//! loom's.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

/// A hash with every bit moved into every higher one (Fibonacci hashing:
/// one multiply), so that a weak hasher's hashes still differ in the bits
/// that pick a key's segment (the top ones) and its shard within it (from
/// bit 32).
#[inline]
pub(crate) fn spread(hash: u64) -> u64 {
    hash.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A value that keeps its key's hash. A table growing (or cleaning up its
/// tombstones) moves every entry by its hash: taken from here, no key is
/// hashed, so no user code (`Hash`, or the cache's `BuildHasher`) runs
/// under a shard's lock, where a `Hash` that used the cache deadlocked and
/// one that panicked lost the entries not moved yet.
pub(crate) trait KeepsHash {
    /// The hash the entry was stored under.
    fn kept_hash(&self) -> u64;
}

#[cfg(not(loom))]
pub(crate) use self::dashmap_shards::{Locked, Map, Shard};
#[cfg(loom)]
pub(crate) use self::loom_shards::{Locked, Map, Shard};

#[cfg(not(loom))]
mod dashmap_shards {
    use super::{Borrow, BuildHasher, Hash, KeepsHash};
    use crate::sync::{Mutex, MutexGuard};
    use crossbeam_utils::CachePadded;
    use std::marker::PhantomData;

    /// A dashmap shard's table.
    type Table<K, V> = hashbrown::raw::RawTable<(K, dashmap::SharedValue<V>)>;
    type ShardLock<K, V> = CachePadded<dashmap::RwLock<Table<K, V>>>;
    type WriteGuard<'m, K, V> = dashmap::RwLockWriteGuard<'m, Table<K, V>>;

    pub(crate) struct Map<K, V, S, P> {
        inner: dashmap::DashMap<K, V, S>,
        /// One per segment, always locked before any of the segment's
        /// shards is write-locked (a lock of its own, not `unsafe` code:
        /// dashmap's shards have no room for it).
        policies: Box<[Mutex<P>]>,
        /// log2 of each segment's shards: segment `i` owns shards
        /// `i << shard_bits` onwards. At least dashmap's default shard
        /// count in all, so that a cache of few segments (every weighted
        /// one has one) spreads its reads over as many shard locks as a
        /// plain dashmap would (one shard for a weighted cache read 40%
        /// slower at 4 threads on 2 cores, unpaired runs).
        shard_bits: u32,
    }

    /// One segment, locked: its policy, and the write lock of the shard
    /// of the segment its last map operation used (another shard's is
    /// taken in its place when an operation needs that one).
    pub(crate) struct Locked<'m, K, V, S, P> {
        // Released in this order: the shard, then the policy.
        held: Option<(usize, WriteGuard<'m, K, V>)>,
        policy: MutexGuard<'m, P>,
        shards: &'m [ShardLock<K, V>],
        /// The map's hasher type, which the loom stand-in's tables carry:
        /// the same signature here, though no operation hashes a key.
        hasher: PhantomData<&'m S>,
        segment: usize,
        shard_bits: u32,
    }

    /// A locked segment's shards, for the policy's map operations.
    pub(crate) struct Shard<'a, 'm, K, V, S> {
        held: &'a mut Option<(usize, WriteGuard<'m, K, V>)>,
        shards: &'m [ShardLock<K, V>],
        hasher: PhantomData<&'m S>,
        segment: usize,
        shard_bits: u32,
    }

    /// dashmap's default shard count: 4 × the CPUs, a power of two.
    fn default_shard_count() -> usize {
        (std::thread::available_parallelism().map_or(1, usize::from) * 4).next_power_of_two()
    }

    /// The shard of `segment` that a key hashing to `hash` is kept in:
    /// picked by other bits of the hash than the segment's.
    #[inline]
    fn shard_index(segment: usize, shard_bits: u32, hash: u64) -> usize {
        let spread = super::spread(hash) >> 32;
        // Truncation intended: the low bits pick the shard.
        #[allow(clippy::cast_possible_truncation)]
        let within = spread as usize & ((1 << shard_bits) - 1);
        (segment << shard_bits) | within
    }

    impl<K: Hash + Eq, V, S: BuildHasher + Clone, P> Map<K, V, S, P> {
        /// A map for a policy per segment, each segment with the same
        /// power-of-two number of shards.
        pub(crate) fn new(hasher: S, policies: Vec<P>) -> Self {
            let segment_slots = policies.len().next_power_of_two();
            let per_segment = (default_shard_count() / segment_slots).max(1);
            let shards = (segment_slots * per_segment).max(2);
            let policies = policies.into_iter().map(Mutex::new).collect();
            Self {
                inner: dashmap::DashMap::with_hasher_and_shard_amount(hasher, shards),
                policies,
                shard_bits: per_segment.trailing_zeros(),
            }
        }

        /// Every entry, moved out (the map left empty): no key is hashed
        /// or compared.
        pub(crate) fn take_all(&mut self, hasher: S) -> impl Iterator<Item = (K, V)> {
            let empty = dashmap::DashMap::with_hasher_and_shard_amount(hasher, 2);
            std::mem::replace(&mut self.inner, empty).into_iter()
        }

        /// The hash every operation takes (computed once per cache
        /// operation, it also picks the key's segment and is kept in its
        /// queue record).
        #[inline]
        pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
            self.inner.hasher().hash_one(key)
        }

        /// Runs `f` on the value of `key`, which hashes to `hash` and
        /// belongs to `segment`, under its shard's read lock.
        #[inline]
        pub(crate) fn read<Q, R>(
            &self,
            segment: usize,
            (hash, key): (u64, &Q),
            f: impl FnOnce(&V) -> R,
        ) -> Option<R>
        where
            K: Borrow<Q>,
            Q: Eq + ?Sized,
        {
            // dashmap's own `get` is an out-of-line trait method that
            // builds a guard object; these steps inline took a hit from 114
            // to 92 instructions (callgrind; quick_cache's: 99).
            let shard = shard_index(segment, self.shard_bits, hash);
            let table = self.inner.shards()[shard].read();
            table
                .get(hash, |(stored, _)| key == stored.borrow())
                .map(|(_, value)| f(value.get()))
        }

        /// Locks `segment`'s policy; its shards are write-locked as its
        /// operations need them.
        #[inline]
        pub(crate) fn lock(&self, segment: usize) -> Locked<'_, K, V, S, P> {
            self.locked(segment, self.policies[segment].lock())
        }

        /// [`lock`](Self::lock), if nobody holds it now.
        pub(crate) fn try_lock(&self, segment: usize) -> Option<Locked<'_, K, V, S, P>> {
            Some(self.locked(segment, self.policies[segment].try_lock()?))
        }

        fn locked<'m>(
            &'m self,
            segment: usize,
            policy: MutexGuard<'m, P>,
        ) -> Locked<'m, K, V, S, P> {
            Locked {
                held: None,
                policy,
                shards: self.inner.shards(),
                hasher: PhantomData,
                segment,
                shard_bits: self.shard_bits,
            }
        }
    }

    impl<'m, K, V, S, P> Locked<'m, K, V, S, P> {
        pub(crate) fn policy(&self) -> &P {
            &self.policy
        }

        /// The policy and the segment's shards, each borrowed for as long
        /// as `self`.
        pub(crate) fn parts(&mut self) -> (&mut P, Shard<'_, 'm, K, V, S>) {
            let shard = Shard {
                held: &mut self.held,
                shards: self.shards,
                hasher: self.hasher,
                segment: self.segment,
                shard_bits: self.shard_bits,
            };
            (&mut self.policy, shard)
        }
    }

    impl<K, V, S> Shard<'_, '_, K, V, S> {
        /// The table a key hashing to `hash` is kept in, write-locked: the
        /// shard held already, or this one in its place. Another thread
        /// write-locks the segment's shards only under its policy's lock,
        /// which the caller holds, so this waits only for readers.
        #[inline]
        fn table(&mut self, hash: u64) -> &mut Table<K, V> {
            let index = shard_index(self.segment, self.shard_bits, hash);
            if !matches!(self.held, Some((held, _)) if *held == index) {
                *self.held = None;
                *self.held = Some((index, self.shards[index].write()));
            }
            &mut self.held.as_mut().expect("locked just above").1
        }
    }

    impl<K: Hash + Eq, V, S: BuildHasher> Shard<'_, '_, K, V, S> {
        /// Runs `f` on the value of `key`, which hashes to `hash`.
        #[inline]
        pub(crate) fn update_hashed<Q, R>(
            &mut self,
            hash: u64,
            key: &Q,
            f: impl FnOnce(&mut V) -> R,
        ) -> Option<R>
        where
            K: Borrow<Q>,
            Q: Eq + ?Sized,
        {
            self.table(hash)
                .get_mut(hash, |(stored, _)| key == stored.borrow())
                .map(|(_, value)| f(value.get_mut()))
        }

        /// Stores `key`, which hashes to `hash` and is not in the map. No
        /// user code runs: no `Eq`, and no `Hash` either when the table
        /// grows, which moves every entry by its value's kept hash.
        #[inline]
        pub(crate) fn insert_new_hashed(&mut self, hash: u64, key: K, value: V)
        where
            V: KeepsHash,
        {
            let table = self.table(hash);
            table.reserve(1, |(_, stored)| stored.get().kept_hash());
            let value = dashmap::SharedValue::new(value);
            let stored = table.try_insert_no_grow(hash, (key, value));
            assert!(stored.is_ok(), "room was reserved just before");
        }

        /// Removes `key`, which hashes to `hash`, handing back the map's key
        /// and the value, so that the caller drops them where it chooses
        /// (outside the lock).
        pub(crate) fn remove<Q>(&mut self, hash: u64, key: &Q) -> Option<(K, V)>
        where
            K: Borrow<Q>,
            Q: Eq + ?Sized,
        {
            self.table(hash)
                .remove_entry(hash, |(stored, _)| key == stored.borrow())
                .map(|(key, value)| (key, value.into_inner()))
        }

        /// Removes the entry filed under `hash` whose value `is_it` picks,
        /// if `evict(value)` says so; `None` if absent or kept. Hands the
        /// key and value back, as `remove`. No key is compared: `is_it`
        /// names one insertion (the cache's slot ids are unique among a
        /// hash's entries), so entries whose key is not equal to itself go
        /// as well as any.
        #[inline]
        pub(crate) fn remove_if_found(
            &mut self,
            hash: u64,
            is_it: impl Fn(&V) -> bool,
            evict: impl FnOnce(&V) -> bool,
        ) -> Option<(K, V)> {
            let found = |(_, value): &(K, dashmap::SharedValue<V>)| is_it(value.get());
            let table = self.table(hash);
            let (_, value) = table.get(hash, found)?;
            if !evict(value.get()) {
                return None;
            }
            table
                .remove_entry(hash, found)
                .map(|(key, value)| (key, value.into_inner()))
        }

        /// Runs `f` on the key and value filed under `hash` whose value
        /// `is_it` picks. No key is compared, as in `remove_if_found`.
        #[inline]
        pub(crate) fn read_found<R>(
            &mut self,
            hash: u64,
            is_it: impl Fn(&V) -> bool,
            f: impl FnOnce(&K, &V) -> R,
        ) -> Option<R> {
            self.table(hash)
                .get(hash, |(_, value)| is_it(value.get()))
                .map(|(key, value)| f(key, value.get()))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{default_shard_count, shard_index, Map};
        use std::hash::BuildHasher;

        #[test]
        fn a_map_of_few_segments_spreads_its_keys_over_as_many_shards_as_dashmap() {
            // One segment (every weighted cache): its keys must not share
            // one read lock (a first version did: a weighted cache read at
            // half the speed at 2 threads).
            for segments in [1, 3, 64, 100] {
                let hasher = foldhash::fast::RandomState::default();
                let map: Map<u64, u64, _, ()> = Map::new(hasher.clone(), vec![(); segments]);
                let shards = map.inner.shards().len();
                assert!(
                    shards >= default_shard_count(),
                    "{segments} segments: {shards} shards"
                );
                let per_segment = 1 << map.shard_bits;
                assert!(segments.next_power_of_two() * per_segment <= shards);
                let mut used = vec![false; shards];
                for key in 0..10_000_u64 {
                    let hash = hasher.hash_one(key);
                    let segment = usize::try_from(key).unwrap() % segments;
                    let shard = shard_index(segment, map.shard_bits, hash);
                    assert_eq!(shard >> map.shard_bits, segment, "a segment's own shards");
                    used[shard] = true;
                }
                let used = used.iter().filter(|used| **used).count();
                assert_eq!(used, segments * per_segment, "{segments} segments");
            }
        }
    }
}

#[cfg(loom)]
mod loom_shards {
    use super::{Borrow, BuildHasher, Hash, KeepsHash};
    use loom::sync::{RwLock, RwLockWriteGuard};
    use std::collections::HashMap;

    /// A segment's entries and policy, under one lock.
    type Segment<K, V, S, P> = (HashMap<K, V, S>, P);
    type SegmentLock<K, V, S, P> = RwLock<Segment<K, V, S, P>>;

    pub(crate) struct Map<K, V, S, P> {
        segments: Box<[SegmentLock<K, V, S, P>]>,
        hasher: S,
    }

    pub(crate) struct Locked<'a, K, V, S, P> {
        guard: RwLockWriteGuard<'a, Segment<K, V, S, P>>,
    }

    pub(crate) struct Shard<'a, 'm, K, V, S> {
        map: &'a mut HashMap<K, V, S>,
        segment: std::marker::PhantomData<&'m ()>,
    }

    impl<K: Hash + Eq, V, S: BuildHasher + Clone, P> Map<K, V, S, P> {
        pub(crate) fn new(hasher: S, policies: Vec<P>) -> Self {
            let segments = policies
                .into_iter()
                .map(|policy| RwLock::new((HashMap::with_hasher(hasher.clone()), policy)))
                .collect();
            Self { segments, hasher }
        }

        pub(crate) fn take_all(&mut self, _hasher: S) -> impl Iterator<Item = (K, V)> {
            let mut entries = Vec::new();
            for segment in self.segments.iter_mut() {
                let (map, _) = segment.get_mut().expect("no guard is held across a panic");
                entries.extend(map.drain());
            }
            entries.into_iter()
        }

        pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
            self.hasher.hash_one(key)
        }

        pub(crate) fn read<Q, R>(
            &self,
            segment: usize,
            (_, key): (u64, &Q),
            f: impl FnOnce(&V) -> R,
        ) -> Option<R>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.segments[segment].read().unwrap().0.get(key).map(f)
        }

        pub(crate) fn lock(&self, segment: usize) -> Locked<'_, K, V, S, P> {
            Locked {
                guard: self.segments[segment].write().unwrap(),
            }
        }

        pub(crate) fn try_lock(&self, segment: usize) -> Option<Locked<'_, K, V, S, P>> {
            let guard = self.segments[segment].try_write().ok()?;
            Some(Locked { guard })
        }
    }

    impl<'m, K, V, S, P> Locked<'m, K, V, S, P> {
        pub(crate) fn policy(&self) -> &P {
            &self.guard.1
        }

        pub(crate) fn parts(&mut self) -> (&mut P, Shard<'_, 'm, K, V, S>) {
            let (map, policy) = &mut *self.guard;
            let shard = Shard {
                map,
                segment: std::marker::PhantomData,
            };
            (policy, shard)
        }
    }

    impl<K: Hash + Eq, V, S: BuildHasher> Shard<'_, '_, K, V, S> {
        pub(crate) fn update_hashed<Q, R>(
            &mut self,
            _hash: u64,
            key: &Q,
            f: impl FnOnce(&mut V) -> R,
        ) -> Option<R>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.map.get_mut(key).map(f)
        }

        pub(crate) fn insert_new_hashed(&mut self, hash: u64, key: K, value: V)
        where
            V: KeepsHash,
        {
            // This stand-in's `HashMap` hashes keys itself; the models
            // check that the slot keeps the hash the real table moves it by.
            assert_eq!(value.kept_hash(), hash, "the slot keeps its key's hash");
            let previous = self.map.insert(key, value);
            assert!(previous.is_none(), "the key was not in the map");
        }

        pub(crate) fn remove<Q>(&mut self, _hash: u64, key: &Q) -> Option<(K, V)>
        where
            K: Borrow<Q>,
            Q: Hash + Eq + ?Sized,
        {
            self.map.remove_entry(key)
        }

        pub(crate) fn remove_if_found(
            &mut self,
            _hash: u64,
            is_it: impl Fn(&V) -> bool,
            evict: impl FnOnce(&V) -> bool,
        ) -> Option<(K, V)> {
            if !self
                .map
                .values()
                .find(|value| is_it(value))
                .is_some_and(evict)
            {
                return None;
            }
            // No key compared, as dashmap's version: take the entry out by
            // moving every other one back (the models' maps hold a few).
            let mut removed = None;
            for (key, value) in self.map.drain().collect::<Vec<_>>() {
                if removed.is_none() && is_it(&value) {
                    removed = Some((key, value));
                } else {
                    self.map.insert(key, value);
                }
            }
            removed
        }

        pub(crate) fn read_found<R>(
            &mut self,
            _hash: u64,
            is_it: impl Fn(&V) -> bool,
            f: impl FnOnce(&K, &V) -> R,
        ) -> Option<R> {
            self.map
                .iter()
                .find(|(_, value)| is_it(value))
                .map(|(key, value)| f(key, value))
        }
    }
}
