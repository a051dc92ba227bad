//! [`CacheBuilder`]: a cache with a weigher or its own hasher.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::time::Duration;

use crate::cache::expiry::{ExpireAfter, Expiry};
use crate::cache::{Cache, DefaultHashBuilder, RemovalCause};
use crate::SizeError;

/// How much an entry counts against the capacity.
pub(crate) type Weigher<K, V> = Box<dyn Fn(&K, &V) -> u64 + Send + Sync>;

/// What the cache tells of each entry that leaves it.
pub(crate) type Listener<K, V> = Box<dyn Fn(&K, &V, RemovalCause) + Send + Sync>;

/// The fewest capacity units per segment when the builder picks the
/// count: small caches get fewer segments rather than slivers too small for
/// the eviction policy to choose well in.
const MIN_SEGMENT_SHARE: u64 = 64;

/// The most segments the builder picks by itself: enough that inserts of
/// different keys rarely wait for each other on any machine, few enough
/// that each keeps a useful share. The count depends on the capacity only,
/// never on the machine, so a cache evicts the same way everywhere.
const DEFAULT_MAX_SEGMENTS: usize = 64;

/// Builds a [`Cache`]: its capacity (entries, or total weight with a
/// weigher), weigher and hasher.
///
/// # Examples
///
/// ```
/// use cache_kit::CacheBuilder;
///
/// let cache = CacheBuilder::new(10_000)
///     .weigher(|_key: &u32, value: &Vec<u8>| value.len() as u64)
///     .build()?;
/// cache.insert(1, vec![0; 100]);
/// assert_eq!(cache.weight(), 100);
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct CacheBuilder<K, V, S = DefaultHashBuilder> {
    capacity: u64,
    weigher: Option<Weigher<K, V>>,
    listener: Option<Listener<K, V>>,
    time_to_live: Option<Duration>,
    time_to_idle: Option<Duration>,
    expire_after: Option<ExpireAfter<K, V>>,
    hasher: S,
    segments: Option<usize>,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V> CacheBuilder<K, V> {
    /// A builder for a cache of `capacity` entries (or total weight, with a
    /// [`weigher`](Self::weigher)). The cache's memory grows with the
    /// entries it holds, not with `capacity` (see [`Cache::new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::CacheBuilder::<u8, u8>::new(8).build()?;
    /// assert_eq!(cache.capacity(), 8);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn new(capacity: u64) -> Self {
        Self {
            capacity,
            weigher: None,
            listener: None,
            time_to_live: None,
            time_to_idle: None,
            expire_after: None,
            hasher: DefaultHashBuilder::default(),
            segments: None,
            _types: PhantomData,
        }
    }
}

