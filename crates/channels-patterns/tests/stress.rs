//! Hammer tests: every input, job and value accounted for exactly once,
//! and every one dropped exactly once. Run by `cargo xtask sanitizers`
//! under AddressSanitizer and ThreadSanitizer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use channels_patterns::{fan_out_bounded, fan_out_fan_in, BoundedQueue, WorkerPool};

/// `full` natively; under miri, which runs these too (slowly), `miri`.
const fn amount(full: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        full
    }
}

/// A value that counts its drops in a shared counter.
struct Counted {
    value: usize,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    fn new(value: usize, drops: &Arc<AtomicUsize>) -> Self {
        Self {
            value,
            drops: Arc::clone(drops),
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn assert_each_once(mut seen: Vec<usize>, total: usize, what: &str) {
    seen.sort_unstable();
    assert_eq!(seen.len(), total, "{what}: count");
    assert!(
        seen.iter().copied().eq(0..total),
        "{what}: each exactly once"
    );
}

#[test]
fn pool_runs_every_job_once_from_many_submitters_with_some_panicking() {
    let per_submitter = amount(10_000, 10);
    let submitters = 3;
    let total = per_submitter * submitters;
    let drops = Arc::new(AtomicUsize::new(0));
    let result_drops = Arc::clone(&drops);
    let (pool, results) = WorkerPool::new(3, move |job: Counted| {
        assert!(job.value % 97 != 5, "job {} refuses", job.value);
        Counted::new(job.value, &result_drops)
    })
    .unwrap();
    let (mut seen, panicked) = thread::scope(|s| {
        for t in 0..submitters {
            let (pool, drops) = (&pool, &drops);
            s.spawn(move || {
                for i in 0..per_submitter {
                    pool.submit(Counted::new(t * per_submitter + i, drops))
                        .unwrap();
                }
            });
        }
        let receiver = s.spawn(|| {
            let (mut seen, mut panicked) = (Vec::new(), Vec::new());
            for _ in 0..total {
                match results.recv().unwrap().1 {
                    Ok(result) => seen.push(result.value),
                    Err(report) => panicked.push(report),
                }
            }
            (seen, panicked)
        });
        receiver.join().unwrap()
    });
    pool.shutdown();
    assert_eq!(pool.stats().panicked as usize, panicked.len());
    assert!(panicked.iter().all(|p| p.message().ends_with("refuses")));
    let refused: Vec<usize> = (0..total).filter(|v| v % 97 == 5).collect();
    seen.extend(&refused);
    assert_each_once(seen.clone(), total, "pool results");
    drop(seen);
    // Every job dropped once (consumed by its run), every result once.
    assert_eq!(
        drops.load(Ordering::SeqCst),
        total + (total - refused.len())
    );
}

#[test]
fn pool_shutdown_now_under_load_accounts_for_every_job() {
    let total = amount(15_000, 30);
    let drops = Arc::new(AtomicUsize::new(0));
    let (pool, results) = WorkerPool::new(2, |job: Counted| job.value).unwrap();
    for i in 0..total {
        pool.submit(Counted::new(i, &drops)).unwrap();
    }
    let returned = pool.shutdown_now();
    let mut seen: Vec<usize> = returned.iter().map(|(_, job)| job.value).collect();
    drop(returned);
    seen.extend(results.iter().map(|(_, r)| r.unwrap()));
    assert_each_once(seen, total, "shutdown_now");
    assert_eq!(drops.load(Ordering::SeqCst), total);
}

#[test]
fn fan_out_gives_every_result_in_order_and_drops_every_input_once() {
    let total = amount(50_000, 40);
    let drops = Arc::new(AtomicUsize::new(0));
    let inputs: Vec<Counted> = (0..total).map(|i| Counted::new(i, &drops)).collect();
    let out = fan_out_fan_in(inputs, 4, |c| c.value * 2).unwrap();
    assert!(out.iter().copied().eq((0..total).map(|i| i * 2)));
    assert_eq!(drops.load(Ordering::SeqCst), total);
}

/// Items slow enough (a few µs of spinning) that helper threads join, from
/// two callers at once, each borrowing its own stack data: every result in
/// order, every input dropped once (ASan/TSan and miri watch the helpers'
/// borrowed closure).
#[test]
fn concurrent_fan_out_helpers_borrow_and_drop_every_input_once() {
    let (rounds, total) = if cfg!(miri) { (2, 8) } else { (20, 2_000) };
    let spin = |micros: u64| {
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_micros(micros) {
            std::hint::spin_loop();
        }
    };
    let on_helpers = AtomicUsize::new(0);
    thread::scope(|s| {
        for caller in 0..2 {
            let on_helpers = &on_helpers;
            s.spawn(move || {
                let me = thread::current().id();
                for round in 0..rounds {
                    let drops = Arc::new(AtomicUsize::new(0));
                    let offset = caller * 1_000_000 + round;
                    let borrowed: Vec<usize> = (0..total).map(|i| i + offset).collect();
                    let inputs: Vec<Counted> =
                        (0..total).map(|i| Counted::new(i, &drops)).collect();
                    let out = fan_out_fan_in(inputs, 4, |c| {
                        spin(if cfg!(miri) { 0 } else { 5 });
                        if thread::current().id() != me {
                            on_helpers.fetch_add(1, Ordering::Relaxed);
                        }
                        borrowed[c.value]
                    })
                    .unwrap();
                    assert_eq!(out, borrowed);
                    assert_eq!(drops.load(Ordering::SeqCst), total);
                }
            });
        }
    });
    // 10 ms of work per call outweighs any start the adaptive estimate
    // allows (at most 1 ms); under miri the clock decides alone.
    if !cfg!(miri) {
        assert!(on_helpers.into_inner() > 0, "no helper thread ran an item");
    }
}

#[test]
fn bounded_fan_out_yields_every_index_once() {
    let total = amount(25_000, 30);
    let seen: Vec<usize> = fan_out_bounded(0..total, 3, 16, |x| x)
        .unwrap()
        .map(|(index, result)| {
            assert_eq!(result.unwrap(), index);
            index
        })
        .collect();
    assert_each_once(seen, total, "bounded fan-out");
}

#[test]
fn concurrent_queue_delivers_every_value_once_through_close() {
    // Under miri, 30 values per producer: each slot of the ring is reused
    // over seven laps, racing the pops that free it.
    let per_producer = amount(50_000, 30);
    let producers = 4;
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = BoundedQueue::new(16).unwrap();
    let seen: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let (queue, drops) = (&queue, &drops);
                s.spawn(move || {
                    for i in 0..per_producer {
                        queue
                            .push(Counted::new(p * per_producer + i, drops))
                            .unwrap();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3)
            .map(|_| s.spawn(|| queue.iter().map(|c| c.value).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        queue.close();
        consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    assert_each_once(seen, producers * per_producer, "queue");
    assert_eq!(drops.load(Ordering::SeqCst), producers * per_producer);
}
