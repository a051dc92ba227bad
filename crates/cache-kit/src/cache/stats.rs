//! [`CacheStats`]: what a cache has done so far.

/// Counts since the cache was built, from [`Cache::stats`](crate::Cache::stats).
///
/// Each count is exact once the operations it counts have returned; read
/// while they run, the counts are taken one after another, not at one
/// instant.
///
/// # Examples
///
/// ```
/// use cache_kit::Cache;
///
/// let cache = Cache::new(100)?;
/// cache.insert("a", 1);
/// assert_eq!(cache.get("a"), Some(1));
/// assert_eq!(cache.get("b"), None);
/// let stats = cache.stats();
/// assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
/// assert_eq!(stats.hit_ratio(), 0.5);
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups that found their key (`get`, and the `get_or_insert_with`
    /// family when the key was cached).
    pub hits: u64,
    /// Lookups that did not (a `get_or_insert_with` miss counts once, however
    /// long it then waits for a load).
    pub misses: u64,
    /// Values stored: new keys and replaced values, by `insert` and by
    /// loads.
    pub inserts: u64,
    /// Entries the policy evicted to stay within capacity (not `remove`s).
    pub evictions: u64,
    /// Values not stored because they weigh more than the whole capacity (see
    /// [`CacheBuilder::weigher`](crate::CacheBuilder::weigher)), or because
    /// the cache is full of entries it cannot find again (left by a hasher
    /// that gives one key different hashes; see
    /// [`Cache::insert`](crate::Cache::insert)).
    pub rejected: u64,
    /// Entries removed because their time to live or to idle ran out (see
    /// [`CacheBuilder::time_to_live`](crate::CacheBuilder::time_to_live)).
    pub expired: u64,
}

impl CacheStats {
    /// `hits / (hits + misses)`, or 0 before the first lookup.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = cache_kit::Cache::new(10)?;
    /// cache.insert("a", 1);
    /// for key in ["a", "a", "a", "b"] {
    ///     let _ = cache.get(key);
    /// }
    /// assert_eq!(cache.stats().hit_ratio(), 0.75);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    #[must_use]
    pub fn hit_ratio(&self) -> f64 {
        let lookups = self.hits + self.misses;
        if lookups == 0 {
            0.0
        } else {
            // u64 → f64 loses precision only past 2^53 lookups.
            #[allow(clippy::cast_precision_loss)]
            let ratio = self.hits as f64 / lookups as f64;
            ratio
        }
    }
}
