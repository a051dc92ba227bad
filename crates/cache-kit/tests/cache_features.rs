//! What moka and quick_cache users expect of the cache: the eviction
//! listener, `retain`, `iter`, `peek`, and loads by borrowed key.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use cache_kit::{Cache, CacheBuilder, RemovalCause};

/// How long a test waits for something that should happen at once before
/// calling it a hang.
const HANG: Duration = Duration::from_secs(20);

type Told = Arc<Mutex<Vec<(u64, u64, RemovalCause)>>>;

fn recording_cache(capacity: u64, segments: usize) -> (Cache<u64, u64>, Told) {
    let told = Told::default();
    let cache = CacheBuilder::new(capacity)
        .segments(segments)
        .eviction_listener({
            let told = Arc::clone(&told);
            move |key: &u64, value: &u64, cause| told.lock().unwrap().push((*key, *value, cause))
        })
        .build()
        .unwrap();
    (cache, told)
}

#[test]
fn the_listener_is_told_each_cause() {
    let (cache, told) = recording_cache(2, 1);
    cache.insert(1, 10);
    cache.insert(1, 11);
    assert_eq!(
        told.lock().unwrap().pop(),
        Some((1, 10, RemovalCause::Replaced))
    );
    cache.insert(2, 20);
    cache.insert(3, 30);
    let evicted = told.lock().unwrap().pop().unwrap();
    assert_eq!(evicted.2, RemovalCause::Evicted);
    assert!(!cache.contains_key(&evicted.0));
    let left: Vec<u64> = [1, 2, 3]
        .into_iter()
        .filter(|k| cache.contains_key(k))
        .collect();
    assert_eq!(
        cache.remove(&left[0]),
        Some(left[0] * 10 + u64::from(left[0] == 1))
    );
    assert_eq!(
        told.lock().unwrap().pop(),
        Some((
            left[0],
            left[0] * 10 + u64::from(left[0] == 1),
            RemovalCause::Removed
        ))
    );
    cache.clear();
    let cleared = told.lock().unwrap().pop().unwrap();
    assert_eq!((cleared.0, cleared.2), (left[1], RemovalCause::Removed));
    assert!(told.lock().unwrap().is_empty(), "nothing told twice");
}

#[test]
fn every_value_inserted_is_told_once_or_still_cached() {
    // Unique values from several threads over a small cache in several
    // segments: each value ends told exactly once, or cached.
    let (cache, told) = recording_cache(64, 4);
    let threads = if cfg!(miri) { 2 } else { 4 };
    let per_thread: u64 = if cfg!(miri) { 100 } else { 20_000 };
    thread::scope(|s| {
        for thread in 0..threads {
            let cache = &cache;
            s.spawn(move || {
                for n in 0..per_thread {
                    let value = thread * per_thread + n;
                    let key = value % 200;
                    match n % 10 {
                        0 => drop(cache.remove(&key)),
                        _ => cache.insert(key, value),
                    }
                }
            });
        }
    });
    let mut seen = HashSet::new();
    let inserted: HashSet<u64> = (0..threads * per_thread)
        .filter(|value| (value % per_thread) % 10 != 0)
        .collect();
    for (_, value, _) in told.lock().unwrap().iter() {
        assert!(seen.insert(*value), "value {value} told twice");
    }
    for (_, value) in cache.iter() {
        assert!(seen.insert(value), "value {value} both told and cached");
    }
    assert_eq!(seen, inserted, "every value told once or cached");
}

#[test]
fn a_listener_may_use_the_cache_and_its_panic_comes_after_the_operation() {
    static CACHE: OnceLock<Cache<u32, u32>> = OnceLock::new();
    CACHE.get_or_init(|| {
        CacheBuilder::new(2)
            .segments(1)
            .eviction_listener(|key: &u32, _value: &u32, cause| {
                let cache = CACHE.get().unwrap();
                // Uses the cache: every lock must be released by now.
                let _ = cache.get(key);
                let _ = cache.stats();
                assert!(cause != RemovalCause::Removed, "listener panicked");
            })
            .build()
            .unwrap()
    });
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let cache = CACHE.get().unwrap();
        for key in 0..10 {
            cache.insert(key, key);
        }
        let removed = catch_unwind(AssertUnwindSafe(|| {
            let key = cache.iter().next().unwrap().0;
            (key, cache.remove(&key))
        }));
        done.send((removed.is_err(), cache.len())).unwrap();
    });
    let (removal_panicked, len) = finished.recv_timeout(HANG).expect("deadlock");
    assert!(removal_panicked, "the listener's panic reaches the caller");
    assert_eq!(len, 1, "after the removal took effect");
}

