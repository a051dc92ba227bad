//! A bounded concurrent cache: [`Cache`], built by [`CacheBuilder`],
//! counted by [`CacheStats`].
//!
//! Storage is dashmap's (`sync/map.rs`); eviction is S3-FIFO per segment
//! (`policy.rs` keeps a small FIFO, a main CLOCK queue and a ghost list of
//! hashes, with a 2-bit frequency in each entry's slot, `slot.rs`), within
//! one capacity shared by all segments (`budget.rs`); loads run once per
//! key through the single-flight table (`flight.rs`), with no lock held
//! while the loader runs; what leaves the cache is dropped after every lock
//! is released (`garbage.rs`).
//!
//! Compiled with the `cache` feature (on by default).

mod budget;
mod builder;
mod expiry;
mod flight;
mod garbage;
mod ghost;
mod policy;
mod removal_cause;
mod slot;
mod stats;

use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use atomics_kit::{drop_caught, FirstPanic, PerThreadCounter};
use crossbeam_utils::CachePadded;

pub use atomics_kit::SizeError;
pub use builder::CacheBuilder;
pub use removal_cause::RemovalCause;
pub use stats::CacheStats;

use crate::sync::map::{Locked, Map, Shard};
use crate::sync::{AtomicUsize, Backoff, Ordering};
use budget::{Budget, Credit, Reservation};
use builder::{Listener, Weigher};
use expiry::Expiry;
use flight::{Claim, Flights, Landing};
use garbage::Garbage;
use policy::Policy;
use slot::Slot;

/// The hasher a [`Cache`] uses unless its builder is given another:
/// foldhash's, seeded per process. Fast, with some resistance to chosen
/// keys; for keys an attacker picks freely, pass
/// `std::collections::hash_map::RandomState` to
/// [`CacheBuilder::hasher`].
pub type DefaultHashBuilder = foldhash::fast::RandomState;

/// A bounded concurrent cache: a sharded map (dashmap) with S3-FIFO
/// eviction and single-flight loads.
///
/// - **Reads scale.** A hit takes one read lock on a map shard and bumps a
///   counter in the entry (a load and, until it saturates, a store); it
///   never takes a lock shared by all keys, and never waits for a load.
/// - **Bounded.** One capacity for the whole cache, whatever the hasher: an
///   insert evicts *before* it adds, so [`len`](Self::len) never exceeds
///   the capacity, not even while inserts run. The keys are split into
///   segments (each with its own eviction queues and lock, so that inserts
///   of different keys rarely wait for each other); a segment evicts its
///   own entries to make room, and takes from the others when it has none.
/// - **Hit ratio.** S3-FIFO (see `docs/cache-kit.md`): one-hit wonders leave
///   through a small queue, keys hit again stay in a CLOCK main queue.
/// - **Single flight.** [`get_or_insert_with`](Self::get_or_insert_with)
///   runs one load per missing key however many threads ask at once, with
///   no lock held, so other keys are never delayed by it.
///
/// Values are returned by clone: for large values store `Arc<V>`. No
/// guard into the map is ever handed out, so nothing the caller holds can
/// block a writer.
///
/// **When to use it.** A synchronous bounded cache with single-flight
/// loads, an eviction listener and expiry that start no thread; for an
/// async cache use moka, and for the fastest mixed get/insert throughput
/// quick_cache (`docs/cache-kit.md` compares them).
///
/// **User code.** Keys' and values' `Drop` runs after the cache released
/// every lock: it may use the cache, and if it panics the panic reaches the
/// caller whose operation removed the entry, after that operation took
/// effect (each other value is still dropped). A panic in a key's `Clone`,
/// `Hash` or `Eq`, a value's `Clone`, the weigher or a load reaches its
/// caller and leaves the cache consistent: no lock held, no load stuck.
/// Keys' `Clone` and `Eq` and values' `Clone` run under a map shard's
/// lock (as in dashmap) and must not use the cache: one that does
/// deadlocks (a key's or value's `Clone` inside `iter` or `retain` runs
/// under its segment's write locks, so even a `get` waits for good). A
/// key's `Hash` and the cache's hasher run once per call, before any lock
/// is taken (a table that grows moves its entries by the hashes it keeps),
/// so they may use the cache.
/// Dropping the cache drops every key and value once (the listener is not
/// told); if one's `Drop` panics, the others are still dropped and the
/// panic then reaches the code dropping the cache, unless that code is
/// already unwinding (the panic is then dropped: a second panic would
/// abort the process). The weigher, the
/// listener and `expire_after` are dropped with the cache, each with a
/// panic of its captures' `Drop` caught (also while a panic unwinds); so
/// is an unused loader of
/// [`get_or_insert_with`](Self::get_or_insert_with). Not survived: a
/// hasher whose `Drop` or `Clone` panics while the cache is dropped (the
/// map holds its own copy, dropped as dashmap drops it).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use cache_kit::Cache;
///
/// let cache: Cache<u64, Arc<String>> = Cache::new(1_000)?;
/// let page = cache.get_or_insert_with(&7, || Arc::new(format!("page {}", 7)));
/// assert_eq!(*page, "page 7");
/// assert_eq!(cache.get(&7).as_deref().map(String::as_str), Some("page 7"));
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
pub struct Cache<K, V, S = DefaultHashBuilder> {
    /// The entries, in shards owned by the segments, and each segment's
    /// eviction queues under its lock.
    map: Map<K, Slot<V>, S, Policy>,
    segments: Box<[CachePadded<Segment<K, V>>]>,
    hasher: S,
    weigher: Option<Weigher<K, V>>,
    listener: Option<Listener<K, V>>,
    expiry: Option<Expiry<K, V>>,
    budget: CachePadded<Budget>,
    hits: PerThreadCounter,
    misses: PerThreadCounter,
    /// What dropping the cache runs ([`Cache::drop_entries`]): a function
    /// made where the key and hasher bounds hold, for the `Drop` impl,
    /// which cannot have them.
    drop_entries: fn(&mut Self),
}

/// The keys that hash to one part of the cache: their loads in progress
/// (their eviction queues are in the map, beside their shards).
struct Segment<K, V> {
    flights: Flights<K, V>,
    /// The policy's live entry count, for `len` without the lock.
    entries: AtomicUsize,
}

