//! [`CacheBuilder`]: a cache with a weigher or its own hasher.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

use crate::cache::{Cache, DefaultHashBuilder};
use crate::SizeError;

/// How much an entry counts against the capacity.
pub(crate) type Weigher<K, V> = Box<dyn Fn(&K, &V) -> u64 + Send + Sync>;

/// The fewest capacity units a segment is given when the capacity is split:
/// small caches get fewer segments rather than slivers too small for the
/// eviction policy to work in.
const MIN_SEGMENT_CAPACITY: u64 = 64;

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
    hasher: S,
    segments: Option<usize>,
    _types: PhantomData<fn(K, V)>,
}

impl<K, V> CacheBuilder<K, V> {
    /// A builder for a cache of `capacity` entries (or total weight, with a
    /// [`weigher`](Self::weigher)).
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
            hasher: DefaultHashBuilder::default(),
            segments: None,
            _types: PhantomData,
        }
    }
}

impl<K, V, S> CacheBuilder<K, V, S> {
    /// Counts each entry as `weigher(key, value)` instead of 1, so that the
    /// capacity bounds the total weight (bytes, say). The weight is taken
    /// once, when the value is inserted; an entry heavier than a segment's
    /// share ([`Cache::max_entry_weight`]) is not stored.
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

    /// Hashes keys with `hasher` (for the map and to pick segments).
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
            hasher,
            segments: self.segments,
            _types: PhantomData,
        }
    }

    /// Splits the capacity into `segments` (rounded up to a power of two)
    /// instead of the default: 4 per CPU, fewer when that would give a
    /// segment under 64 units. One segment makes the policy global and
    /// exact (tests use it), at the price of one lock for all inserts.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::CacheBuilder::<u8, u8>::new(100).segments(1).build()?;
    /// assert_eq!(cache.max_entry_weight(), 100);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn segments(mut self, segments: usize) -> Self {
        self.segments = Some(segments.max(1).next_power_of_two());
        self
    }

    /// The cache.
    ///
    /// # Errors
    ///
    /// [`SizeError`] if the capacity is 0.
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
            return Err(SizeError::zero("capacity"));
        }
        let segments = self.segments.unwrap_or_else(|| {
            let mut segments = (std::thread::available_parallelism().map_or(1, usize::from) * 4)
                .next_power_of_two();
            while segments > 1 && self.capacity / (segments as u64) < MIN_SEGMENT_CAPACITY {
                segments /= 2;
            }
            segments
        });
        // A segment must hold at least one unit.
        let mut segments = segments;
        while segments > 1 && self.capacity < segments as u64 {
            segments /= 2;
        }
        Ok(Cache::from_parts(
            self.capacity,
            segments,
            self.hasher,
            self.weigher,
        ))
    }
}

impl<K, V, S> fmt::Debug for CacheBuilder<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheBuilder")
            .field("capacity", &self.capacity)
            .field("weighted", &self.weigher.is_some())
            .field("segments", &self.segments)
            .finish_non_exhaustive()
    }
}
