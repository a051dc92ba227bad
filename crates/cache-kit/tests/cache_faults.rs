//! The cache under hostile user code and extreme arguments: user code
//! (`Clone`, `Drop`, the weigher, the hasher) that panics, re-enters the
//! cache or hashes badly, and sizes at the ends of their types. Each test
//! names the promise it checks; each failed before its fix.

use std::hash::{BuildHasher, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread;

use cache_kit::{Cache, CacheBuilder};

mod support;
use support::finishes;

#[test]
fn a_heavier_replacement_evicts_other_entries_not_itself() {
    // The sequence, in one segment so that the policy is exact.
    let cache: Cache<&str, Vec<u8>> = CacheBuilder::new(100)
        .weigher(|_, value: &Vec<u8>| value.len() as u64)
        .segments(1)
        .build()
        .unwrap();
    cache.insert("z", vec![0; 10]);
    cache.insert("a", vec![0; 10]);
    cache.insert("b", vec![0; 70]);
    cache.get("a");
    cache.get("b");
    cache.insert("d", vec![0; 20]);
    cache.insert("e", vec![0; 10]);
    for _ in 0..3 {
        cache.get("b");
    }
    cache.get("a");
    cache.insert("a", vec![1; 30]);
    assert_eq!(
        cache.get("a").map(|value| value.len()),
        Some(30),
        "insert's value must be there for the next get"
    );
    assert!(cache.weight() <= 100, "weight {}", cache.weight());
}

#[test]
fn a_replacement_heavier_than_everything_else_still_fits_when_it_can() {
    let cache: Cache<u32, Vec<u8>> = CacheBuilder::new(100)
        .weigher(|_, value: &Vec<u8>| value.len() as u64)
        .segments(1)
        .build()
        .unwrap();
    for key in 0..10 {
        cache.insert(key, vec![0; 10]);
        for _ in 0..3 {
            cache.get(&key);
        }
    }
    cache.insert(3, vec![0; 100]);
    assert_eq!(cache.get(&3).map(|value| value.len()), Some(100));
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.weight(), 100);
}

/// A key whose `Clone` panics on the clone `CLONES_LEFT` counts down to.
#[derive(Debug, PartialEq, Eq, Hash)]
struct FragileKey(u32);

/// Clones left before one panics; 0 means clones never panic.
static CLONES_LEFT: AtomicUsize = AtomicUsize::new(0);

impl Clone for FragileKey {
    fn clone(&self) -> Self {
        let left = CLONES_LEFT.load(Ordering::SeqCst);
        if left > 0 {
            CLONES_LEFT.store(left - 1, Ordering::SeqCst);
            assert!(left != 1, "key clone panicked");
        }
        Self(self.0)
    }
}

#[test]
fn a_key_clone_that_panics_during_a_load_leaves_no_load_in_progress() {
    let cache: &'static Cache<FragileKey, u32> = Box::leak(Box::new(Cache::new(10).unwrap()));
    // Makes each of the load's clones of the key panic in turn.
    for nth_clone in 1..=6 {
        CLONES_LEFT.store(nth_clone, Ordering::SeqCst);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            cache.get_or_insert_with(&FragileKey(nth_clone as u32), || 1)
        }));
        let panicked = CLONES_LEFT.load(Ordering::SeqCst) == 0;
        CLONES_LEFT.store(0, Ordering::SeqCst);
        assert_eq!(outcome.is_err(), panicked, "clone {nth_clone}");
        // Another thread asking for the key is not left waiting on a load
        // that will never finish...
        let key = nth_clone as u32;
        let other = finishes("another thread's load", move || {
            cache.remove(&FragileKey(key));
            cache.get_or_insert_with(&FragileKey(key), || 2)
        });
        assert_eq!(other, 2, "clone {nth_clone}");
        // ...and this thread is not taken for a recursive load.
        cache.remove(&FragileKey(key));
        assert_eq!(cache.get_or_insert_with(&FragileKey(key), || 3), 3);
    }
}

#[test]
fn a_panicking_weigher_leaves_the_cache_consistent() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10)
        .weigher(|_, value: &u32| {
            assert!(*value != 13, "weigher panicked");
            1
        })
        .build()
        .unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| cache.insert(1, 13))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| cache.get_or_insert_with(&2, || 13))).is_err());
    for key in 100..120 {
        cache.insert(key, key);
    }
    assert_eq!(cache.len(), 10);
    assert_eq!(cache.weight(), 10);
    assert_eq!(cache.get_or_insert_with(&2, || 2), 2);
}

/// A value whose `Drop` uses the cache it was stored in: it deadlocks if
/// the cache drops it under one of its locks.
struct Reentrant {
    cache: &'static OnceLock<Cache<u32, std::sync::Arc<Reentrant>>>,
    key: u32,
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        if let Some(cache) = self.cache.get() {
            // Reads the key's own map shard, every segment's lock, and
            // writes to the cache.
            let _ = cache.get(&self.key);
            let _ = cache.weight();
            let _ = cache.stats();
            cache.remove(&(self.key + 1_000_000));
        }
    }
}

