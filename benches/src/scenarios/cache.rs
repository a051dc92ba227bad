//! cache-kit's `Cache` beside the caches a user would pick instead:
//! quick_cache, moka, an `lru::LruCache` behind a `Mutex`, and an unbounded
//! `DashMap` (no eviction at all: the speed ceiling). See
//! [`caches`](crate::caches).
//!
//! - `cache_get_hit`: 10k keys, all cached (capacity 20k, so that no cache
//!   evicts because its shards fill unevenly); every op a `get`, and every
//!   run checks that they all hit.
//! - `cache_zipf_mixed_{1,10}pct`: 1M keys drawn from Zipf(0.99), 90% `get`
//!   and 10% `insert`, capacity 1% and 10% of the key space.
//!
//! Each cache is built and warmed once, on its first run (one pass over the
//! keys), and then measured warm in every later run, at every thread
//! count; each run replays the keys from where the last one stopped. The
//! hit ratios of the Zipf scenarios come from `examples/metrics.rs`.

use std::cell::OnceCell;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::caches::{bounded_caches, zipf_keys, BenchCache, CacheMaker, CEILING};
use crate::scenario::{Batch, Implementation, Scenario, Size};
use crate::time_on_threads;

/// Keys shared by a scenario's caches, made on the first run of any.
type SharedKeys = Rc<OnceCell<Vec<u64>>>;

/// What a scenario does to each cache.
#[derive(Clone, Copy)]
struct Workload {
    capacity: u64,
    /// The keys, made once.
    keys: fn(Size) -> Vec<u64>,
    /// Fills a new cache before its first run.
    warm: fn(&dyn BenchCache, &[u64]),
    /// Operation `n` of the key sequence, on `key`; `true` if it counts as
    /// a miss.
    op: fn(&dyn BenchCache, u64, usize) -> bool,
    /// Whether every operation must hit.
    all_hit: bool,
}

/// One cache of a scenario: built and warmed on its first run, then
/// `ops_per_thread` operations per thread per batch, replaying the keys
/// from a cursor kept across runs.
fn cache(
    (name, make): CacheMaker,
    workload: Workload,
    keys: &SharedKeys,
    size: Size,
) -> Implementation {
    let keys = Rc::clone(keys);
    let mut built: Option<Box<dyn BenchCache>> = None;
    let cursor = AtomicUsize::new(0);
    Implementation::new(
        name,
        Batch::PerThread(OPS_PER_THREAD),
        move |threads, batches| {
            let keys = keys.get_or_init(|| (workload.keys)(size));
            let cache = &**built.get_or_insert_with(|| {
                let cache = make(workload.capacity);
                (workload.warm)(&*cache, keys);
                cache
            });
            let misses = AtomicU64::new(0);
            let elapsed = time_on_threads(threads, |_| {
                let ops = usize::try_from(batches * OPS_PER_THREAD).expect("ops fit in memory");
                let start = cursor.fetch_add(ops, Ordering::Relaxed);
                let missed = (start..start + ops)
                    .filter(|&n| (workload.op)(black_box(cache), keys[n % keys.len()], n))
                    .count();
                misses.fetch_add(missed as u64, Ordering::Relaxed);
            });
            if workload.all_hit {
                assert_eq!(misses.into_inner(), 0, "{name} missed a cached key");
            }
            elapsed
        },
    )
}

/// Operations per thread in one batch.
const OPS_PER_THREAD: u64 = 1_000;

fn scenario(name: &'static str, workload: Workload, size: Size) -> Scenario {
    let keys = SharedKeys::default();
    Scenario {
        name,
        implementations: bounded_caches()
            .into_iter()
            .chain([CEILING])
            .map(|maker| cache(maker, workload, &keys, size))
            .collect(),
    }
}

/// `cache_get_hit`: uniform keys over 10k, all inserted by the warm-up.
fn get_hit(size: Size) -> Scenario {
    let workload = Workload {
        capacity: 20_000,
        keys: |size| zipf_keys(10_000, 0.0, size.pick(1 << 16, 1 << 12), 7), // exponent 0: uniform
        warm: |cache, keys| {
            for &key in keys {
                cache.insert(key, key);
            }
        },
        op: |cache, key, _| !cache.get(key),
        all_hit: true,
    };
    scenario("cache_get_hit", workload, size)
}

const ZIPF_KEYS: u64 = 1_000_000;

/// Operation `n` of the mixed workload: every tenth an insert, the rest gets.
fn mixed(cache: &dyn BenchCache, key: u64, n: usize) -> bool {
    if n.is_multiple_of(10) {
        cache.insert(key, key);
        false
    } else {
        !cache.get(key)
    }
}

/// `cache_zipf_mixed_*`: capacity `percent`% of the key space, warmed by
/// one pass of the mixed workload.
fn zipf_mixed(name: &'static str, percent: u64, size: Size) -> Scenario {
    let workload = Workload {
        capacity: ZIPF_KEYS * percent / 100,
        keys: |size| zipf_keys(ZIPF_KEYS, 0.99, size.pick(1 << 20, 1 << 12), 42),
        warm: |cache, keys| {
            for (n, &key) in keys.iter().enumerate() {
                mixed(cache, key, n);
            }
        },
        op: mixed,
        all_hit: false,
    };
    scenario(name, workload, size)
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    vec![
        get_hit(size),
        zipf_mixed("cache_zipf_mixed_1pct", 1, size),
        zipf_mixed("cache_zipf_mixed_10pct", 10, size),
    ]
}
