//! The seed article's cache, made bounded and deadlock-free, each part
//! checking its result (the demo exits non-zero if a check fails):
//!
//! - the seed's `get_or_insert(key, compute)` from 4 threads: each
//!   expensive value is computed once, and a `compute` that itself uses the
//!   cache works (in the seed it runs under dashmap's shard lock and
//!   deadlocks);
//! - the seed's `max_size`, enforced: 10× as many keys as fit, `len` stays
//!   at the capacity;
//! - a skewed workload (80% of requests to 5% of the keys): hit ratio and
//!   evictions;
//! - the seed's `LockFreeLogger::log(msg)`, through `log::info!` from 4
//!   threads in Block mode: every line written, none dropped;
//! - the seed's `TaskQueue` as a `WorkStealingPool`: a recursive
//!   merge sort through `join`, with the jobs each worker ran and stole, and
//!   a detached task that panics without taking a worker down.
//!
//! Run it with `cargo xtask demo` or `cargo run -p cache-kit --example demo`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use std::io::Write;
use std::sync::{Arc, Mutex};

use cache_kit::{Cache, LockFreeLogger, Overflow, WorkStealingPool};

fn main() -> ExitCode {
    // One task panics on purpose: print a line for it, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        println!(
            "  (panic on {}: {})",
            thread::current().name().unwrap_or("?"),
            atomics_kit::panic_text(info.payload()).unwrap_or("?")
        );
    }));
    let checks = [
        single_flight_demo(),
        bounded_demo(),
        skewed_demo(),
        logger_demo(),
        work_stealing_demo(),
    ];
    if checks.iter().all(|passed| *passed) {
        println!("all cache-kit checks passed");
        ExitCode::SUCCESS
    } else {
        println!("some cache-kit checks FAILED");
        ExitCode::FAILURE
    }
}

fn check(what: &str, passed: bool) -> bool {
    println!("  [{}] {what}", if passed { "ok" } else { "FAILED" });
    passed
}

/// Stands in for a slow computation (a database query, say).
fn expensive_square(n: u64, computations: &AtomicUsize) -> u64 {
    computations.fetch_add(1, Ordering::Relaxed);
    thread::sleep(std::time::Duration::from_millis(5));
    n * n
}

fn single_flight_demo() -> bool {
    println!("get_or_insert_with: 4 threads ask for the same 20 keys");
    let cache = Cache::new(100).expect("non-zero capacity");
    let computations = AtomicUsize::new(0);
    let all_right = thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..20).all(|n| {
                        cache.get_or_insert_with(&n, || expensive_square(n, &computations)) == n * n
                    })
                })
            })
            .collect();
        workers.into_iter().all(|worker| worker.join().unwrap())
    });
    let computed = computations.load(Ordering::Relaxed);
    println!("  80 requests, {computed} computations");
    // A compute that reads other keys: the seed's version deadlocks here.
    let sum =
        cache.get_or_insert_with(&1_000, || (0..20).map(|n| cache.get(&n).unwrap_or(0)).sum());
    check("every thread got n² for every key", all_right)
        & check("each key was computed once", computed == 20)
        & check(
            "a compute may use the cache",
            sum == (0..20).map(|n| n * n).sum::<u64>(),
        )
}

fn bounded_demo() -> bool {
    println!("max_size 1000, 10000 distinct keys inserted");
    let cache = Cache::new(1_000).expect("non-zero capacity");
    for key in 0..10_000_u32 {
        cache.insert(key, key.to_string());
    }
    let stats = cache.stats();
    println!("  len {}, evictions {}", cache.len(), stats.evictions);
    check("len stays within max_size", cache.len() <= 1_000)
        & check(
            "every key beyond the capacity evicted one",
            stats.evictions == 10_000 - cache.len() as u64,
        )
}