/// A segment locked (its policy; its shards are write-locked as its map
/// operations need them); publishes its live entry count for `len` when
/// released, also when the operation unwinds (a user `Eq` panicked).
struct PolicyGuard<'a, K, V, S> {
    segment: &'a Segment<K, V>,
    locked: Locked<'a, K, Slot<V>, S, Policy>,
}

impl<'a, K, V, S> PolicyGuard<'a, K, V, S> {
    /// The policy, and the segment's table for its map operations.
    fn parts(&mut self) -> (&mut Policy, Shard<'_, 'a, K, Slot<V>, S>) {
        self.locked.parts()
    }

    fn policy(&mut self) -> &mut Policy {
        self.locked.parts().0
    }

    /// Copies of the segment's entries ([`Policy::snapshot`]).
    fn snapshot(
        &mut self,
        expired: policy::Expired<'_, V>,
    ) -> Result<Vec<policy::Copied<K, V>>, policy::PartialSnapshot<K, V>>
    where
        K: Hash + Eq + Clone,
        V: Clone,
        S: BuildHasher + Clone,
    {
        let (policy, mut shard) = self.parts();
        policy.snapshot(&mut shard, expired)
    }
}

impl<K, V, S> Drop for PolicyGuard<'_, K, V, S> {
    fn drop(&mut self) {
        // Relaxed: `len` reads a snapshot; the map, not this count, is what
        // readers of the values synchronize through (its locks).
        self.segment
            .entries
            .store(self.locked.policy().entries(), Ordering::Relaxed);
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Clone,
    V: Clone,
{
    /// A cache of at most `max_entries` entries. Its memory grows with the
    /// entries it holds, not with `max_entries`: a cache with room for a
    /// billion that holds a thousand takes memory for a thousand. Like a
    /// `HashMap`, it keeps that room when entries go (removed, evicted,
    /// expired or cleared: their keys and values are dropped, the tables
    /// stay sized for as many); dropping the cache gives it all back.
    ///
    /// # Errors
    ///
    /// [`SizeError`] if `max_entries` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::<String, u32>::new(10_000)?;
    /// assert_eq!(cache.capacity(), 10_000);
    /// assert!(cache_kit::Cache::<String, u32>::new(0).is_err());
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn new(max_entries: u64) -> Result<Self, SizeError> {
        CacheBuilder::new(max_entries).build()
    }

    /// A builder, for a weigher or a hasher.
    ///
    /// # Examples
    ///
    /// ```
    /// use cache_kit::Cache;
    ///
    /// // At most 1 MiB of strings, by length.
    /// let cache: Cache<u32, String> = Cache::builder(1 << 20)
    ///     .weigher(|_key, value: &String| value.len() as u64)
    ///     .build()?;
    /// cache.insert(1, "x".repeat(100));
    /// assert_eq!(cache.weight(), 100);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn builder(capacity: u64) -> CacheBuilder<K, V> {
        CacheBuilder::new(capacity)
    }
}