fn reentrant_value(
    cache: &'static OnceLock<Cache<u32, std::sync::Arc<Reentrant>>>,
    key: u32,
) -> std::sync::Arc<Reentrant> {
    std::sync::Arc::new(Reentrant { cache, key })
}

#[test]
fn evicted_values_are_dropped_outside_every_lock() {
    static CACHE: OnceLock<Cache<u32, std::sync::Arc<Reentrant>>> = OnceLock::new();
    CACHE.get_or_init(|| CacheBuilder::new(4).segments(1).build().unwrap());
    finishes(
        "inserts that evict values whose Drop uses the cache",
        || {
            let cache = CACHE.get().unwrap();
            for key in 0..50 {
                cache.insert(key, reentrant_value(&CACHE, key));
            }
            assert_eq!(cache.len(), 4);
        },
    );
}

#[test]
fn cleared_values_are_dropped_outside_every_lock() {
    static CACHE: OnceLock<Cache<u32, std::sync::Arc<Reentrant>>> = OnceLock::new();
    CACHE.get_or_init(|| Cache::new(100).unwrap());
    finishes("clear of values whose Drop uses the cache", || {
        let cache = CACHE.get().unwrap();
        for key in 0..50 {
            cache.insert(key, reentrant_value(&CACHE, key));
        }
        cache.clear();
        assert!(cache.is_empty());
        assert_eq!(cache.weight(), 0);
    });
}

#[test]
fn removed_and_replaced_values_are_dropped_outside_every_lock() {
    static CACHE: OnceLock<Cache<u32, std::sync::Arc<Reentrant>>> = OnceLock::new();
    CACHE.get_or_init(|| CacheBuilder::new(100).segments(1).build().unwrap());
    finishes(
        "replace and remove of values whose Drop uses the cache",
        || {
            let cache = CACHE.get().unwrap();
            cache.insert(1, reentrant_value(&CACHE, 1));
            cache.insert(1, reentrant_value(&CACHE, 1));
            drop(cache.remove(&1));
            assert!(cache.is_empty());
        },
    );
}

/// A value whose `Drop` panics (once armed).
struct PanickyDrop(&'static AtomicUsize);

impl Drop for PanickyDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        if !thread::panicking() {
            panic!("value drop panicked");
        }
    }
}

#[test]
fn values_whose_drop_panics_are_all_dropped_and_the_cache_stays_usable() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let cache: Cache<u32, std::sync::Arc<PanickyDrop>> =
        CacheBuilder::new(8).segments(1).build().unwrap();
    for key in 0..8 {
        cache.insert(key, std::sync::Arc::new(PanickyDrop(&DROPS)));
    }
    // clear drops 8 values, each panicking: the first panic reaches the
    // caller, the other values are still dropped, nothing aborts.
    assert!(catch_unwind(AssertUnwindSafe(|| cache.clear())).is_err());
    assert_eq!(DROPS.load(Ordering::SeqCst), 8);
    assert!(cache.is_empty());
    cache.insert(1, std::sync::Arc::new(PanickyDrop(&DROPS)));
    assert_eq!(cache.len(), 1);
    // An insert that evicts one reports the evicted value's panic after the
    // insert took effect.
    for key in 10..17 {
        cache.insert(key, std::sync::Arc::new(PanickyDrop(&DROPS)));
    }
    assert!(catch_unwind(AssertUnwindSafe(|| {
        cache.insert(99, std::sync::Arc::new(PanickyDrop(&DROPS)));
    }))
    .is_err());
    assert!(cache.contains_key(&99));
    assert_eq!(cache.len(), 8);
    std::mem::forget(cache);
}

/// rustc-hash 1.x's hasher for one `u64`: a single multiply, so keys that
/// are multiples of 64 all have their low 6 bits clear.
#[derive(Clone, Default)]
struct WeakHasher(u64);

impl Hasher for WeakHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

#[derive(Clone, Default)]
struct BuildWeak;

impl BuildHasher for BuildWeak {
    type Hasher = WeakHasher;
    fn build_hasher(&self) -> WeakHasher {
        WeakHasher(0)
    }
}

/// Every key hashes to the same value: the worst hasher there is.
#[derive(Clone, Default)]
struct BuildConstant;

impl BuildHasher for BuildConstant {
    type Hasher = ConstantHasher;
    fn build_hasher(&self) -> ConstantHasher {
        ConstantHasher
    }
}

struct ConstantHasher;

