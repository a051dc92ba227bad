//! A bounded concurrent cache: [`Cache`], built by [`CacheBuilder`],
//! counted by [`CacheStats`].
//!
//! Storage is dashmap's (`sync/map.rs`); eviction is S3-FIFO per segment
//! (`policy.rs` keeps a small FIFO, a main CLOCK queue and a ghost list of
//! hashes, with a 2-bit frequency in each entry's slot, `slot.rs`); loads
//! run once per key through the single-flight table (`flight.rs`), with no
//! lock held while the loader runs.
//!
//! Compiled with the `cache` feature (on by default).

mod builder;
mod flight;
mod policy;
mod slot;
mod stats;

use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasher, Hash};

use atomics_kit::PerThreadCounter;
use crossbeam_utils::CachePadded;

pub use atomics_kit::SizeError;
pub use builder::CacheBuilder;
pub use stats::CacheStats;

use crate::sync::map::Map;
use crate::sync::{AtomicUsize, Mutex, Ordering};
use builder::Weigher;
use flight::{Claim, Flights};
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
/// - **Bounded.** The cache is split into segments, each owning a share of
///   the capacity; an insert evicts *before* it adds, so [`len`](Self::len)
///   never exceeds the capacity, not even while inserts run.
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
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use cache_kit::Cache;
///
/// let cache: Cache<u64, Arc<String>> = Cache::new(1_000)?;
/// let page = cache.get_or_insert_with(7, || Arc::new(format!("page {}", 7)));
/// assert_eq!(*page, "page 7");
/// assert_eq!(cache.get(&7).as_deref().map(String::as_str), Some("page 7"));
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
pub struct Cache<K, V, S = DefaultHashBuilder> {
    map: Map<K, Slot<V>, S>,
    segments: Box<[CachePadded<Segment<K, V>>]>,
    hasher: S,
    weigher: Option<Weigher<K, V>>,
    capacity: u64,
    hits: PerThreadCounter,
    misses: PerThreadCounter,
}

/// A share of the capacity and the keys that hash to it.
struct Segment<K, V> {
    policy: Mutex<Policy<K>>,
    flights: Flights<K, V>,
    /// `policy`'s live entry count, for `len` without the lock.
    entries: AtomicUsize,
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Clone,
    V: Clone,
{
    /// A cache of at most `max_entries` entries.
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
    pub(crate) fn from_parts(
        capacity: u64,
        segment_count: usize,
        hasher: S,
        weigher: Option<Weigher<K, V>>,
    ) -> Self {
        debug_assert!(segment_count.is_power_of_two());
        let count = segment_count as u64;
        let segments = (0..count)
            .map(|index| {
                // The capacity split as evenly as integers allow.
                let share = capacity / count + u64::from(index < capacity % count);
                CachePadded::new(Segment {
                    policy: Mutex::new(Policy::new(share)),
                    flights: Flights::new(),
                    entries: AtomicUsize::new(0),
                })
            })
            .collect();
        let presize = if weigher.is_none() {
            usize::try_from(capacity.min(1 << 20)).unwrap_or(1 << 20)
        } else {
            0
        };
        Self {
            map: Map::new(presize, hasher.clone()),
            segments,
            hasher,
            weigher,
            capacity,
            hits: PerThreadCounter::new(),
            misses: PerThreadCounter::new(),
        }
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
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let found = self.peek(key);
        if found.is_some() {
            self.hits.increment();
        } else {
            self.misses.increment();
        }
        found
    }

    /// `get` without counting a hit or miss in the stats.
    fn peek<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.read(key, |slot| {
            slot.touch();
            slot.value.clone()
        })
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
        self.map.contains_key(key)
    }