impl<K, V, S> Cache<K, V, S>
where
    K: Hash + Eq + Clone,
    V: Clone,
    S: BuildHasher + Clone,
{
    /// The most segments a cache is split into; [`CacheBuilder::segments`]
    /// clamps larger counts to it.
    pub const MAX_SEGMENTS: usize = 1 << 12;

    pub(crate) fn from_parts(
        capacity: u64,
        segment_count: usize,
        hasher: S,
        weigher: Option<Weigher<K, V>>,
        listener: Option<Listener<K, V>>,
        expiry: Option<Expiry<K, V>>,
    ) -> Self {
        let count = segment_count as u64;
        let policies = (0..count)
            .map(|index| {
                // The nominal share, as even as integers allow: it sizes
                // the segment's small queue, it bounds nothing.
                let share = capacity / count + u64::from(index < capacity % count);
                Policy::new(share)
            })
            .collect();
        let segments = (0..count)
            .map(|_| {
                CachePadded::new(Segment {
                    flights: Flights::new(),
                    entries: AtomicUsize::new(0),
                })
            })
            .collect();
        Self {
            // Empty: the tables grow with the entries, not the capacity (a
            // large cache holding little takes little memory, and its
            // entries stay packed: presized to the capacity, a cache half
            // full read 0.44-0.74x as fast as quick_cache at 200k keys,
            // grown, 0.68-0.82x; see docs/cache-kit.md).
            map: Map::new(hasher.clone(), policies),
            segments,
            hasher,
            weigher,
            listener,
            expiry,
            budget: CachePadded::new(Budget::new(capacity)),
            hits: PerThreadCounter::new(),
            misses: PerThreadCounter::new(),
            drop_entries: Self::drop_entries,
        }
    }

    /// Drops every entry when the cache is dropped, each key and value on
    /// its own, so that one whose `Drop` panics leaves none of the others
    /// undropped (dropped with the map, the rest of its shard leaked), and
    /// without hashing or comparing a key. The listener is not told: the
    /// cache is going, not evicting. The first panic is resumed after
    /// everything is dropped, unless the thread is already panicking (a
    /// second panic would abort the process): its payload is dropped.
    fn drop_entries(&mut self) {
        if !std::mem::needs_drop::<K>() && !std::mem::needs_drop::<V>() {
            return; // Nothing that drops can panic: the map goes whole.
        }
        let mut panics = FirstPanic::new();
        for (key, slot) in self.map.take_all(self.hasher.clone()) {
            panics.drop_value(key);
            panics.drop_value(slot);
        }
        // Nothing resumed while the thread already unwinds (see `resume`).
        panics.resume();
    }

    /// The value cached for `key`, cloned, if any. A hit counts towards
    /// keeping the entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert("k".to_string(), 1);
    /// assert_eq!(cache.get("k"), Some(1));
    /// assert_eq!(cache.get("other"), None);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_hashed(self.map.hash(key), key)
    }

    /// [`get`](Self::get) of `key`, which hashes to `hash`.
    #[inline]
    fn get_hashed<Q>(&self, hash: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let found = self.lookup(hash, key);
        if found.is_some() {
            self.hits.increment();
        } else {
            self.misses.increment();
        }
        found
    }

    /// The value cached for `key`, cloned, if any, *without* counting as a
    /// hit: the entry is no more likely to stay than before, and the
    /// stats' hits and misses do not change.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert(1, "one");
    /// assert_eq!(cache.peek(&1), Some("one"));
    /// assert_eq!(cache.peek(&2), None);
    /// assert_eq!(cache.stats().hits + cache.stats().misses, 0);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn peek<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read_live(self.map.hash(key), key, |slot, _| slot.value.clone())
    }

    /// `get` without counting a hit or miss in the stats.
    #[inline]
    fn lookup<Q>(&self, hash: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(expiry) = &self.expiry else {
            // The hit path: one shard read lock and the slot's count (no
            // clock).
            return self.read_slot(hash, key, |slot| {
                slot.touch();
                slot.value.clone()
            });
        };
        self.read_live(hash, key, |slot, now| {
            slot.touch();
            expiry.accessed(slot, now);
            slot.value.clone()
        })
    }

    /// Runs `f` on the slot of `key`, which hashes to `hash`, under its
    /// shard's read lock. Every operation hashes its key once, before any
    /// lock, and passes the hash on.
    #[inline]
    fn read_slot<Q, R>(&self, hash: u64, key: &Q, f: impl FnOnce(&Slot<V>) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.read(self.segment_index(hash), (hash, key), f)
    }

    /// [`lookup`](Self::lookup) that leaves an expired entry where it is
    /// (it reads as absent), for a caller that must run no user code yet.
    fn lookup_live<Q>(&self, hash: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(expiry) = &self.expiry else {
            return self.lookup(hash, key);
        };
        self.read_slot(hash, key, |slot| {
            let now = expiry.now();
            (!expiry.is_expired(slot, now)).then(|| {
                slot.touch();
                expiry.accessed(slot, now);
                slot.value.clone()
            })
        })
        .flatten()
    }

    /// Runs `read` on `key`'s slot under the shard's read lock, unless the
    /// entry has expired: then it is removed (the listener hears
    /// [`RemovalCause::Expired`]) and the key reads as absent.
    #[inline(never)]
    fn read_live<Q, R>(
        &self,
        hash: u64,
        key: &Q,
        read: impl FnOnce(&Slot<V>, u64) -> R,
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let Some(expiry) = &self.expiry else {
            return self.read_slot(hash, key, |slot| read(slot, 0));
        };
        let found = self.read_slot(hash, key, |slot| {
            // The clock is read under the shard's lock: after any insert
            // this read can see (read before the lock, it would make an
            // entry inserted meanwhile look younger than it is).
            let now = expiry.now();
            if expiry.is_expired(slot, now) {
                Err((slot.id, now))
            } else {
                Ok(read(slot, now))
            }
        })?;
        match found {
            Ok(result) => Some(result),
            Err((id, now)) => {
                self.remove_expired_insertion(hash, id, now);
                None
            }
        }
    }

    /// Removes the insertion `id` of the key hashing to `hash`, found
    /// expired at `now`, if it is still there and still expired (found by
    /// hash and insertion: no key is compared).
    fn remove_expired_insertion(&self, hash: u64, id: u64, now: u64) {
        let index = self.segment_index(hash);
        let expired = |slot: &Slot<V>| self.is_expired(slot, now);
        self.collecting(|garbage| {
            let also = (&expired as policy::Expired<'_, V>, RemovalCause::Expired);
            let mut guard = self.lock(index);
            let (policy, mut shard) = guard.parts();
            policy.remove_insertion(&mut shard, (hash, id), also, &self.budget, garbage);
        });
    }

    /// Runs `op`, which takes locks and leaves in `garbage` what it removed,
    /// then hands the garbage out (the listener, the drops) once `op` has
    /// released its locks, whether it returned or unwound: a user `Eq`
    /// panicking midway still lets every entry already removed be told and
    /// dropped. The first panic (`op`'s, else the listener's or a drop's)
    /// reaches the caller; `op`'s result is dropped first if a later one
    /// panicked.
    fn collecting<R>(&self, op: impl FnOnce(&mut Garbage<K, V>) -> R) -> R {
        let mut garbage = Garbage::new();
        if !Garbage::runs_user_code(self.listener.as_ref()) {
            // Nothing of what `op` leaves can run user code when dropped,
            // so `op`'s panic may simply go on (the garbage it leaves is
            // dropped on the way, running nothing): no guards, no catch,
            // no walk (callgrind: an insert of a `u64` key and value took
            // 682 instructions with them).
            return op(&mut garbage);
        }
        let mut panics = FirstPanic::new();
        let result = panics.catch(|| op(&mut garbage));
        panics.catch(|| garbage.dispose(self.listener.as_ref()));
        match result {
            Some(result) if !panics.caught() => result,
            result => {
                panics.drop_value(result);
                panics.resume();
                unreachable!("a panic was pending")
            }
        }
    }

    /// The clock, for expiry: 0 when the cache has none.
    fn now(&self) -> u64 {
        self.expiry.as_ref().map_or(0, Expiry::now)
    }

    /// Whether the entry in `slot` has expired at `now` (never without
    /// expiry).
    fn is_expired(&self, slot: &Slot<V>, now: u64) -> bool {
        self.expiry
            .as_ref()
            .is_some_and(|expiry| expiry.is_expired(slot, now))
    }

    /// Whether the entry in `slot` has expired by the time of this check:
    /// for a caller about to hand the value out, which checks under the
    /// lock that guards the slot, so the clock is read after any insert it
    /// can see (a time read before the lock would make an entry inserted
    /// meanwhile look younger than it is, and hand out an expired value).
    fn is_expired_now(&self, slot: &Slot<V>) -> bool {
        self.expiry
            .as_ref()
            .is_some_and(|expiry| expiry.is_expired(slot, expiry.now()))
    }

    /// Removes every expired entry now, segment by segment, instead of
    /// when reads, inserts and evictions come across them: for a cache
    /// that sits idle and should drop its expired keys and values (the
    /// tables keep their room, as [`new`](Self::new) says).
    /// Does nothing without expiry.
    ///
    /// # Panics
    ///
    /// As [`clear`](Self::clear).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cache = cache_kit::Cache::builder(10)
    ///     .time_to_live(Duration::from_millis(1))
    ///     .build()?;
    /// cache.insert(1, "one");
    /// std::thread::sleep(Duration::from_millis(20));
    /// cache.remove_expired();
    /// assert_eq!(cache.len(), 0);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn remove_expired(&self) {
        if self.expiry.is_none() {
            return;
        }
        let now = self.now();
        let expired = |slot: &Slot<V>| self.is_expired(slot, now);
        // Every segment, even after a listener or a `Drop` panicked in one
        // (a break run: the segments after it kept their expired entries);
        // the first panic goes on at the end.
        let mut panics = FirstPanic::new();
        for index in 0..self.segments.len() {
            panics.catch(|| {
                self.collecting(|garbage| {
                    let mut guard = self.lock(index);
                    let (policy, mut shard) = guard.parts();
                    policy.remove_all_expired(&mut shard, &expired, &self.budget, garbage);
                });
            });
        }
        panics.resume();
    }

    /// Whether `key` is cached. Unlike [`get`](Self::get), not a hit: it
    /// does not help the entry stay.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert(1, "one");
    /// assert!(cache.contains_key(&1));
    /// assert!(!cache.contains_key(&2));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.map.hash(key);
        if self.expiry.is_none() {
            return self.read_slot(hash, key, |_| ()).is_some();
        }
        self.read_live(hash, key, |_, _| ()).is_some()
    }

    /// Stores `value` for `key`, replacing any value there, and evicts
    /// other entries first if the cache is full. A `get` that starts after
    /// `insert` returns sees `value` (or a later one), unless the entry was
    /// evicted or removed meanwhile. A replaced key keeps its place in the
    /// eviction queues: making room for a heavier value never evicts the
    /// key itself.
    ///
    /// A value heavier than the whole capacity (possible only with a
    /// [weigher](CacheBuilder::weigher)) is not stored: the key's old
    /// value, if any, is removed and [`CacheStats::rejected`] counts it.
    ///
    /// A key whose `Eq` is not reflexive (a float field holding NaN: Rust's
    /// `Eq` contract broken) is stored but never found by a lookup (`get`,
    /// `remove`, a later `insert` of it); eviction, expiry, `retain`,
    /// `iter` and `clear` find entries by their hash and insertion without
    /// comparing keys, so they reach its entry like any other. If nothing
    /// the cache can find is left to evict (a hasher that gives one key
    /// different hashes can hide entries), an insert is not stored and
    /// `rejected` counts it, rather than waiting for room for good.
    ///
    /// # Panics
    ///
    /// If the key's `Clone`, `Hash` (run once, before any lock), the
    /// weigher or `expire_after` panics: the cache is left as it was. If
    /// `Eq` panics later, inside the map, the cache stays consistent, and
    /// the entries already evicted to make room stay evicted (the listener
    /// is told); the new key and value are dropped after every lock is
    /// released (storing a new key runs no `Eq`: the map was searched for
    /// it a moment before, under the same segment lock, and no `Hash`: a
    /// table that grows moves its entries by the hashes it keeps). If the
    /// listener, or the `Drop` of a value this insert replaced or evicted,
    /// panics: after the insert took effect, every other entry still told
    /// and dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(2)?;
    /// cache.insert(1, 'a');
    /// cache.insert(1, 'b');
    /// assert_eq!(cache.get(&1), Some('b'));
    /// assert_eq!(cache.len(), 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn insert(&self, key: K, value: V) {
        let hash = self.map.hash(&key);
        self.collecting(|garbage| self.store(hash, key, value, garbage));
    }

    /// `insert` of `key`, which hashes to `hash`, leaving what it replaced,
    /// evicted or refused in `garbage`.
    fn store(&self, hash: u64, key: K, value: V, garbage: &mut Garbage<K, V>) {
        // User code first, with no lock held: if it panics, nothing changed.
        let weight = self.weigh(&key, &value);
        let now = self.now();
        let times = self
            .expiry
            .as_ref()
            .and_then(|expiry| expiry.times(&key, &value, now));
        let expired = |slot: &Slot<V>| self.is_expired(slot, now);
        let index = self.segment_index(hash);
        if weight > self.budget.capacity() {
            let mut guard = self.lock(index);
            let (policy, mut shard) = guard.parts();
            policy.rejected += 1;
            let removed = policy.remove(&mut shard, (hash, &key, &expired), &self.budget);
            if let Some((old_key, old, was_expired)) = removed {
                garbage.entry(old_key, old, Self::replaced_cause(was_expired));
            }
            drop(guard);
            garbage.key(key);
            garbage.value(value);
            return;
        }
        let backoff = Backoff::new();
        let (mut value, mut times) = (Some(value), times);
        loop {
            // The segment's lock for the whole insert: the lookup, the
            // evictions from this segment and the store (and, with one
            // shard per segment, one shard lock).
            let mut guard = self.lock(index);
            let (policy, mut shard) = guard.parts();
            // One lookup replaces a key's value when that needs no room
            // (always, without a weigher); else it tells what is there.
            let found = policy.try_replace(
                &mut shard,
                (hash, &key, weight),
                (&mut value, &mut times),
                &expired,
                &self.budget,
            );
            let existing = match found {
                Some(Ok((old, old_expired))) => {
                    garbage.entry(key, old, Self::replaced_cause(old_expired));
                    if self.expiry.is_some() {
                        // This insert's share of reclaiming expired space
                        // (no user code: entries found by hash and
                        // insertion, no key compared).
                        policy.remove_expired_at_fronts(
                            &mut shard,
                            &expired,
                            4,
                            &self.budget,
                            garbage,
                        );
                    }
                    return;
                }
                Some(Err(existing)) => Some(existing),
                None => None,
            };
            let (protected, old_weight, old_expired) =
                existing.map_or((None, 0, false), |(id, w, x)| (Some(id), w, x));
            let room = match self.make_room(
                index,
                (policy, &mut shard),
                (protected, &expired),
                (old_weight, weight),
                garbage,
            ) {
                Ok(room) => room,
                Err(NoRoom::Busy) => {
                    // Everything left to evict is in segments other
                    // inserts hold: let them finish, then look again.
                    drop(guard);
                    backoff.snooze();
                    continue;
                }
                Err(NoRoom::Never) => {
                    // Every segment looked empty in turn, but entries move
                    // while such a scan runs (an insert elsewhere evicts
                    // from a segment not yet looked at into one already
                    // passed: a break run saw 19 to 105 inserts refused in
                    // 2 s). Under every lock at once nothing moves.
                    drop(guard);
                    let mut guards = self.lock_all();
                    let extra = weight.saturating_sub(old_weight);
                    let room_now = extra <= self.budget.capacity() - self.budget.used();
                    let evicted = {
                        // What it evicts goes back to the count at once
                        // (the credit drops here): the next turn of the
                        // loop reserves afresh.
                        let mut credit = self.budget.credit();
                        room_now
                            || guards.iter_mut().enumerate().any(|(at, guard)| {
                                let protected = protected.filter(|_| at == index);
                                let (policy, mut shard) = guard.parts();
                                policy.evict_one(
                                    &mut shard,
                                    protected,
                                    &expired,
                                    &mut credit,
                                    garbage,
                                )
                            })
                    };
                    if evicted {
                        drop(guards);
                        continue;
                    }
                    // Nothing the cache can find is left to evict: what
                    // fills it are entries a hasher that changes its mind
                    // hid. Refused, as a value too heavy is.
                    guards[index].policy().rejected += 1;
                    drop(guards);
                    garbage.key(key);
                    if let Some(value) = value.take() {
                        garbage.value(value);
                    }
                    return;
                }
            };
            let times = times.take();
            if protected.is_some() {
                let old = policy.replace(&mut shard, room, (hash, &key), &mut value, weight, times);
                if old_expired {
                    policy.expirations += 1;
                }
                garbage.entry(key, old, Self::replaced_cause(old_expired));
            } else {
                let value = value.take().expect("stored once, here");
                policy.add(&mut shard, room, key, hash, value, (weight, times));
            }
            if self.expiry.is_some() {
                // This insert's share of reclaiming expired space (no user
                // code, as above: it cannot make a stored insert panic).
                policy.remove_expired_at_fronts(&mut shard, &expired, 4, &self.budget, garbage);
            }
            return;
        }
    }

    /// The segment at `index`, locked: its policy (its shards are
    /// write-locked as its map operations need them).
    #[inline]
    fn lock(&self, index: usize) -> PolicyGuard<'_, K, V, S> {
        PolicyGuard {
            segment: &self.segments[index],
            locked: self.map.lock(index),
        }
    }

    /// [`lock`](Self::lock), if nobody holds it now.
    fn try_lock(&self, index: usize) -> Option<PolicyGuard<'_, K, V, S>> {
        Some(PolicyGuard {
            segment: &self.segments[index],
            locked: self.map.try_lock(index)?,
        })
    }

    /// Every segment's lock, in order: an insert holds one and takes the
    /// others only with `try_lock`, so whoever takes them all, in this
    /// order and holding none before, waits for nobody who waits for it.
    fn lock_all(&self) -> Vec<PolicyGuard<'_, K, V, S>> {
        (0..self.segments.len())
            .map(|index| self.lock(index))
            .collect()
    }

    /// Why a value an insert took the place of left: it had expired, or it
    /// was replaced.
    fn replaced_cause(was_expired: bool) -> RemovalCause {
        if was_expired {
            RemovalCause::Expired
        } else {
            RemovalCause::Replaced
        }
    }

    /// Reserves room for an entry of `weight` replacing one of `old_weight`
    /// (0 for a new key) in the segment at `index`, whose lock the caller
    /// holds (its policy and table given): evicts the segment's own entries
    /// (never the one whose id is `protected`), then other segments' whose
    /// locks are free.
    ///
    /// # Errors
    ///
    /// [`NoRoom::Busy`] if the room is still missing and another segment
    /// that might give some is locked; [`NoRoom::Never`] if no segment has
    /// anything left to evict (only entries the map cannot find again, as
    /// a hasher that gives one key different hashes leaves: without this,
    /// an insert waited for them for good).
    fn make_room<'a>(
        &'a self,
        index: usize,
        (policy, shard): (&mut Policy, &mut Shard<'_, '_, K, Slot<V>, S>),
        (protected, expired): (Option<u64>, policy::Expired<'_, V>),
        (old_weight, weight): (u64, u64),
        garbage: &mut Garbage<K, V>,
    ) -> Result<Reservation<'a>, NoRoom> {
        // The weight evicted pays for the room directly: in a full cache
        // of equal weights, no write to the budget's shared count at all.
        let mut credit = self.budget.credit();
        loop {
            if let Some(room) = self.budget.try_reserve(&mut credit, old_weight, weight) {
                return Ok(room);
            }
            if policy.evict_one(shard, protected, expired, &mut credit, garbage) {
                continue;
            }
            self.evict_from_other_segments(index, expired, &mut credit, garbage)?;
        }
    }

    /// Evicts one entry from a segment other than `index` whose lock is
    /// free. Only `try_lock`: the caller holds its own segment's lock, and
    /// two inserts each waiting for the other's segment would deadlock.
    ///
    /// # Errors
    ///
    /// [`NoRoom::Busy`] if none was evicted and some segment was locked,
    /// [`NoRoom::Never`] if every other segment was free and had nothing
    /// to evict.
    fn evict_from_other_segments(
        &self,
        index: usize,
        expired: policy::Expired<'_, V>,
        credit: &mut Credit<'_>,
        garbage: &mut Garbage<K, V>,
    ) -> Result<(), NoRoom> {
        let count = self.segments.len();
        let mut busy = false;
        for step in 1..count {
            let Some(mut guard) = self.try_lock((index + step) % count) else {
                busy = true;
                continue;
            };
            let (policy, mut shard) = guard.parts();
            if policy.evict_one(&mut shard, None, expired, credit, garbage) {
                return Ok(());
            }
        }
        Err(if busy { NoRoom::Busy } else { NoRoom::Never })
    }

    /// Removes `key`, returning its value if it was cached.
    ///
    /// # Panics
    ///
    /// If the key's `Hash` or `Eq`, or the `Drop` of the cache's copy of
    /// the key, panics (the latter after the removal took effect).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert("k", 1);
    /// assert_eq!(cache.remove("k"), Some(1));
    /// assert_eq!(cache.remove("k"), None);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.map.hash(key);
        let index = self.segment_index(hash);
        let expired = |slot: &Slot<V>| self.is_expired_now(slot);
        let (value, mut panics) = self.collecting(|garbage| {
            let removed = {
                let mut guard = self.lock(index);
                let (policy, mut shard) = guard.parts();
                policy.remove(&mut shard, (hash, key, &expired), &self.budget)
            };
            let mut panics = FirstPanic::new();
            let value = match removed {
                None => None,
                // An expired value is never returned.
                Some((map_key, value, true)) => {
                    garbage.entry(map_key, value, RemovalCause::Expired);
                    None
                }
                // The listener sees the value the caller gets back.
                Some((map_key, value, false)) => {
                    if let Some(listener) = &self.listener {
                        panics.catch(|| listener(&map_key, &value, RemovalCause::Removed));
                    }
                    garbage.key(map_key);
                    Some(value)
                }
            };
            (value, panics)
        });
        if panics.caught() {
            panics.drop_value(value);
            panics.resume();
            unreachable!("a panic was pending");
        }
        value
    }

    /// The value for `key`, loading it with `load` on a miss. The key is
    /// borrowed, as in [`get`](Self::get): a hit clones no key (a
    /// `Cache<String, _>` is asked with a `&str`); a miss makes owned
    /// copies with `ToOwned`.
    ///
    /// Single flight: of the callers that miss `key` at the same time, one
    /// runs its `load` and the others wait for its value (the key is
    /// claimed in a small table of loads in progress). `load` runs with no
    /// lock held: other keys, in the same segment too, are read and written
    /// meanwhile, and `load` may use the cache for other keys. Not in a
    /// cycle across threads: a load of `a` that needs `b` while another
    /// thread's load of `b` needs `a` waits forever, as two locks taken in
    /// opposite orders do (only a load that needs its own key, on one
    /// thread, is caught).
    ///
    /// If `load` panics, the panic goes on in this caller and the waiters
    /// retry, one of them running its own `load`: nothing is poisoned.
    ///
    /// # Panics
    ///
    /// If `load` panics, if `load` (or the weigher, or `expire_after`,
    /// which weigh the loaded value while its load is still in flight)
    /// asks the cache for `key` itself through `get_or_insert_with` or
    /// `try_get_or_insert_with` (which would wait for itself forever), and
    /// as [`insert`](Self::insert).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let cache: cache_kit::Cache<String, u32> = cache_kit::Cache::new(100)?;
    /// let loads = AtomicUsize::new(0);
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| {
    ///             let value = cache.get_or_insert_with("config", || {
    ///                 loads.fetch_add(1, Ordering::Relaxed);
    ///                 42
    ///             });
    ///             assert_eq!(value, 42);
    ///         });
    ///     }
    /// });
    /// assert_eq!(loads.load(Ordering::Relaxed), 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn get_or_insert_with<Q>(&self, key: &Q, load: impl FnOnce() -> V) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.try_get_or_insert_with(key, || Ok::<V, Infallible>(load())) {
            Ok(value) => value,
            Err(never) => match *never {},
        }
    }

    /// [`get_or_insert_with`](Self::get_or_insert_with) for a load that can
    /// fail: nothing is cached, and the error is returned to this caller
    /// and to every caller that was waiting for this load with an error of
    /// the same type `E` (one `Arc` for all of them, as moka's
    /// `try_get_with` shares it). Callers that come later load again.
    ///
    /// # Errors
    ///
    /// `load`'s error, from this caller's load or from the load it waited
    /// for.
    ///
    /// # Panics
    ///
    /// As [`get_or_insert_with`](Self::get_or_insert_with).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(100)?;
    /// let failed = cache.try_get_or_insert_with(&1, || "bad".parse::<u32>());
    /// assert!(failed.is_err());
    /// assert!(!cache.contains_key(&1));
    /// assert_eq!(cache.try_get_or_insert_with(&1, || "7".parse::<u32>()), Ok(7));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn try_get_or_insert_with<Q, E>(
        &self,
        key: &Q,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, Arc<E>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        E: Send + Sync + 'static,
    {
        let mut load = PendingLoad(Some(load));
        // The key's only hash: the lookup, the flight and the store take it.
        let hash = self.map.hash(key);
        if let Some(value) = self.get_hashed(hash, key) {
            // The unused loader is user code, and its captures' `Drop` may
            // panic: dropped before the result is built, or that panic
            // would leak the value (rust-lang/rust#47949); `value`, a
            // local, is dropped by the unwind. So on every path below.
            drop(load.take());
            return Ok(value);
        }
        let segment = &self.segments[self.segment_index(hash)];
        loop {
            // The table's copy of the key, made before its lock is taken.
            let (claim, unused_key) = segment.flights.claim(key, hash, key.to_owned());
            drop(unused_key);
            match claim {
                Claim::Follower(flight) => {
                    let landing = flight.wait::<E>();
                    // Dropped before the result is built: the last `Arc`
                    // drops the flight's copy of the value, whose `Drop`
                    // may panic, and a panic while a return value is
                    // built would leak that value (rust-lang/rust#47949);
                    // `landing`, a local, is dropped by the unwind.
                    drop(flight);
                    if !matches!(landing, Landing::Retry) {
                        // As on a hit, above.
                        drop(load.take());
                    }
                    match landing {
                        Landing::Loaded(value) => return Ok(value),
                        Landing::Failed(error) => return Err(error),
                        // The leader gave up: claim again.
                        Landing::Retry => {}
                    }
                }
                Claim::Leader(leader) => {
                    // A leader that just finished inserted the value before
                    // leaving the table: look again before loading. An
                    // expired entry stays for the insert below to replace,
                    // told then, after the flight is settled: removed here,
                    // the listener or a `Drop` loading this key again ran
                    // while this flight was held, and panicked as a
                    // recursive load (a break run).
                    if let Some(value) = self.lookup_live(hash, key) {
                        leader.complete(value.clone());
                        // As on a hit, above.
                        drop(load.take());
                        return Ok(value);
                    }
                    let load = load
                        .take()
                        .expect("a caller leads once: leading ends the call");
                    // On panic `leader` drops and abandons the flight: the
                    // followers retry.
                    match load() {
                        Ok(value) => {
                            let owned = key.to_owned();
                            let stored = value.clone();
                            let mut leader = Some(leader);
                            self.collecting(|garbage| {
                                self.store(hash, owned, stored, garbage);
                                // Settled before what the insert removed
                                // goes to the listener: a listener loading
                                // this key again starts a new load, not a
                                // recursive one. (On a panic above, the
                                // leader is dropped: the followers retry.)
                                if let Some(leader) = leader.take() {
                                    leader.complete(value.clone());
                                }
                            });
                            return Ok(value);
                        }
                        Err(error) => {
                            let error = Arc::new(error);
                            leader.fail(Arc::clone(&error));
                            return Err(error);
                        }
                    }
                }
            }
        }
    }

    /// Removes every entry. Loads in progress are not cancelled: their
    /// values are inserted when they finish. The tables keep their room for
    /// as many entries, as `HashMap::clear` does.
    ///
    /// # Panics
    ///
    /// If a removed key's or value's `Drop` panics (after every entry was
    /// removed and every other value dropped). No key's `Eq` or `Hash`
    /// runs: entries are found by their hash and insertion.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert(1, 1);
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn clear(&self) {
        self.collecting(|garbage| {
            // So that no insert runs meanwhile.
            let mut guards = self.lock_all();
            for guard in &mut guards {
                let (policy, mut shard) = guard.parts();
                policy.clear(&mut shard, &self.budget, garbage);
            }
        });
    }

    /// Keeps only the entries for which `keep` returns `true`; the others
    /// are removed (the eviction listener is told, with
    /// [`RemovalCause::Removed`]).
    ///
    /// One segment at a time, its entries are copied (keys and values
    /// cloned under its lock), then `keep` runs on the copies with no lock
    /// held (it may use the cache), then the entries it refused are removed,
    /// unless they were replaced meanwhile. Entries inserted while `retain`
    /// runs may or may not be seen.
    ///
    /// # Panics
    ///
    /// If `keep`, or a key's or value's `Clone`, panics: the segments
    /// already done stay done, and the rest are kept. If the eviction
    /// listener or a removed key's or value's `Drop` panics: after every
    /// segment was done (and every other entry told and dropped). No key's
    /// `Eq` or `Hash` runs: entries are found by their hash and insertion.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// for key in 0..6 {
    ///     cache.insert(key, key * 10);
    /// }
    /// cache.retain(|key, _value| key % 2 == 0);
    /// assert_eq!(cache.len(), 3);
    /// assert_eq!(cache.get(&4), Some(40));
    /// assert_eq!(cache.get(&5), None);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        // User code (`keep`, `Clone`, the listener, `Drop`) is caught, so
        // that a panic leaves no copy to drop while unwinding (a second
        // panic there would abort) and the refusals so far still count; a
        // panic of the listener or a `Drop` does not stop the segments
        // after it (a break run: they kept every entry), one of `keep` or a
        // `Clone` does. The first panic goes on at the end.
        let mut panics = FirstPanic::new();
        // Once `keep` panicked it is not called again: the rest are kept.
        let mut keep_panicked = false;
        for index in 0..self.segments.len() {
            if keep_panicked {
                break;
            }
            let expired = |slot: &Slot<V>| self.is_expired_now(slot);
            // The segment's lock is released at the end of this statement
            // (a temporary); a panic of a `Clone` is taken after it, in the
            // next, its copies dropped with no lock held.
            let copied = self.lock(index).snapshot(&expired);
            let copies = match copied {
                Ok(copies) => copies,
                Err(partial) => {
                    panics.catch(|| partial.resume());
                    break;
                }
            };
            let mut refused = Vec::new();
            for (key, version, value) in copies {
                let kept = keep_panicked
                    || panics.catch(|| keep(&key, &value)).unwrap_or_else(|| {
                        keep_panicked = true;
                        true
                    });
                panics.drop_value(value);
                if kept {
                    panics.drop_value(key);
                } else {
                    refused.push((key, version));
                }
            }
            if !refused.is_empty() {
                panics.catch(|| {
                    self.collecting(|garbage| {
                        let mut guard = self.lock(index);
                        let (policy, mut shard) = guard.parts();
                        for (_, (hash, id, generation)) in &refused {
                            // Only the value `keep` judged: not one stored
                            // since (same insertion, later generation).
                            let judged = |slot: &Slot<V>| slot.generation == *generation;
                            let also = (&judged as policy::Expired<'_, V>, RemovalCause::Removed);
                            policy.remove_insertion(
                                &mut shard,
                                (*hash, *id),
                                also,
                                &self.budget,
                                garbage,
                            );
                        }
                    });
                });
                for (key, _) in refused {
                    panics.drop_value(key);
                }
            }
        }
        panics.resume();
    }

    /// The entries, as copies: an iterator that takes one segment at a
    /// time, cloning its keys and values under its lock, and hands them out
    /// with no lock held. Weakly consistent, as dashmap's and moka's
    /// iterators: an entry inserted or removed while it runs may or may
    /// not be seen; no entry is seen twice unless it was removed and
    /// inserted again. So while inserts run it may yield more entries than
    /// the capacity (one seen before an insert evicted it, the new one in a
    /// segment not yet reached: a break run counted 21 against a capacity
    /// of 17); `len` never exceeds it.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert("a", 1);
    /// cache.insert("b", 2);
    /// let mut entries: Vec<_> = cache.iter().collect();
    /// entries.sort();
    /// assert_eq!(entries, [("a", 1), ("b", 2)]);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V, S> {
        Iter {
            cache: self,
            next_segment: 0,
            copies: Vec::new().into_iter(),
        }
    }

    /// The number of entries. Never more than the capacity, even while
    /// inserts run. Expired entries count until they are reclaimed (see
    /// [`CacheBuilder::time_to_live`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(3)?;
    /// for key in 0..10 {
    ///     cache.insert(key, key);
    /// }
    /// assert_eq!(cache.len(), 3);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        let entries: usize = self
            .segments
            .iter()
            // Relaxed: a snapshot (see `PolicyGuard`'s `Drop`).
            .map(|segment| segment.entries.load(Ordering::Relaxed))
            .sum();
        // Counts read at different moments can add up to more than were
        // ever cached at once; every entry weighs at least 1, so the
        // budget's total bounds them.
        entries.min(usize::try_from(self.budget.used()).unwrap_or(usize::MAX))
    }

    /// Whether the cache holds no entry.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::<u8, u8>::new(3)?;
    /// assert!(cache.is_empty());
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The total weight of the entries (their number, without a weigher).
    /// Never more than the capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(3)?;
    /// cache.insert('a', ());
    /// assert_eq!(cache.weight(), 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn weight(&self) -> u64 {
        self.budget.used()
    }

    /// The capacity: the most entries, or with a weigher the most total
    /// weight.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cache_kit::Cache::<u8, u8>::new(5)?.capacity(), 5);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn capacity(&self) -> u64 {
        self.budget.capacity()
    }

    /// The heaviest entry the cache stores: the whole capacity, on any
    /// machine and with any number of segments (storing it evicts
    /// everything else).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::<u8, u8>::new(5)?;
    /// assert_eq!(cache.max_entry_weight(), 5);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn max_entry_weight(&self) -> u64 {
        self.budget.capacity()
    }

    /// Counts of hits, misses, inserts, evictions and rejections so far.
    /// Takes each segment's lock in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(1)?;
    /// cache.insert(1, ());
    /// cache.insert(2, ());
    /// assert_eq!(cache.stats().evictions, 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn stats(&self) -> CacheStats {
        let mut stats = CacheStats {
            hits: self.hits.sum(),
            misses: self.misses.sum(),
            ..CacheStats::default()
        };
        for index in 0..self.segments.len() {
            let mut guard = self.lock(index);
            let policy = guard.policy();
            stats.inserts += policy.inserts;
            stats.evictions += policy.evictions;
            stats.rejected += policy.rejected;
            stats.expired += policy.expirations;
        }
        stats
    }

    /// The entry's weight: the weigher's, at least 1 (so that the capacity
    /// bounds the entry count too), or 1 without a weigher.
    fn weigh(&self, key: &K, value: &V) -> u64 {
        self.weigher
            .as_ref()
            .map_or(1, |weigher| weigher(key, value).max(1))
    }

    /// The segment of a key hashing to `hash`, which owns its shard:
    /// from all of the hash's bits, so that a weak hasher whose low (or
    /// high) bits vary little still spreads keys over the segments. Every
    /// `get` computes it: one multiply spreads the hash (Fibonacci
    /// hashing: each bit moves every higher one), where murmur3's
    /// finalizer cost a `get` 10 instructions of about 90 (callgrind).
    #[inline]
    fn segment_index(&self, hash: u64) -> usize {
        let spread = crate::sync::map::spread(hash);
        // Lemire's range reduction: the high half of a 64×64 product is
        // below the segment count, for any count.
        let index = (u128::from(spread) * self.segments.len() as u128) >> 64;
        // Lossless: below the segment count, a `usize`.
        #[allow(clippy::cast_possible_truncation)]
        let index = index as usize;
        index
    }
}