impl Hasher for ConstantHasher {
    fn finish(&self) -> u64 {
        7
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn capacity_does_not_depend_on_the_hashers_quality() {
    let weak: Cache<u64, u64, BuildWeak> =
        CacheBuilder::new(1024).hasher(BuildWeak).build().unwrap();
    for key in 0..1024 {
        weak.insert(key * 64, key);
    }
    assert_eq!(weak.len(), 1024, "a weak hasher must not shrink the cache");
    let constant: Cache<u64, u64, BuildConstant> = CacheBuilder::new(256)
        .hasher(BuildConstant)
        .segments(16)
        .build()
        .unwrap();
    for key in 0..256 {
        constant.insert(key, key);
    }
    assert_eq!(constant.len(), 256, "nor the worst one");
    for key in 256..512 {
        constant.insert(key, key);
    }
    assert_eq!(constant.len(), 256);
}

#[test]
fn the_largest_entry_is_the_whole_capacity_on_any_machine() {
    let cache: Cache<u32, Vec<u8>> = CacheBuilder::new(1 << 30)
        .weigher(|_, value: &Vec<u8>| value.len() as u64)
        .build()
        .unwrap();
    assert_eq!(cache.max_entry_weight(), 1 << 30);
    let small: Cache<u32, Vec<u8>> = CacheBuilder::new(1000)
        .weigher(|_, value: &Vec<u8>| value.len() as u64)
        .build()
        .unwrap();
    for key in 0..20 {
        small.insert(key, vec![0; 10]);
    }
    small.insert(100, vec![0; 1000]);
    assert!(
        small.contains_key(&100),
        "an entry of the whole capacity fits"
    );
    assert_eq!(small.weight(), 1000);
    assert_eq!(small.len(), 1);
}

#[test]
fn huge_weights_never_overflow_the_total() {
    let half_and_one = (1u64 << 63) + 1;
    let cache: Cache<u32, u64> = CacheBuilder::new(u64::MAX)
        .weigher(|_, weight: &u64| *weight)
        .build()
        .unwrap();
    cache.insert(1, half_and_one);
    cache.insert(2, half_and_one);
    assert_eq!(cache.len(), 1, "two such entries do not fit in u64::MAX");
    assert_eq!(cache.weight(), half_and_one);
    cache.insert(3, u64::MAX);
    assert_eq!(cache.weight(), u64::MAX);
    assert!(cache.contains_key(&3));
}

#[test]
fn any_segment_count_is_accepted_and_clamped() {
    for segments in [0, 1, 3, 1 << 40, usize::MAX] {
        let cache: Cache<u32, u32> = CacheBuilder::new(100).segments(segments).build().unwrap();
        for key in 0..200 {
            cache.insert(key, key);
        }
        assert_eq!(cache.len(), 100, "segments({segments})");
    }
}

#[test]
fn a_weigher_returning_zero_still_bounds_the_entry_count() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10).weigher(|_, _| 0).build().unwrap();
    for key in 0..100 {
        cache.insert(key, key);
    }
    assert_eq!(cache.len(), 10, "a weight of 0 counts as 1");
}

/// A key whose `Eq` and `Hash` panic while `PANIC_IN_EQ` / `PANIC_IN_HASH`
/// count down to 1: each call decrements, the one that reaches 1 panics.
#[derive(Debug, Clone)]
struct TouchyKey(u32);

static PANIC_IN_EQ: AtomicUsize = AtomicUsize::new(0);
static PANIC_IN_HASH: AtomicUsize = AtomicUsize::new(0);

fn countdown(counter: &AtomicUsize, what: &str) {
    let left = counter.load(Ordering::SeqCst);
    if left > 0 {
        counter.store(left - 1, Ordering::SeqCst);
        assert!(left != 1, "{what} panicked");
    }
}

impl PartialEq for TouchyKey {
    fn eq(&self, other: &Self) -> bool {
        countdown(&PANIC_IN_EQ, "key Eq");
        self.0 == other.0
    }
}

impl Eq for TouchyKey {}

impl std::hash::Hash for TouchyKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        countdown(&PANIC_IN_HASH, "key Hash");
        self.0.hash(state);
    }
}

#[test]
fn a_key_eq_or_hash_that_panics_anywhere_leaves_the_cache_consistent() {
    // One segment and a full cache: every insert evicts, so the panics land
    // in lookups, evictions and insertions in turn.
    let cache: Cache<TouchyKey, u32> = CacheBuilder::new(8).segments(1).build().unwrap();
    let mut next = 0;
    for nth_call in 1..40 {
        for (counter, other) in [
            (&PANIC_IN_EQ, &PANIC_IN_HASH),
            (&PANIC_IN_HASH, &PANIC_IN_EQ),
        ] {
            other.store(0, Ordering::SeqCst);
            counter.store(nth_call, Ordering::SeqCst);
            let _ = catch_unwind(AssertUnwindSafe(|| {
                for _ in 0..4 {
                    next += 1;
                    cache.insert(TouchyKey(next % 20), next);
                    let _ = cache.get(&TouchyKey(next % 7));
                    if next % 5 == 0 {
                        let _ = cache.remove(&TouchyKey(next % 11));
                    }
                }
            }));
            counter.store(0, Ordering::SeqCst);
            // Whatever panicked where, the counts agree with the contents
            // and the bound holds.
            let cached = cache.iter().count();
            assert_eq!(cache.len(), cached, "call {nth_call}");
            assert_eq!(cache.weight(), cached as u64, "call {nth_call}");
            assert!(cached <= 8);
        }
    }
    for key in 100..120 {
        cache.insert(TouchyKey(key), key);
    }
    assert_eq!(
        cache.len(),
        8,
        "eviction still works: no entry left untracked"
    );
    assert_eq!(cache.iter().count(), 8);
}
