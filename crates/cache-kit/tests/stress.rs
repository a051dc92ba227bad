//! Many threads at once, checking exactly-once properties: every value the
//! cache was given is dropped once, `len` never passes the capacity, every
//! key is loaded once. Run under miri (the `concurrent` tests, many seeds)
//! and under ASan and TSan by `cargo xtask sanitizers`.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use cache_kit::{Cache, CacheBuilder};

const THREADS: u64 = 4;

fn ops_per_thread() -> u64 {
    if cfg!(miri) {
        60
    } else {
        20_000
    }
}

/// A value that counts itself alive: +1 when made or cloned, −1 when
/// dropped, so a leak or a double drop leaves the count off zero.
struct Tracked {
    key: u64,
    alive: Arc<AtomicI64>,
}

impl Tracked {
    fn new(key: u64, alive: &Arc<AtomicI64>) -> Self {
        alive.fetch_add(1, Ordering::Relaxed);
        Self {
            key,
            alive: Arc::clone(alive),
        }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        Self::new(self.key, &self.alive)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A cheap pseudo-random key sequence per thread (xorshift).
fn keys(seed: u64, space: u64) -> impl Iterator<Item = u64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    std::iter::repeat_with(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % space
    })
}

#[test]
fn concurrent_insert_storm_stays_within_capacity_and_drops_every_value_once() {
    let alive = Arc::new(AtomicI64::new(0));
    let capacity = if cfg!(miri) { 16 } else { 1_000 };
    {
        let cache: Cache<u64, Tracked> = Cache::new(capacity).unwrap();
        let storming = AtomicBool::new(true);
        thread::scope(|s| {
            let writers: Vec<_> = (0..THREADS)
                .map(|seed| {
                    let (cache, alive) = (&cache, &alive);
                    s.spawn(move || {
                        for (op, key) in keys(seed + 1, capacity * 4)
                            .take(ops_per_thread() as usize)
                            .enumerate()
                        {
                            match op % 8 {
                                0 => drop(cache.remove(&key)),
                                1 | 2 => {
                                    if let Some(found) = cache.get(&key) {
                                        assert_eq!(
                                            found.key, key,
                                            "a key returned another key's value"
                                        );
                                    }
                                }
                                _ => cache.insert(key, Tracked::new(key, alive)),
                            }
                        }
                    })
                })
                .collect();
            s.spawn(|| {
                while storming.load(Ordering::Relaxed) {
                    assert!(cache.len() as u64 <= capacity, "len passed the capacity");
                    thread::yield_now();
                }
            });
            for writer in writers {
                writer.join().unwrap();
            }
            storming.store(false, Ordering::Relaxed);
        });
        assert!(cache.len() as u64 <= capacity);
        let stats = cache.stats();
        assert!(
            stats.inserts >= stats.evictions + cache.len() as u64,
            "more entries than inserts that were not evicted: {stats:?}"
        );
    }
    assert_eq!(
        alive.load(Ordering::Relaxed),
        0,
        "a value leaked or dropped twice"
    );
}

#[test]
fn concurrent_loads_run_once_per_key() {
    let space = if cfg!(miri) { 8 } else { 2_000 };
    let loads: Vec<AtomicUsize> = (0..space).map(|_| AtomicUsize::new(0)).collect();
    // Room for every key twice over (segments split the capacity, and
    // keys do not split evenly): nothing is evicted, so nothing loads twice.
    let cache: Cache<u64, u64> = CacheBuilder::new(space * 2).build().unwrap();
    thread::scope(|s| {
        for seed in 0..THREADS {
            let (cache, loads) = (&cache, &loads);
            s.spawn(move || {
                for key in keys(seed + 10, space).take(ops_per_thread() as usize / 4) {
                    let value = cache.get_or_insert_with(key, || {
                        loads[key as usize].fetch_add(1, Ordering::Relaxed);
                        key * 3
                    });
                    assert_eq!(value, key * 3);
                }
            });
        }
    });
    for (key, count) in loads.iter().enumerate() {
        let count = count.load(Ordering::Relaxed);
        assert!(count <= 1, "key {key} loaded {count} times");
        assert_eq!(count == 1, cache.contains_key(&(key as u64)));
    }
}

#[test]
fn concurrent_loads_and_evictions_hand_out_only_the_right_values() {
    let alive = Arc::new(AtomicI64::new(0));
    {
        let cache = Cache::new(if cfg!(miri) { 4 } else { 64 }).unwrap();
        thread::scope(|s| {
            for seed in 0..THREADS {
                let (cache, alive) = (&cache, &alive);
                s.spawn(move || {
                    for key in keys(seed + 20, 256).take(ops_per_thread() as usize / 2) {
                        let value = cache.get_or_insert_with(key, || Tracked::new(key, alive));
                        assert_eq!(value.key, key);
                    }
                });
            }
        });
    }
    assert_eq!(
        alive.load(Ordering::Relaxed),
        0,
        "a value leaked or dropped twice"
    );
}
