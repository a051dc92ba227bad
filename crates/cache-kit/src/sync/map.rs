//! The cache's key-value storage: dashmap, behind the few operations the
//! cache needs, each taking a closure so that no dashmap guard ever leaves
//! this file (a guard held across another call on the same shard
//! deadlocks).
//!
//! Under loom the storage is a stand-in with the same operations on one
//! loom `RwLock`, so that the models in `tests/loom.rs` run the cache's own
//! code: dashmap's locks are not loom's.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

#[cfg(not(loom))]
pub(crate) struct Map<K, V, S> {
    inner: dashmap::DashMap<K, V, S>,
}

#[cfg(not(loom))]
impl<K: Hash + Eq, V, S: BuildHasher + Clone> Map<K, V, S> {
    pub(crate) fn new(capacity: usize, hasher: S) -> Self {
        // dashmap's default shard count (4 × the CPUs, a power of two).
        let shards = (std::thread::available_parallelism().map_or(1, usize::from) * 4)
            .next_power_of_two()
            .max(2);
        Self {
            inner: dashmap::DashMap::with_capacity_and_hasher_and_shard_amount(
                capacity, hasher, shards,
            ),
        }
    }

    /// Every entry, moved out (the map left empty): no key is hashed or
    /// compared.
    pub(crate) fn take_all(&mut self, hasher: S) -> impl Iterator<Item = (K, V)> {
        let empty = dashmap::DashMap::with_hasher_and_shard_amount(hasher, 2);
        std::mem::replace(&mut self.inner, empty).into_iter()
    }

    /// The hash the map files `key` under: the one every `*_hashed`
    /// operation takes (computed once per cache operation, it also picks
    /// the key's segment and is kept in its queue record).
    #[inline]
    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.inner.hasher().hash_one(key)
    }

    /// Runs `f` on the value under the shard's read lock.
    #[inline]
    pub(crate) fn read<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // dashmap's own `get` is an out-of-line trait method that builds a
        // guard object; the same steps inline (its hash, its shard, its
        // shard's read lock, its table lookup) took a hit from 114 to 92
        // instructions (callgrind; quick_cache's: 99).
        let hash = self.inner.hasher().hash_one(key);
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let table = shard.read();
        table
            .get(hash, |(stored, _)| key == stored.borrow())
            .map(|(_, value)| f(value.get()))
    }

    /// Runs `f` on the value of `key`, which hashes to `hash`
    /// ([`Map::hash`]), under the shard's write lock.
    #[inline]
    pub(crate) fn update_hashed<Q, R>(
        &self,
        hash: u64,
        key: &Q,
        f: impl FnOnce(&mut V) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        // As in `read`, with the shard's write lock and the hash given.
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let mut table = shard.write();
        table
            .get_mut(hash, |(stored, _)| key == stored.borrow())
            .map(|(_, value)| f(value.get_mut()))
    }

    /// Stores `key`, which hashes to `hash` and is not in the map (the
    /// caller holds the lock under which keys of its segment come and go).
    /// No `Eq` runs; the key's `Hash` runs only if the shard's table
    /// grows, before the key and value move in, so a panic there drops
    /// them in the caller's frame after the shard's lock.
    #[inline]
    pub(crate) fn insert_new_hashed(&self, hash: u64, key: K, value: V) {
        let hasher = self.inner.hasher();
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let mut table = shard.write();
        table.reserve(1, |(stored, _)| hasher.hash_one(stored));
        let stored = table.try_insert_no_grow(hash, (key, dashmap::SharedValue::new(value)));
        assert!(stored.is_ok(), "room was reserved just before");
    }

    /// Removes `key`, handing back the map's key and the value, so that
    /// the caller drops them where it chooses (outside its locks).
    pub(crate) fn remove<Q>(&self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.remove(key)
    }

    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.contains_key(key)
    }

    /// Removes the entry filed under `hash` whose value `is_it` picks, if
    /// `evict(value)` says so, under one hold of the shard's write lock;
    /// `None` if absent or kept. Hands the key and value back, as `remove`.
    /// No key is compared: `is_it` names one insertion (the cache's slot
    /// ids are unique among a hash's entries), so entries whose key is not
    /// equal to itself go as well as any.
    #[inline]
    pub(crate) fn remove_if_found(
        &self,
        hash: u64,
        is_it: impl Fn(&V) -> bool,
        evict: impl FnOnce(&V) -> bool,
    ) -> Option<(K, V)> {
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let mut table = shard.write();
        let found = |(_, value): &(K, dashmap::SharedValue<V>)| is_it(value.get());
        let (_, value) = table.get(hash, found)?;
        if !evict(value.get()) {
            return None;
        }
        table
            .remove_entry(hash, found)
            .map(|(key, value)| (key, value.into_inner()))
    }

    /// Runs `f` on the key and value filed under `hash` whose value `is_it`
    /// picks, under the shard's read lock. No key is compared, as in
    /// `remove_if_found`.
    #[inline]
    pub(crate) fn read_found<R>(
        &self,
        hash: u64,
        is_it: impl Fn(&V) -> bool,
        f: impl FnOnce(&K, &V) -> R,
    ) -> Option<R> {
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let table = shard.read();
        table
            .get(hash, |(_, value)| is_it(value.get()))
            .map(|(key, value)| f(key, value.get()))
    }
}

