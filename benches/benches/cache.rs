//! cache-kit's `Cache` beside the caches a user would pick instead:
//! quick_cache, moka, an `lru::LruCache` behind a `Mutex`, and an unbounded
//! `DashMap` (no eviction at all: the speed ceiling).
//!
//! - `cache_get_hit`: 10k keys, all cached (capacity 20k, so that no cache
//!   evicts because its shards fill unevenly); every op a `get` that hits.
//! - `cache_zipf_mixed_{1,10}pct`: 1M keys drawn from Zipf(0.99), 90% `get`
//!   and 10% `insert`, capacity 1% and 10% of the key space; each cache is
//!   built and warmed once (one pass over 1M ops) and then measured warm.
//!
//! The hit ratios of the Zipf scenarios come from `examples/metrics.rs`.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fearless_benches::caches::{for_each_cache, zipf_keys, BenchCache};
use fearless_benches::{thread_counts, time_on_threads};

/// Operations per thread in one criterion iteration.
const OPS_PER_THREAD: u64 = 1_000;

const ZIPF_KEYS: u64 = 1_000_000;
const ZIPF_EXPONENT: f64 = 0.99;

/// The shared Zipf sequence (2^20 keys, built once per process).
fn zipf_sequence() -> &'static [u64] {
    static KEYS: OnceLock<Vec<u64>> = OnceLock::new();
    KEYS.get_or_init(|| zipf_keys(ZIPF_KEYS, ZIPF_EXPONENT, 1 << 20, 42))
}

/// Benches `op(cache, key, n)` for every cache, each built and warmed once,
/// replaying `keys` from a cursor so that iterations do not repeat a slice.
fn bench_caches(
    c: &mut Criterion,
    scenario: &str,
    capacity: u64,
    keys: &[u64],
    warm: impl Fn(&dyn BenchCache),
    op: impl Fn(&dyn BenchCache, u64, usize) + Sync,
) {
    let mut group = c.benchmark_group(scenario);
    for_each_cache(capacity, true, |name, make| {
        let cache = make();
        warm(&*cache);
        let cursor = AtomicUsize::new(0);
        for threads in thread_counts() {
            group.throughput(Throughput::Elements(threads as u64 * OPS_PER_THREAD));
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
                b.iter_custom(|iters| {
                    time_on_threads(threads, |_| {
                        let ops = (iters * OPS_PER_THREAD) as usize;
                        let start = cursor.fetch_add(ops, Ordering::Relaxed);
                        for n in start..start + ops {
                            op(black_box(&*cache), keys[n % keys.len()], n);
                        }
                    })
                });
            });
        }
    });
    group.finish();
}

fn get_hit(c: &mut Criterion) {
    let keys = zipf_keys(10_000, 0.0, 1 << 16, 7); // exponent 0: uniform
    let distinct = {
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        distinct
    };
    bench_caches(
        c,
        "cache_get_hit",
        20_000,
        &keys,
        |cache| {
            for &key in &distinct {
                cache.insert(key, key);
            }
        },
        |cache, key, _| {
            black_box(cache.get(key));
        },
    );
}

fn zipf_mixed(c: &mut Criterion, scenario: &str, capacity: u64) {
    let keys = zipf_sequence();
    let mixed = |cache: &dyn BenchCache, key: u64, n: usize| {
        if n.is_multiple_of(10) {
            cache.insert(key, key);
        } else {
            black_box(cache.get(key));
        }
    };
    bench_caches(
        c,
        scenario,
        capacity,
        keys,
        |cache| {
            for (n, &key) in keys.iter().enumerate() {
                mixed(cache, key, n);
            }
        },
        mixed,
    );
}

fn zipf_mixed_1pct(c: &mut Criterion) {
    zipf_mixed(c, "cache_zipf_mixed_1pct", ZIPF_KEYS / 100);
}

fn zipf_mixed_10pct(c: &mut Criterion) {
    zipf_mixed(c, "cache_zipf_mixed_10pct", ZIPF_KEYS / 10);
}

criterion_group!(benches, get_hit, zipf_mixed_1pct, zipf_mixed_10pct);
criterion_main!(benches);
