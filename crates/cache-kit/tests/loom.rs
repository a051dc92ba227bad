//! Loom models: every interleaving (bounded by `LOOM_MAX_PREEMPTIONS`) of
//! the cache's single-flight protocol (`src/flight.rs`) and its bounded
//! insert, through the public API. Under loom the map underneath is a
//! stand-in with one loom `RwLock` (`src/map.rs`): dashmap's locks are not
//! loom's. A lost wakeup of a waiting caller shows as a loom deadlock.
//! Run with `cargo xtask loom`.
#![cfg(loom)]

use cache_kit::{Cache, CacheBuilder};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn two_callers_missing_one_key_run_one_load_and_both_get_its_value() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(Cache::new(4).unwrap());
        let loads = Arc::new(AtomicUsize::new(0));
        let caller = |cache: Arc<Cache<u8, u8>>, loads: Arc<AtomicUsize>| {
            move || {
                cache.get_or_insert_with(1, || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    10
                })
            }
        };
        let other = thread::spawn(caller(Arc::clone(&cache), Arc::clone(&loads)));
        let mine = caller(Arc::clone(&cache), Arc::clone(&loads))();
        assert_eq!(mine, 10);
        assert_eq!(other.join().unwrap(), 10);
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_failed_load_hands_the_key_to_a_waiter_who_loads_its_own() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(Cache::new(4).unwrap());
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.try_get_or_insert_with(1, || Ok::<_, ()>(20)))
        };
        let mine = cache.try_get_or_insert_with(1, || Err::<u8, ()>(()));
        // Either this load failed (and the other caller loaded 20, before
        // or after), or the other load won and this caller got its value.
        assert!(mine == Err(()) || mine == Ok(20), "{mine:?}");
        assert_eq!(other.join().unwrap(), Ok(20));
        assert_eq!(cache.get(&1), Some(20));
    });
}

#[test]
fn racing_inserts_into_a_full_segment_never_exceed_its_capacity() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(CacheBuilder::new(1).segments(1).build().unwrap());
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                cache.insert(1, 1);
                assert!(cache.len() <= 1);
            })
        };
        cache.insert(2, 2);
        assert!(cache.len() <= 1);
        other.join().unwrap();
        assert_eq!(cache.len(), 1);
        let survivor = [1, 2].iter().filter(|key| cache.contains_key(key)).count();
        assert_eq!(survivor, 1);
    });
}