impl<K, V, S> CacheBuilder<K, V, S> {
    /// Counts each entry as `weigher(key, value)` instead of 1, so that the
    /// capacity bounds the total weight (bytes, say). The weight is taken
    /// once, when the value is inserted; an entry heavier than the whole
    /// capacity ([`Cache::max_entry_weight`]) is not stored. A weight of 0
    /// counts as 1, so that the capacity bounds the number of entries too.
    ///
    /// The weigher runs with no lock held; if it panics, the insert does
    /// not happen and the panic reaches its caller.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::CacheBuilder::new(10)
    ///     .weigher(|_key: &&str, value: &String| value.len() as u64)
    ///     .build()?;
    /// cache.insert("short", "1234".to_string());
    /// cache.insert("long", "x".repeat(11)); // heavier than the whole cache
    /// assert!(!cache.contains_key("long"));
    /// assert_eq!(cache.stats().rejected, 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn weigher(mut self, weigher: impl Fn(&K, &V) -> u64 + Send + Sync + 'static) -> Self {
        self.weigher = Some(Box::new(weigher));
        self
    }

    /// Tells `listener` of every entry that leaves the cache: its key, its
    /// value and why ([`RemovalCause`]): evicted for room, replaced by an
    /// insert, or removed by `remove`, `clear` or `retain`.
    ///
    /// The listener runs on the thread whose call removed the entry, before
    /// that call returns and after the cache released every lock: it may
    /// use the cache. If it panics, the operation has still taken effect,
    /// the other entries are still told and dropped, and the first panic
    /// reaches the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use cache_kit::{CacheBuilder, RemovalCause};
    ///
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let cache = CacheBuilder::new(1)
    ///     .eviction_listener({
    ///         let told = Arc::clone(&told);
    ///         move |key: &u32, value: &&str, cause| told.lock().unwrap().push((*key, *value, cause))
    ///     })
    ///     .build()?;
    /// cache.insert(1, "one");
    /// cache.insert(1, "uno");
    /// cache.insert(2, "two");
    /// assert_eq!(
    ///     *told.lock().unwrap(),
    ///     [(1, "one", RemovalCause::Replaced), (1, "uno", RemovalCause::Evicted)]
    /// );
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn eviction_listener(
        mut self,
        listener: impl Fn(&K, &V, RemovalCause) + Send + Sync + 'static,
    ) -> Self {
        self.listener = Some(Box::new(listener));
        self
    }

    /// Entries expire `time_to_live` after they were inserted (or last
    /// replaced): an expired entry is never returned, and its space is
    /// reclaimed by the next read of it, by eviction (an expired entry it
    /// comes across goes before the live one it judges; one deeper in the
    /// queues, an entry given a short life after others with long ones,
    /// can stay while a live entry is evicted), by inserts (each looks at
    /// the oldest entries of its segment), or by [`Cache::remove_expired`]. No thread is started.
    /// Any duration is accepted; one too long to represent never expires.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cache = cache_kit::CacheBuilder::new(100)
    ///     .time_to_live(Duration::from_millis(1))
    ///     .build()?;
    /// cache.insert("session", 1);
    /// std::thread::sleep(Duration::from_millis(20));
    /// assert_eq!(cache.get("session"), None);
    /// assert_eq!(cache.stats().expired, 1);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn time_to_live(mut self, time_to_live: Duration) -> Self {
        self.time_to_live = Some(time_to_live);
        self
    }

    /// Entries expire `time_to_idle` after they were last inserted or read
    /// (by `get`, the `get_or_insert_with` family; not by `peek`,
    /// `contains_key` or `iter`), reclaimed as with
    /// [`time_to_live`](Self::time_to_live). With both, an entry expires at
    /// the earlier of the two. A read then also stores the time in the
    /// entry.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cache = cache_kit::CacheBuilder::new(100)
    ///     .time_to_idle(Duration::from_secs(3600))
    ///     .build()?;
    /// cache.insert(1, "kept while read");
    /// assert_eq!(cache.get(&1), Some("kept while read"));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn time_to_idle(mut self, time_to_idle: Duration) -> Self {
        self.time_to_idle = Some(time_to_idle);
        self
    }

    /// A time to live per entry: `expire_after(key, value)` is asked at
    /// each insert, with no lock held; `Some(ttl)` overrides
    /// [`time_to_live`](Self::time_to_live) for that entry, `None` keeps
    /// the cache's (or none). If it panics, the insert does not happen and
    /// the panic reaches its caller.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cache = cache_kit::CacheBuilder::new(100)
    ///     .expire_after(|_key: &&str, value: &u64| Some(Duration::from_millis(*value)))
    ///     .build()?;
    /// cache.insert("brief", 1);
    /// cache.insert("long", 3_600_000);
    /// std::thread::sleep(Duration::from_millis(20));
    /// assert_eq!(cache.get("brief"), None);
    /// assert_eq!(cache.get("long"), Some(3_600_000));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn expire_after(
        mut self,
        expire_after: impl Fn(&K, &V) -> Option<Duration> + Send + Sync + 'static,
    ) -> Self {
        self.expire_after = Some(Box::new(expire_after));
        self
    }

    /// Hashes keys with `hasher` (for the map and to pick segments).
    ///
    /// A hasher that gives one key different hashes (the `BuildHasher`
    /// contract broken) leaves entries the cache cannot find again, and
    /// its counts (`len`, `weight`) may then be off; it never makes the
    /// cache panic or hang (with such a hasher, a break run's `remove`
    /// overflowed a count).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::collections::hash_map::RandomState;
    ///
    /// let cache = cache_kit::CacheBuilder::new(10).hasher(RandomState::new()).build()?;
    /// cache.insert(1, 2);
    /// assert_eq!(cache.get(&1), Some(2));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn hasher<H: BuildHasher + Clone>(self, hasher: H) -> CacheBuilder<K, V, H> {
        CacheBuilder {
            capacity: self.capacity,
            weigher: self.weigher,
            listener: self.listener,
            time_to_live: self.time_to_live,
            time_to_idle: self.time_to_idle,
            expire_after: self.expire_after,
            hasher,
            segments: self.segments,
            _types: PhantomData,
        }
    }

    /// Splits the keys into `segments`, each with its own eviction queues
    /// and lock, instead of the default: without a weigher, one per 64
    /// entries of capacity, at most 64, whatever the machine; with a
    /// weigher, one. The capacity stays one for the whole cache; segments
    /// only let inserts of different keys run at once. One segment makes
    /// the policy global and exact, at the price of one lock for all
    /// inserts (reads never take it).
    ///
    /// Each segment's queue of new entries holds a tenth of its share of
    /// the capacity: choose a count that leaves every share many entries.
    /// A segment makes room from its own entries first, so with small
    /// shares a key read often can be evicted for a one-hit key while
    /// another segment still holds cold ones (a break run: a key read 3
    /// times per insert, 64 weight units in 2 segments, evicted 66,664
    /// times in 600,000 reads; never in 1 segment).
    /// A weigher's units say nothing of that, hence one segment by default
    /// with one: a byte-weighted 1 MiB cache of 100–2000-byte values, in 64
    /// segments, passed new entries through queues of one or two before
    /// they could be read again, and lost 10–20 points of hit ratio.
    ///
    /// Any count is accepted: 0 counts as 1, and the count is clamped to
    /// the capacity and to [`Cache::MAX_SEGMENTS`] (4096).
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::CacheBuilder::<u8, u8>::new(100).segments(1).build()?;
    /// assert_eq!(cache.max_entry_weight(), 100);
    /// let clamped = cache_kit::CacheBuilder::<u8, u8>::new(100).segments(usize::MAX).build()?;
    /// clamped.insert(1, 1);
    /// assert_eq!(clamped.get(&1), Some(1));
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn segments(mut self, segments: usize) -> Self {
        self.segments = Some(segments);
        self
    }

    /// The cache.
    ///
    /// # Errors
    ///
    /// [`SizeError`] if the capacity is 0. The builder's closures and
    /// hasher are then dropped, a panic in their `Drop` caught.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cache_kit::CacheBuilder::<u8, u8>::new(0).build().is_err());
    /// ```
    pub fn build(self) -> Result<Cache<K, V, S>, SizeError>
    where
        K: Hash + Eq + Clone,
        V: Clone,
        S: BuildHasher + Clone,
    {
        if self.capacity == 0 {
            // The closures and the hasher are user code: a panic in a
            // capture's `Drop` must not replace the typed error.
            atomics_kit::drop_caught(self.weigher);
            atomics_kit::drop_caught(self.listener);
            atomics_kit::drop_caught(self.expire_after);
            atomics_kit::drop_caught(self.hasher);
            return Err(SizeError::zero("capacity"));
        }
        let by_capacity = |share: u64| usize::try_from(self.capacity / share).unwrap_or(usize::MAX);
        let by_default = if self.weigher.is_some() {
            1
        } else {
            by_capacity(MIN_SEGMENT_SHARE).min(DEFAULT_MAX_SEGMENTS)
        };
        let segments = self
            .segments
            .unwrap_or(by_default)
            .min(Cache::<K, V, S>::MAX_SEGMENTS)
            // A segment's nominal share is at least one unit.
            .min(by_capacity(1))
            .max(1);
        Ok(Cache::from_parts(
            self.capacity,
            segments,
            self.hasher,
            self.weigher,
            self.listener,
            Expiry::new(self.time_to_live, self.time_to_idle, self.expire_after),
        ))
    }
}

impl<K, V, S> fmt::Debug for CacheBuilder<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("capacity", &self.capacity)
            .field("weighted", &self.weigher.is_some())
            .field("listener", &self.listener.is_some())
            .field("time_to_live", &self.time_to_live)
            .field("time_to_idle", &self.time_to_idle)
            .field("expire_after", &self.expire_after.is_some())
            .field("segments", &self.segments)
            .finish_non_exhaustive()
    }
}
