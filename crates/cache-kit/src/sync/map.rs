//! The cache's key-value storage and its segments' eviction policies: one
//! dashmap shard per segment, and the segment's policy beside it, locked
//! only under that shard's write lock (so it never waits). An insert takes
//! the two once, and looks its key up, evicts and stores under them, where
//! it took the policy's lock and then the shard's three times (on an insert
//! of a new key into a full cache, those 10 locked instructions were a
//! third of its time, `perf`).
//!
//! Every operation takes a closure, so that no dashmap guard leaves this
//! file except inside a [`Locked`], which is the only way to the policy.
//! Keys go to the shard of their segment, picked by the cache (never by
//! dashmap's own key-based methods, which would pick another shard).
//!
//! Under loom the storage is a stand-in with the same operations, one loom
//! `RwLock` per segment over a `HashMap` and the policy, so that the models
//! in `tests/loom.rs` run the cache's own code: dashmap's locks are not
//! loom's.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

#[cfg(not(loom))]
pub(crate) use self::dashmap_shards::{Locked, Map, Shard};
#[cfg(loom)]
pub(crate) use self::loom_shards::{Locked, Map, Shard};

#[cfg(not(loom))]
mod dashmap_shards {
    use super::{Borrow, BuildHasher, Hash};
    use crate::sync::{Mutex, MutexGuard};

    /// A dashmap shard's table.
    type Table<K, V> = hashbrown::raw::RawTable<(K, dashmap::SharedValue<V>)>;

    pub(crate) struct Map<K, V, S, P> {
        inner: dashmap::DashMap<K, V, S>,
        /// One per segment: `policies[i]` belongs to shard `i`, and is
        /// locked only by a holder of that shard's write lock, so it never
        /// waits (a lock of its own, not `unsafe` code: dashmap's shards
        /// have no room for it).
        policies: Box<[Mutex<P>]>,
    }

    /// One segment, locked: its shard's write lock, then its policy.
    pub(crate) struct Locked<'a, K, V, S, P> {
        // Released in this order: the table first.
        table: dashmap::RwLockWriteGuard<'a, Table<K, V>>,
        policy: MutexGuard<'a, P>,
        hasher: &'a S,
    }

    /// A locked segment's table, for the policy's map operations.
    pub(crate) struct Shard<'a, K, V, S> {
        table: &'a mut Table<K, V>,
        hasher: &'a S,
    }

    impl<K: Hash + Eq, V, S: BuildHasher + Clone, P> Map<K, V, S, P> {
        /// A map of one shard per policy (and unused ones up to dashmap's
        /// power of two).
        pub(crate) fn new(capacity: usize, hasher: S, policies: Vec<P>) -> Self {
            let shards = policies.len().next_power_of_two().max(2);
            let policies = policies.into_iter().map(Mutex::new).collect();
            Self {
                inner: dashmap::DashMap::with_capacity_and_hasher_and_shard_amount(
                    capacity, hasher, shards,
                ),
                policies,
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

        fn shard(&self, segment: usize) -> &dashmap::RwLock<Table<K, V>> {
            &self.inner.shards()[segment]
        }

        /// Runs `f` on the value of `key`, which hashes to `hash` and
        /// belongs to `segment`, under the shard's read lock.
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
            let table = self.shard(segment).read();
            table
                .get(hash, |(stored, _)| key == stored.borrow())
                .map(|(_, value)| f(value.get()))
        }

        /// Locks `segment`: its shard, and with it its policy.
        #[inline]
        pub(crate) fn lock(&self, segment: usize) -> Locked<'_, K, V, S, P> {
            let table = self.shard(segment).write();
            Locked {
                table,
                policy: self.policies[segment].lock(),
                hasher: self.inner.hasher(),
            }
        }

        /// [`lock`](Self::lock), if nobody holds it now.
        pub(crate) fn try_lock(&self, segment: usize) -> Option<Locked<'_, K, V, S, P>> {
            let table = self.shard(segment).try_write()?;
            Some(Locked {
                table,
                policy: self.policies[segment].lock(),
                hasher: self.inner.hasher(),
            })
        }
    }

    impl<K, V, S, P> Locked<'_, K, V, S, P> {
        pub(crate) fn policy(&self) -> &P {
            &self.policy
        }

        /// The policy and the table, each borrowed for as long as `self`.
        pub(crate) fn parts(&mut self) -> (&mut P, Shard<'_, K, V, S>) {
            let shard = Shard {
                table: &mut self.table,
                hasher: self.hasher,
            };
            (&mut self.policy, shard)
        }
    }

    impl<K: Hash + Eq, V, S: BuildHasher> Shard<'_, K, V, S> {
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
            self.table
                .get_mut(hash, |(stored, _)| key == stored.borrow())
                .map(|(_, value)| f(value.get_mut()))
        }

        /// Stores `key`, which hashes to `hash` and is not in the map. No
        /// `Eq` runs; the key's `Hash` runs only if the table grows, before
        /// the key and value move in, so a panic there drops them in the
        /// caller's frame after the lock.
        #[inline]
        pub(crate) fn insert_new_hashed(&mut self, hash: u64, key: K, value: V) {
            let hasher = self.hasher;
            self.table.reserve(1, |(stored, _)| hasher.hash_one(stored));
            let value = dashmap::SharedValue::new(value);
            let stored = self.table.try_insert_no_grow(hash, (key, value));
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
            self.table
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
            let (_, value) = self.table.get(hash, found)?;
            if !evict(value.get()) {
                return None;
            }
            self.table
                .remove_entry(hash, found)
                .map(|(key, value)| (key, value.into_inner()))
        }

        /// Runs `f` on the key and value filed under `hash` whose value
        /// `is_it` picks. No key is compared, as in `remove_if_found`.
        #[inline]
        pub(crate) fn read_found<R>(
            &self,
            hash: u64,
            is_it: impl Fn(&V) -> bool,
            f: impl FnOnce(&K, &V) -> R,
        ) -> Option<R> {
            self.table
                .get(hash, |(_, value)| is_it(value.get()))
                .map(|(key, value)| f(key, value.get()))
        }
    }
}

#[cfg(loom)]
mod loom_shards {
    use super::{Borrow, BuildHasher, Hash};
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

    pub(crate) struct Shard<'a, K, V, S> {
        map: &'a mut HashMap<K, V, S>,
    }

    impl<K: Hash + Eq, V, S: BuildHasher + Clone, P> Map<K, V, S, P> {
        pub(crate) fn new(_capacity: usize, hasher: S, policies: Vec<P>) -> Self {
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

    impl<K, V, S, P> Locked<'_, K, V, S, P> {
        pub(crate) fn policy(&self) -> &P {
            &self.guard.1
        }

        pub(crate) fn parts(&mut self) -> (&mut P, Shard<'_, K, V, S>) {
            let (map, policy) = &mut *self.guard;
            (policy, Shard { map })
        }
    }

    impl<K: Hash + Eq, V, S: BuildHasher> Shard<'_, K, V, S> {
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

        pub(crate) fn insert_new_hashed(&mut self, _hash: u64, key: K, value: V) {
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
            &self,
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
