//! The caches the cache bench and the hit-ratio measurement compare, behind
//! one small trait, and the Zipf key sequences they replay.

use std::num::NonZeroUsize;
use std::sync::Mutex;

/// What the cache scenarios do to a cache: look a key up (did it hit?) and
/// insert one. Keys and values are `u64`.
pub trait BenchCache: Sync {
    /// Looks `key` up; `true` on a hit.
    fn get(&self, key: u64) -> bool;
    /// Inserts `key`.
    fn insert(&self, key: u64, value: u64);
}

impl BenchCache for cache_kit::Cache<u64, u64> {
    fn get(&self, key: u64) -> bool {
        cache_kit::Cache::get(self, &key).is_some()
    }
    fn insert(&self, key: u64, value: u64) {
        cache_kit::Cache::insert(self, key, value);
    }
}

impl BenchCache for quick_cache::sync::Cache<u64, u64> {
    fn get(&self, key: u64) -> bool {
        quick_cache::sync::Cache::get(self, &key).is_some()
    }
    fn insert(&self, key: u64, value: u64) {
        quick_cache::sync::Cache::insert(self, key, value);
    }
}

impl BenchCache for moka::sync::Cache<u64, u64> {
    fn get(&self, key: u64) -> bool {
        moka::sync::Cache::get(self, &key).is_some()
    }
    fn insert(&self, key: u64, value: u64) {
        moka::sync::Cache::insert(self, key, value);
    }
}

impl BenchCache for Mutex<lru::LruCache<u64, u64>> {
    fn get(&self, key: u64) -> bool {
        self.lock().unwrap().get(&key).is_some()
    }
    fn insert(&self, key: u64, value: u64) {
        self.lock().unwrap().put(key, value);
    }
}

impl BenchCache for dashmap::DashMap<u64, u64> {
    fn get(&self, key: u64) -> bool {
        dashmap::DashMap::get(self, &key).is_some()
    }
    fn insert(&self, key: u64, value: u64) {
        dashmap::DashMap::insert(self, key, value);
    }
}

/// A cache of the comparison: its name in the report, and how to build one
/// for a capacity in entries.
pub type CacheMaker = (&'static str, fn(u64) -> Box<dyn BenchCache>);

/// Every bounded cache of the comparison, ours first.
#[must_use]
pub fn bounded_caches() -> [CacheMaker; 4] {
    [
        ("cache_kit::Cache", |capacity| {
            Box::new(cache_kit::Cache::new(capacity).unwrap())
        }),
        ("quick_cache::sync::Cache", |capacity| {
            Box::new(quick_cache::sync::Cache::new(entries(capacity)))
        }),
        ("moka::sync::Cache", |capacity| {
            Box::new(moka::sync::Cache::new(capacity))
        }),
        ("Mutex<lru::LruCache>", |capacity| {
            Box::new(Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(entries(capacity)).unwrap(),
            )))
        }),
    ]
}

/// An unbounded `DashMap`: no eviction at all, the speed ceiling of a
/// throughput table (as a hit ratio it would only show the cold misses, so
/// the hit-ratio tables leave it out).
pub const CEILING: CacheMaker = ("DashMap (unbounded, SipHash)", |_| {
    Box::new(dashmap::DashMap::new())
});

fn entries(capacity: u64) -> usize {
    usize::try_from(capacity).expect("a capacity that fits in memory")
}

/// `count` keys drawn from `0..keys` with Zipf exponent `exponent` (rank
/// `r` has weight `1 / r^exponent`), from a fixed seed: every cache replays
/// the same sequence. Keys are scattered over `u64` so that popular keys
/// are not also small numbers.
#[must_use]
pub fn zipf_keys(keys: u64, exponent: f64, count: usize, seed: u64) -> Vec<u64> {
    let mut cumulative = Vec::with_capacity(usize::try_from(keys).unwrap_or(0));
    let mut total = 0.0;
    for rank in 1..=keys {
        // u64 → f64: exact for any key count that fits in memory.
        #[allow(clippy::cast_precision_loss)]
        let weight = 1.0 / (rank as f64).powf(exponent);
        total += weight;
        cumulative.push(total);
    }
    let mut state = seed | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // The top 53 bits as a uniform in [0, total).
            #[allow(clippy::cast_precision_loss)]
            let target = (state >> 11) as f64 / (1_u64 << 53) as f64 * total;
            let rank = cumulative.partition_point(|&c| c <= target) as u64;
            rank.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        })
        .collect()
}