    /// Stores `value` for `key`, replacing any value there, and evicts
    /// entries of the key's segment first if it is full. A `get` that
    /// starts after `insert` returns sees `value` (or a later one), unless
    /// the entry was evicted or removed meanwhile.
    ///
    /// A value heavier than a segment's share of the capacity (possible
    /// only with a [weigher](CacheBuilder::weigher); see
    /// [`max_entry_weight`](Self::max_entry_weight)) is not stored: the
    /// key's old value, if any, is removed and
    /// [`CacheStats::rejected`] counts it.
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
        let hash = self.hasher.hash_one(&key);
        let weight = self.weigh(&key, &value);
        let segment = self.segment(hash);
        let outcome = {
            let mut policy = segment.policy.lock();
            let outcome = policy.insert(&self.map, key, hash, value, weight);
            // Relaxed: `len` reads a snapshot; the map, not this count, is
            // what readers of the value synchronize through (its locks).
            segment.entries.store(policy.entries(), Ordering::Relaxed);
            outcome
        };
        // The values replaced or refused drop here, outside the lock.
        drop(outcome);
    }

    /// Removes `key`, returning its value if it was cached.
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
        let segment = self.segment(self.hasher.hash_one(key));
        let mut policy = segment.policy.lock();
        let removed = policy.remove(&self.map, key);
        // Relaxed: as in `insert`.
        segment.entries.store(policy.entries(), Ordering::Relaxed);
        removed
    }

    /// The value for `key`, loading it with `load` on a miss.
    ///
    /// Single flight: of the callers that miss `key` at the same time, one
    /// runs its `load` and the others wait for its value (the key is
    /// claimed in a small table of loads in progress). `load` runs with no
    /// lock held: other keys, in the same segment too, are read and written
    /// meanwhile, and `load` may use the cache for other keys.
    ///
    /// If `load` panics, the panic goes on in this caller and the waiters
    /// retry, one of them running its own `load`: nothing is poisoned.
    ///
    /// # Panics
    ///
    /// If `load` panics, and if `load` asks the cache for `key` itself
    /// (which would wait for itself forever).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let cache = cache_kit::Cache::new(100)?;
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
    pub fn get_or_insert_with(&self, key: K, load: impl FnOnce() -> V) -> V {
        match self.try_get_or_insert_with(key, || Ok::<V, Infallible>(load())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// [`get_or_insert_with`](Self::get_or_insert_with) for a load that can
    /// fail: an error is returned to this caller, nothing is cached, and
    /// the waiters retry with their own loads.
    ///
    /// # Errors
    ///
    /// `load`'s error, when this caller ran the load and it failed.
    ///
    /// # Panics
    ///
    /// As [`get_or_insert_with`](Self::get_or_insert_with).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(100)?;
    /// let failed = cache.try_get_or_insert_with(1, || "bad".parse::<u32>());
    /// assert!(failed.is_err());
    /// assert!(!cache.contains_key(&1));
    /// assert_eq!(cache.try_get_or_insert_with(1, || "7".parse::<u32>()), Ok(7));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn try_get_or_insert_with<E>(
        &self,
        key: K,
        load: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let segment = self.segment(self.hasher.hash_one(&key));
        let mut load = Some(load);
        loop {
            match segment.flights.claim(&key) {
                Claim::Follower(flight) => {
                    if let Some(value) = flight.wait() {
                        return Ok(value);
                    }
                    // The leader failed: claim again.
                }
                Claim::Leader(leader) => {
                    // A leader that just finished inserted the value before
                    // leaving the table: look again before loading.
                    if let Some(value) = self.peek(&key) {
                        leader.complete(value.clone());
                        return Ok(value);
                    }
                    let load = load
                        .take()
                        .expect("a caller leads once: leading ends the call");
                    // On error or panic `leader` drops and abandons the
                    // flight: the followers retry.
                    let value = load()?;
                    self.insert(key, value.clone());
                    leader.complete(value.clone());
                    return Ok(value);
                }
            }
        }
    }

    /// Removes every entry. Loads in progress are not cancelled: their
    /// values are inserted when they finish.
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
        // Every segment's lock, in order (inserts take one), so that no
        // insert runs between clearing the map and resetting the queues.
        let mut policies: Vec<_> = self
            .segments
            .iter()
            .map(|segment| segment.policy.lock())
            .collect();
        self.map.clear();
        for (policy, segment) in policies.iter_mut().zip(self.segments.iter()) {
            policy.clear();
            // Relaxed: as in `insert`.
            segment.entries.store(0, Ordering::Relaxed);
        }
    }

    /// The number of entries. Never more than the capacity (for an
    /// unweighted cache), even while inserts run.
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
        self.segments
            .iter()
            // Relaxed: each segment's count never exceeds its share, so a
            // sum of counts read at different moments does not either.
            .map(|segment| segment.entries.load(Ordering::Relaxed))
            .sum()
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
    /// Takes each segment's lock in turn.
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
        self.segments
            .iter()
            .map(|segment| segment.policy.lock().weight())
            .sum()
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
        self.capacity
    }

    /// The heaviest entry the cache stores: one segment's share of the
    /// capacity (segments split it evenly, give or take one).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::<u8, u8>::new(5)?;
    /// assert!(cache.max_entry_weight() >= 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn max_entry_weight(&self) -> u64 {
        self.capacity / self.segments.len() as u64
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
        for segment in self.segments.iter() {
            let policy = segment.policy.lock();
            stats.inserts += policy.inserts;
            stats.evictions += policy.evictions;
            stats.rejected += policy.rejected;
        }
        stats
    }

    fn weigh(&self, key: &K, value: &V) -> u64 {
        self.weigher
            .as_ref()
            .map_or(1, |weigher| weigher(key, value))
    }

    fn segment(&self, hash: u64) -> &Segment<K, V> {
        // Truncating the hash is the point: its low bits pick the segment.
        #[allow(clippy::cast_possible_truncation)]
        let index = hash as usize & (self.segments.len() - 1);
        &self.segments[index]
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
            .field("capacity", &self.capacity)
            .field("segments", &self.segments.len())
            .field("weighted", &self.weigher.is_some())
            .finish_non_exhaustive()
    }
}