/// An iterator over copies of a [`Cache`]'s entries, from
/// [`Cache::iter`].
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<'a, K, V, S = DefaultHashBuilder> {
    cache: &'a Cache<K, V, S>,
    next_segment: usize,
    copies: std::vec::IntoIter<policy::Copied<K, V>>,
}

impl<K, V, S> Iterator for Iter<'_, K, V, S>
where
    K: Hash + Eq + Clone,
    V: Clone,
    S: BuildHasher + Clone,
{
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        loop {
            if let Some((key, _, value)) = self.copies.next() {
                return Some((key, value));
            }
            let index = self.next_segment;
            if index == self.cache.segments.len() {
                return None;
            }
            self.next_segment += 1;
            let expired = |slot: &Slot<V>| self.cache.is_expired_now(slot);
            // As in `retain`: the lock is released before a panic of a
            // `Clone` is resumed.
            let copied = self.cache.lock(index).snapshot(&expired);
            self.copies = copied
                .unwrap_or_else(|partial| partial.resume())
                .into_iter();
        }
    }
}

impl<K, V, S> std::iter::FusedIterator for Iter<'_, K, V, S>
where
    K: Hash + Eq + Clone,
    V: Clone,
    S: BuildHasher + Clone,
{
}

impl<K, V, S> fmt::Debug for Iter<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field(
                "segments_left",
                &(self.cache.segments.len() - self.next_segment),
            )
            .field("copies_left", &self.copies.len())
            .finish()
    }
}