fn skewed_demo() -> bool {
    println!("skewed: 4 threads x 50000 requests, 80% to 500 hot keys of 10000; capacity 1000");
    let cache = Cache::new(1_000).expect("non-zero capacity");
    thread::scope(|s| {
        for seed in 1..=4_u64 {
            let cache = &cache;
            s.spawn(move || {
                let mut state = seed * 0x9E37_79B9_7F4A_7C15;
                for _ in 0..50_000 {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let key = if state % 10 < 8 {
                        state % 500
                    } else {
                        state % 10_000
                    };
                    cache.get_or_insert_with(&key, || key * 2);
                }
            });
        }
    });
    let stats = cache.stats();
    println!(
        "  hit ratio {:.1}%, evictions {}, len {}",
        stats.hit_ratio() * 100.0,
        stats.evictions,
        cache.len()
    );
    // The hot set alone would give 80%; an LRU of this size gets about
    // that, a policy that keeps the hot keys gets more.
    check("requests add up", stats.hits + stats.misses == 200_000)
        & check(
            "the hot keys stay cached (hit ratio above 80%)",
            stats.hit_ratio() > 0.80,
        )
}

/// Keeps what the logger writes, for the demo to count.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logger_demo() -> bool {
    println!("LockFreeLogger via log::info!: 4 threads x 10000 lines, Block mode");
    let captured = Captured::default();
    let logger = LockFreeLogger::builder(captured.clone())
        .overflow(Overflow::Block)
        .install()
        .expect("no other logger in the demo");
    thread::scope(|s| {
        for worker in 0..4 {
            s.spawn(move || {
                for request in 0..10_000 {
                    log::info!("worker {worker} served request {request}");
                }
            });
        }
    });
    let shut_down = logger.shutdown(std::time::Duration::from_secs(10)).is_ok();
    let stats = logger.stats();
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap_or_default();
    let lines = text.lines().count();
    println!("  {stats:?}");
    println!("  first line: {}", text.lines().next().unwrap_or(""));
    check("shutdown wrote everything in time", shut_down)
        & check(
            "40000 lines written, none dropped",
            lines == 40_000 && stats.written == 40_000 && stats.dropped == 0,
        )
}

/// Sorts `items` by splitting it in two, sorting the halves in parallel
/// through `join`, and merging.
fn merge_sort(pool: &WorkStealingPool, items: &mut [u64]) {
    if items.len() <= 1_000 {
        items.sort_unstable();
        return;
    }
    let middle = items.len() / 2;
    let (left, right) = items.split_at_mut(middle);
    pool.join(|| merge_sort(pool, left), || merge_sort(pool, right));
    let mut merged = Vec::with_capacity(items.len());
    let (mut i, mut j) = (0, middle);
    while i < middle && j < items.len() {
        if items[i] <= items[j] {
            merged.push(items[i]);
            i += 1;
        } else {
            merged.push(items[j]);
            j += 1;
        }
    }
    merged.extend_from_slice(&items[i..middle]);
    merged.extend_from_slice(&items[j..]);
    items.copy_from_slice(&merged);
}

fn work_stealing_demo() -> bool {
    println!("WorkStealingPool: merge sort of 1M numbers through join, 4 workers");
    let pool = WorkStealingPool::builder(4)
        .panic_handler(|_| println!("  (a detached task panicked; the handler was told)"))
        .build()
        .expect("non-zero threads");
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut items: Vec<u64> = (0..1_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % 1_000_000
        })
        .collect();
    let mut expected = items.clone();
    expected.sort_unstable();
    merge_sort(&pool, &mut items);
    let stats = pool.stats();
    for (index, worker) in stats.workers.iter().enumerate() {
        println!(
            "  worker {index}: executed {}, stolen {}",
            worker.executed, worker.stolen
        );
    }
    let spawned = pool.spawn(|| panic!("a detached task failed")).is_ok();
    pool.wait_idle();
    let survived = pool.join(|| 2, || 3) == (2, 3);
    pool.shutdown();
    check("the sort is right", items == expected)
        & check(
            "the detached panic was counted, the workers live on",
            spawned && survived && pool.stats().panicked == 1,
        )
}