#[cfg(loom)]
pub(crate) struct Map<K, V, S> {
    inner: loom::sync::RwLock<std::collections::HashMap<K, V, S>>,
}

#[cfg(loom)]
impl<K: Hash + Eq, V, S: BuildHasher + Clone> Map<K, V, S> {
    pub(crate) fn new(_capacity: usize, hasher: S) -> Self {
        Self {
            inner: loom::sync::RwLock::new(std::collections::HashMap::with_hasher(hasher)),
        }
    }

    pub(crate) fn take_all(&mut self, hasher: S) -> impl Iterator<Item = (K, V)> {
        let empty = loom::sync::RwLock::new(std::collections::HashMap::with_hasher(hasher));
        std::mem::replace(&mut self.inner, empty)
            .into_inner()
            .expect("no guard is held across a panic")
            .into_iter()
    }

    pub(crate) fn read<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.read().unwrap().get(key).map(f)
    }

    pub(crate) fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.inner.read().unwrap().hasher().hash_one(key)
    }

    pub(crate) fn update_hashed<Q, R>(
        &self,
        _hash: u64,
        key: &Q,
        f: impl FnOnce(&mut V) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.write().unwrap().get_mut(key).map(f)
    }

    pub(crate) fn insert_new_hashed(&self, _hash: u64, key: K, value: V) {
        let previous = self.inner.write().unwrap().insert(key, value);
        assert!(previous.is_none(), "the key was not in the map");
    }

    pub(crate) fn remove<Q>(&self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.write().unwrap().remove_entry(key)
    }

    pub(crate) fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.read().unwrap().contains_key(key)
    }

    pub(crate) fn remove_if_found(
        &self,
        _hash: u64,
        is_it: impl Fn(&V) -> bool,
        evict: impl FnOnce(&V) -> bool,
    ) -> Option<(K, V)> {
        let mut map = self.inner.write().unwrap();
        if !map.values().find(|value| is_it(value)).is_some_and(evict) {
            return None;
        }
        // No key compared, as dashmap's version: take the entry out by
        // moving every other one back (the models' maps hold a few).
        let mut removed = None;
        for (key, value) in map.drain().collect::<Vec<_>>() {
            if removed.is_none() && is_it(&value) {
                removed = Some((key, value));
            } else {
                map.insert(key, value);
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
        let map = self.inner.read().unwrap();
        map.iter()
            .find(|(_, value)| is_it(value))
            .map(|(key, value)| f(key, value))
    }
}
