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

    /// Runs `f` on the value under the shard's write lock.
    #[inline]
    pub(crate) fn update<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // As in `read`, with the shard's write lock.
        let hash = self.inner.hasher().hash_one(key);
        let shard = &self.inner.shards()[self.inner.determine_shard(hash as usize)];
        let mut table = shard.write();
        table
            .get_mut(hash, |(stored, _)| key == stored.borrow())
            .map(|(_, value)| f(value.get_mut()))
    }

    pub(crate) fn insert(&self, key: K, value: V) -> Option<V> {
        self.inner.insert(key, value)
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

    /// Removes `key` if `evict(value)` says so, with one lookup under the
    /// shard's write lock; `None` if absent or kept. As `remove`, hands the
    /// key and value back.
    pub(crate) fn remove_if<Q>(&self, key: &Q, evict: impl FnOnce(&V) -> bool) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.remove_if(key, |_, value| evict(value))
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

    pub(crate) fn update<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.write().unwrap().get_mut(key).map(f)
    }

    pub(crate) fn insert(&self, key: K, value: V) -> Option<V> {
        self.inner.write().unwrap().insert(key, value)
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

    pub(crate) fn remove_if<Q>(&self, key: &Q, evict: impl FnOnce(&V) -> bool) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut map = self.inner.write().unwrap();
        if map.get(key).is_some_and(evict) {
            map.remove_entry(key)
        } else {
            None
        }
    }
}
