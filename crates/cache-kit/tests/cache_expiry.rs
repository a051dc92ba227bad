//! Expiry: time-to-live, time-to-idle and per-entry deadlines. Expired
//! entries are never returned, and their space comes back without a
//! thread of the cache's own.
//!
//! The waits here are long against the deadlines they pass (a 1 ms time to
//! live, then a 30 ms sleep), so a slow machine cannot fail them; the one
//! test that needs an entry to stay alive gives it an hour.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cache_kit::{Cache, CacheBuilder, RemovalCause};

const SHORT: Duration = Duration::from_millis(1);
const HOUR: Duration = Duration::from_secs(3600);

fn past_short() {
    thread::sleep(Duration::from_millis(30));
}

type Told = Arc<Mutex<Vec<(u32, RemovalCause)>>>;

fn builder(capacity: u64) -> (CacheBuilder<u32, u32>, Told) {
    let told = Told::default();
    let builder = CacheBuilder::new(capacity).eviction_listener({
        let told = Arc::clone(&told);
        move |key: &u32, _: &u32, cause| told.lock().unwrap().push((*key, cause))
    });
    (builder, told)
}

#[test]
fn an_entry_past_its_time_to_live_is_never_returned_and_is_reclaimed() {
    let (builder, told) = builder(10);
    let cache = builder.time_to_live(SHORT).build().unwrap();
    cache.insert(1, 10);
    cache.insert(2, 20);
    past_short();
    assert_eq!(cache.peek(&1), None);
    assert!(!cache.contains_key(&2));
    assert_eq!(cache.get(&1), None);
    assert_eq!(cache.iter().count(), 0);
    assert_eq!(cache.len(), 0, "reads removed both");
    assert_eq!(cache.stats().expired, 2);
    let mut told = told.lock().unwrap().clone();
    told.sort_unstable_by_key(|(key, _)| *key);
    assert_eq!(
        told,
        [(1, RemovalCause::Expired), (2, RemovalCause::Expired)]
    );
}

#[test]
fn a_load_after_expiry_loads_again() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10).time_to_live(SHORT).build().unwrap();
    assert_eq!(cache.get_or_insert_with(&1, || 1), 1);
    past_short();
    assert_eq!(cache.get_or_insert_with(&1, || 2), 2);
}

#[test]
fn a_replaced_value_starts_its_time_to_live_again() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10)
        .expire_after(|_, value: &u32| Some(if *value == 0 { SHORT } else { HOUR }))
        .build()
        .unwrap();
    cache.insert(1, 0);
    cache.insert(1, 1);
    past_short();
    assert_eq!(cache.get(&1), Some(1));
}

#[test]
fn expire_after_overrides_the_time_to_live_per_entry() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10)
        .time_to_live(SHORT)
        .expire_after(|key: &u32, _| (*key == 7).then_some(HOUR))
        .build()
        .unwrap();
    cache.insert(7, 70);
    cache.insert(8, 80);
    past_short();
    assert_eq!(cache.get(&7), Some(70), "its own hour");
    assert_eq!(cache.get(&8), None, "the cache's millisecond");
}

#[test]
fn an_entry_read_within_its_time_to_idle_stays_and_one_left_idle_expires() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10).time_to_idle(HOUR).build().unwrap();
    cache.insert(1, 1);
    assert_eq!(cache.get(&1), Some(1));
    let idle: Cache<u32, u32> = CacheBuilder::new(10).time_to_idle(SHORT).build().unwrap();
    idle.insert(1, 1);
    past_short();
    assert_eq!(idle.get(&1), None);
    assert_eq!(idle.stats().expired, 1);
}

#[test]
fn a_full_cache_reclaims_expired_entries_before_evicting_live_ones() {
    let (builder, told) = builder(10);
    let cache = builder.segments(1).time_to_live(SHORT).build().unwrap();
    for key in 0..10 {
        cache.insert(key, key);
    }
    past_short();
    for key in 100..110 {
        cache.insert(key, key);
    }
    // All ten old entries expired and none was evicted. With a 1 ms time
    // to live, a new key may expire too on a loaded machine (and be
    // reclaimed as well): never evicted either.
    let stats = cache.stats();
    assert!(stats.expired >= 10, "{stats:?}");
    assert_eq!(stats.evictions, 0, "{stats:?}");
    let told = told.lock().unwrap();
    assert!(told
        .iter()
        .all(|(_, cause)| *cause == RemovalCause::Expired));
    for old in 0..10 {
        assert!(
            told.iter().any(|(key, _)| *key == old),
            "{old} not reclaimed"
        );
    }
}

#[test]
fn inserts_reclaim_expired_space_even_when_the_cache_is_not_full() {
    let cache: Cache<u32, u32> = CacheBuilder::new(1000)
        .segments(1)
        .time_to_live(SHORT)
        .build()
        .unwrap();
    for key in 0..8 {
        cache.insert(key, key);
    }
    past_short();
    // Each insert looks at the oldest few entries of its segment.
    for key in 100..104 {
        cache.insert(key, key);
    }
    // The eight are gone from the cache, not only hidden. With a 1 ms
    // time to live, a new key may expire too on a loaded machine (a CI run
    // counted 9): at least the eight, and what is left is new keys only.
    assert!(cache.stats().expired >= 8, "{:?}", cache.stats());
    assert!(cache.len() <= 4, "{} entries left", cache.len());
}