/// A cache stays whole whatever user code panics inside it: no lock is
/// left held, no key left loading, every count and entry consistent (see
/// [`Cache`]). So a caller may keep using it after catching such a panic,
/// as after a poisoned `std::sync::Mutex`, without `AssertUnwindSafe`.
impl<K, V, S> std::panic::UnwindSafe for Cache<K, V, S> {}
impl<K, V, S> std::panic::RefUnwindSafe for Cache<K, V, S> {}

/// Why [`Cache::make_room`] found no room.
enum NoRoom {
    /// A segment that might give room is locked by another insert: look
    /// again once it is done.
    Busy,
    /// Nothing the cache can find is left to evict.
    Never,
}

impl<K, V, S> Drop for Cache<K, V, S> {
    fn drop(&mut self) {
        (self.drop_entries)(self);
        // The closures are user code: each dropped with its `Drop`'s panic
        // caught, also while a panic unwinds (dropped as they were, two
        // such panics, or one while unwinding, aborted the process in a
        // break run).
        drop_caught(self.weigher.take());
        drop_caught(self.listener.take());
        drop_caught(self.expiry.as_mut().and_then(Expiry::take_expire_after));
    }
}

/// An unused loader of `try_get_or_insert_with`, user code: dropped with
/// [`drop_caught`] whichever way the call ends (before, a panic of the
/// listener unwinding through the call dropped it as it was, and a panic of
/// its captures' `Drop` there aborted the process: a break run).
struct PendingLoad<F>(Option<F>);

impl<F> PendingLoad<F> {
    fn take(&mut self) -> Option<F> {
        self.0.take()
    }
}

impl<F> Drop for PendingLoad<F> {
    fn drop(&mut self) {
        drop_caught(self.0.take());
    }
}

impl<K, V, S> fmt::Debug for Cache<K, V, S>
where
    K: Hash + Eq + Clone,
    V: Clone,
    S: BuildHasher + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("len", &self.len())
            .field("capacity", &self.budget.capacity())
            .field("segments", &self.segments.len())
            .field("weighted", &self.weigher.is_some())
            .field("listener", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}