#[test]
fn retain_removes_what_it_refuses_and_tells_the_listener() {
    let (cache, told) = recording_cache(100, 4);
    for key in 0..50 {
        cache.insert(key, key * 10);
    }
    cache.retain(|key, value| {
        assert_eq!(*value, key * 10);
        key % 5 == 0
    });
    assert_eq!(cache.len(), 10);
    let mut kept: Vec<u64> = cache.iter().map(|(key, _)| key).collect();
    kept.sort_unstable();
    assert_eq!(kept, (0..50).step_by(5).collect::<Vec<_>>());
    let told = told.lock().unwrap();
    assert_eq!(told.len(), 40);
    assert!(told.iter().all(|(key, value, cause)| key % 5 != 0
        && *value == key * 10
        && *cause == RemovalCause::Removed));
}

#[test]
fn retain_may_use_the_cache_from_its_closure() {
    let cache: Arc<Cache<u32, u32>> = Arc::new(CacheBuilder::new(100).segments(1).build().unwrap());
    for key in 0..10 {
        cache.insert(key, key);
    }
    let (done, finished) = mpsc::channel();
    let inner = Arc::clone(&cache);
    thread::spawn(move || {
        inner.retain(|key, _| {
            inner.insert(key + 100, 0);
            key % 2 == 0
        });
        done.send(()).unwrap();
    });
    finished.recv_timeout(HANG).expect("retain deadlocked");
    assert!((0..10).all(|key| cache.contains_key(&key) == (key % 2 == 0)));
}

#[test]
fn a_retain_closure_that_panics_leaves_the_cache_consistent() {
    let cache: Cache<u32, u32> = Cache::new(100).unwrap();
    for key in 0..20 {
        cache.insert(key, key);
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        cache.retain(|key, _| {
            assert!(*key != 7, "keep panicked");
            true
        });
    }));
    assert!(outcome.is_err());
    assert_eq!(cache.len(), 20);
    cache.retain(|_, _| false);
    assert!(cache.is_empty());
    assert_eq!(cache.weight(), 0);
}

#[test]
fn iter_sees_every_entry_once_and_stays_ended() {
    let cache: Cache<u32, String> = Cache::new(1000).unwrap();
    for key in 0..500 {
        cache.insert(key, key.to_string());
    }
    let mut iter = cache.iter();
    let entries: HashMap<u32, String> = iter.by_ref().collect();
    assert_eq!(entries.len(), 500);
    assert!(entries.iter().all(|(key, value)| *value == key.to_string()));
    assert_eq!(iter.next(), None);
    cache.insert(1000, "late".into());
    assert_eq!(iter.next(), None, "fused");
}

#[test]
fn peek_counts_no_hit_and_keeps_no_entry() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10).segments(1).build().unwrap();
    for key in 0..10 {
        cache.insert(key, key);
    }
    for _ in 0..3 {
        assert_eq!(cache.peek(&0), Some(0));
    }
    assert_eq!(cache.get(&1), Some(1));
    for key in 100..110 {
        cache.insert(key, key);
    }
    assert!(cache.contains_key(&1), "a hit keeps its entry");
    assert!(!cache.contains_key(&0), "a peek does not");
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 0));
}

#[test]
fn a_string_keyed_cache_loads_by_str() {
    let cache: Cache<String, usize> = Cache::new(10).unwrap();
    let path: &str = "/index.html";
    assert_eq!(cache.get_or_insert_with(path, || path.len()), 11);
    assert_eq!(cache.get_or_insert_with(path, || unreachable!("a hit")), 11);
    assert_eq!(
        cache.try_get_or_insert_with(path, || Err::<usize, ()>(())),
        Ok(11)
    );
    assert_eq!(cache.get(path), Some(11));
}