#[test]
fn remove_expired_sweeps_an_idle_cache() {
    let (builder, told) = builder(100);
    let cache = builder.time_to_live(SHORT).build().unwrap();
    for key in 0..50 {
        cache.insert(key, key);
    }
    past_short();
    cache.remove_expired();
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.weight(), 0);
    assert_eq!(told.lock().unwrap().len(), 50);
}

#[test]
fn any_duration_is_accepted() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10)
        .time_to_live(Duration::MAX)
        .time_to_idle(Duration::MAX)
        .build()
        .unwrap();
    cache.insert(1, 1);
    assert_eq!(cache.get(&1), Some(1));
    let zero: Cache<u32, u32> = CacheBuilder::new(10)
        .time_to_live(Duration::ZERO)
        .build()
        .unwrap();
    zero.insert(1, 1);
    assert_eq!(zero.get(&1), None, "a zero time to live expires at once");
}

#[test]
fn a_panicking_expire_after_leaves_the_cache_as_it_was() {
    let cache: Cache<u32, u32> = CacheBuilder::new(10)
        .expire_after(|key: &u32, _| {
            assert!(*key != 13, "expire_after panicked");
            None
        })
        .build()
        .unwrap();
    cache.insert(1, 1);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cache.insert(13, 13)));
    assert!(outcome.is_err());
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.weight(), 1);
}

#[test]
fn remove_never_returns_an_expired_value_and_says_it_expired() {
    let (builder, told) = builder(10);
    let cache = builder.time_to_live(SHORT).build().unwrap();
    cache.insert(1, 10);
    past_short();
    assert_eq!(cache.remove(&1), None);
    assert_eq!(*told.lock().unwrap(), [(1, RemovalCause::Expired)]);
    assert_eq!(cache.stats().expired, 1);
}

#[test]
fn an_insert_over_an_expired_value_reports_it_expired() {
    let (builder, told) = builder(10);
    let cache = builder
        .expire_after(|_, value: &u32| Some(if *value == 0 { SHORT } else { HOUR }))
        .build()
        .unwrap();
    cache.insert(1, 0);
    past_short();
    cache.insert(1, 1);
    assert_eq!(*told.lock().unwrap(), [(1, RemovalCause::Expired)]);
    assert_eq!(cache.stats().expired, 1);
    assert_eq!(cache.get(&1), Some(1));
}

/// With a time-to-live of zero no entry is ever live, even one inserted by
/// another thread a moment before the read: the reads check expiry with
/// the clock read under the entry's lock. (Read before it, an entry
/// inserted in between looked younger than the read, and `get`, `peek`,
/// `contains_key`, `remove` and `iter` returned values already expired.)
#[test]
fn a_zero_time_to_live_returns_nothing_even_with_inserts_racing_the_reads() {
    let cache = Arc::new(
        Cache::<u32, u64>::builder(1000)
            .time_to_live(Duration::ZERO)
            .build()
            .unwrap(),
    );
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (cache, stop) = (Arc::clone(&cache), Arc::clone(&stop));
        thread::spawn(move || {
            let mut i = 0_u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                cache.insert((i % 4) as u32, i);
                i += 1;
            }
        })
    };
    let rounds = if cfg!(miri) { 20 } else { 200_000 };
    let mut returned = 0;
    for round in 0..rounds {
        let key = round % 4;
        returned += usize::from(cache.get(&key).is_some());
        returned += usize::from(cache.peek(&key).is_some());
        returned += usize::from(cache.contains_key(&key));
        returned += usize::from(cache.remove(&key).is_some());
        if round % 64 == 0 {
            returned += cache.iter().count();
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(returned, 0, "expired values were handed out");
}

/// A listener may use the cache, a load of the very key it was told about
/// included: a load's value expiring as it is inserted reaches the
/// listener after the load is settled, so the listener's own load of that
/// key is a new one. (It reached the listener while the key was still
/// being loaded, and the listener's load panicked as a recursive one.)
#[test]
fn a_listener_may_load_again_the_key_whose_loaded_value_expired_at_once() {
    let myself: Arc<std::sync::OnceLock<std::sync::Weak<Cache<u32, u64>>>> = Arc::default();
    let reloads = Arc::new(Mutex::new(Vec::new()));
    let (me, told) = (Arc::clone(&myself), Arc::clone(&reloads));
    let cache = Arc::new(
        Cache::<u32, u64>::builder(10)
            // A value of 0 expires at once; others live.
            .expire_after(|_, value| (*value == 0).then_some(Duration::ZERO))
            .eviction_listener(move |key: &u32, _: &u64, cause| {
                if cause == RemovalCause::Expired {
                    if let Some(cache) = me.get().and_then(std::sync::Weak::upgrade) {
                        told.lock()
                            .unwrap()
                            .push(cache.get_or_insert_with(key, || 1));
                    }
                }
            })
            .build()
            .unwrap(),
    );
    myself.set(Arc::downgrade(&cache)).unwrap();
    assert_eq!(
        cache.get_or_insert_with(&5, || 0),
        0,
        "the load's own value"
    );
    assert_eq!(*reloads.lock().unwrap(), [1], "the listener's load");
    assert_eq!(cache.get(&5), Some(1));
}
