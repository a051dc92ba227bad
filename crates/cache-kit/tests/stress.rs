//! Many threads at once, checking exactly-once properties: every value the
//! cache was given is dropped once, `len` never passes the capacity, every
//! key is loaded once, every pool task runs once and its captures drop
//! once. Run under miri (once each; the pool's two, named `concurrent_*`,
//! again over many seeds, since the pool is where the crate's unsafe code
//! is: the cache's storm is safe code, which loom and TSan check) and under
//! ASan and TSan by `cargo xtask sanitizers`.

// The logger's exactly-once checks are in tests/logger.rs.
#![cfg(any(feature = "cache", feature = "pool"))]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A value that counts itself alive: +1 when made or cloned, −1 when
/// dropped, so a leak or a double drop leaves the count off zero.
pub(crate) struct Tracked {
    key: u64,
    alive: Arc<AtomicI64>,
}

impl Tracked {
    pub(crate) fn new(key: u64, alive: &Arc<AtomicI64>) -> Self {
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

#[cfg(feature = "cache")]
mod cache {
    use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;

    use cache_kit::{Cache, CacheBuilder};

    use crate::Tracked;

    const THREADS: u64 = 4;

    fn ops_per_thread() -> u64 {
        if cfg!(miri) {
            60
        } else {
            20_000
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
    fn insert_storm_from_many_threads_stays_within_capacity_and_drops_every_value_once() {
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
    fn loads_from_many_threads_run_once_per_key() {
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
                        let value = cache.get_or_insert_with(&key, || {
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
    fn loads_and_evictions_from_many_threads_hand_out_only_the_right_values() {
        let alive = Arc::new(AtomicI64::new(0));
        {
            let cache = Cache::new(if cfg!(miri) { 4 } else { 64 }).unwrap();
            thread::scope(|s| {
                for seed in 0..THREADS {
                    let (cache, alive) = (&cache, &alive);
                    s.spawn(move || {
                        for key in keys(seed + 20, 256).take(ops_per_thread() as usize / 2) {
                            let value = cache.get_or_insert_with(&key, || Tracked::new(key, alive));
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
}

#[cfg(feature = "pool")]
mod pool {
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;

    use crate::Tracked;

    /// Tasks per outside submitter (each spawns one more from inside).
    fn pool_tasks() -> usize {
        if cfg!(miri) {
            25
        } else {
            250_000
        }
    }

    #[test]
    fn concurrent_pool_runs_every_task_and_nested_task_exactly_once() {
        use cache_kit::WorkStealingPool;
        use std::sync::atomic::AtomicU8;

        const SUBMITTERS: usize = 2;
        let per_submitter = pool_tasks();
        let ran: Arc<Vec<AtomicU8>> = Arc::new(
            (0..SUBMITTERS * per_submitter * 2)
                .map(|_| AtomicU8::new(0))
                .collect(),
        );
        let alive = Arc::new(AtomicI64::new(0));
        let pool = Arc::new(WorkStealingPool::new(4).unwrap());
        thread::scope(|s| {
            for submitter in 0..SUBMITTERS {
                let (pool, ran, alive) = (Arc::clone(&pool), Arc::clone(&ran), Arc::clone(&alive));
                s.spawn(move || {
                    for n in 0..per_submitter {
                        let slot = (submitter * per_submitter + n) * 2;
                        // Captured and dropped with the task: counts drops.
                        let token = Tracked::new(slot as u64, &alive);
                        let (inner_pool, ran) = (Arc::downgrade(&pool), Arc::clone(&ran));
                        pool.spawn(move || {
                            ran[slot].fetch_add(1, Ordering::Relaxed);
                            let inner_token = token.clone();
                            if let Some(pool) = inner_pool.upgrade() {
                                pool.spawn(move || {
                                    ran[slot + 1].fetch_add(1, Ordering::Relaxed);
                                    drop(inner_token);
                                })
                                .unwrap();
                            }
                        })
                        .unwrap();
                    }
                });
            }
        });
        pool.wait_idle();
        for (slot, count) in ran.iter().enumerate() {
            assert_eq!(count.load(Ordering::Relaxed), 1, "task {slot}");
        }
        assert_eq!(pool.stats().executed(), ran.len() as u64);
        drop(pool);
        assert_eq!(
            alive.load(Ordering::Relaxed),
            0,
            "a task's capture leaked or dropped twice"
        );
    }

    /// Many short scopes, each freeing its latch as soon as its last task
    /// is done, waited for from an outside thread, from a thread of the
    /// scope's own pool and from a thread of another pool: the last task
    /// may still be waking the waiter when the waiter returns (the tasks
    /// hold no count on the latch, only the last one takes one), which is
    /// what miri (over seeds) and ASan would catch as a use after free.
    #[test]
    fn concurrent_short_scopes_free_their_latch_only_after_the_last_task() {
        use cache_kit::WorkStealingPool;

        fn short_scopes(pool: &WorkStealingPool, rounds: usize) -> usize {
            let mut ran = 0;
            for _ in 0..rounds {
                let count = AtomicUsize::new(0);
                pool.scope(|s| {
                    for _ in 0..3 {
                        s.spawn(|s| {
                            count.fetch_add(1, Ordering::Relaxed);
                            s.spawn(|_| {
                                count.fetch_add(1, Ordering::Relaxed);
                            });
                        });
                    }
                });
                ran += count.into_inner();
            }
            ran
        }

        let rounds = if cfg!(miri) { 6 } else { 2_000 };
        let pool = WorkStealingPool::new(2).unwrap();
        let other = WorkStealingPool::new(1).unwrap();
        thread::scope(|s| {
            s.spawn(|| assert_eq!(short_scopes(&pool, rounds), 6 * rounds, "from outside"));
            s.spawn(|| {
                let ran = pool.install(|| short_scopes(&pool, rounds));
                assert_eq!(ran, 6 * rounds, "from a thread of its own pool");
            });
            s.spawn(|| {
                let ran = other.install(|| short_scopes(&pool, rounds));
                assert_eq!(ran, 6 * rounds, "from a thread of another pool");
            });
        });
    }

    #[test]
    fn concurrent_join_and_scope_trees_compute_exact_results() {
        use cache_kit::WorkStealingPool;

        fn sum_tree(pool: &WorkStealingPool, depth: u32) -> u64 {
            if depth == 0 {
                return 1;
            }
            let (left, right) =
                pool.join(|| sum_tree(pool, depth - 1), || sum_tree(pool, depth - 1));
            left + right + 1
        }

        let pool = WorkStealingPool::new(3).unwrap();
        let depth = if cfg!(miri) { 4 } else { 14 };
        // From two outside threads at once, and an unbalanced scope tree.
        thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| assert_eq!(sum_tree(&pool, depth), (1 << (depth + 1)) - 1));
            }
            s.spawn(|| {
                let leaves = AtomicUsize::new(0);
                fn grow<'s>(s: &cache_kit::Scope<'s>, width: usize, leaves: &'s AtomicUsize) {
                    if width <= 1 {
                        leaves.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    // Unbalanced: one third and two thirds.
                    let small = (width / 3).max(1);
                    s.spawn(move |s| grow(s, small, leaves));
                    s.spawn(move |s| grow(s, width - small, leaves));
                }
                let width = if cfg!(miri) { 10 } else { 3_000 };
                pool.scope(|s| grow(s, width, &leaves));
                assert_eq!(
                    leaves.load(Ordering::Relaxed),
                    width,
                    "every unit of width ends in one leaf"
                );
            });
        });
    }
}
