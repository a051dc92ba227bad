//! channels-patterns beside what a user would pick instead. The thread
//! count is the number of workers (pools, fan-out) or of producer/consumer
//! pairs (MPMC).
//!
//! - `pool_trivial_jobs`, `pool_10us_jobs`: a batch is 100k trivial jobs or
//!   1k jobs of 10 µs, submitted from the measuring thread, which then
//!   receives all their results; ours against the pools of
//!   [`pools`]. Each run starts a fresh pool, outside the
//!   clock: on our 2-core VM a pool's throughput depends on where the
//!   scheduler first put its threads, and many pools let the median see
//!   the usual case.
//! - `fan_out_fan_in_trivial_items`, `fan_out_fan_in_1us_items`: 100k
//!   trivial items or 2k items of about 1 µs mapped in input order; ours
//!   against rayon's `par_iter().map().collect()`. Every output is checked
//!   for its length and its last item.
//! - `fan_out_fan_in_vs_map_{10,1k,100k}_items`: 10, 1k or 100k trivial
//!   items mapped in input order; ours against a plain sequential `map` on
//!   the measuring thread (the promise that a fan-out of any size is about
//!   as fast as mapping alone: ours starts helpers only when they pay).
//! - `mpmc_bounded`: N producers and N consumers through a queue of 1024;
//!   each consumer takes exactly its share, and the sum of everything taken
//!   is checked. Ours against crossbeam-channel's `bounded`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use channels_patterns::{fan_out_fan_in, BoundedQueue};
use rayon::prelude::*;

use super::pools::{self, ChannelPool, ClosurePool, Ours, Pool};
use crate::plain_channels::{Crossbeam, StdMpsc};
use crate::scenario::{time_batches, Batch, Implementation, Scenario, Size};
use crate::{time_on_threads, trivial};

/// Busy for `time` (a spin on the clock, not a sleep, so the time is spent
/// on a core as real work would).
fn busy_for(time: Duration, x: u64) -> u64 {
    let start = Instant::now();
    while start.elapsed() < time {
        std::hint::spin_loop();
    }
    x
}

fn ten_micros(x: u64) -> u64 {
    busy_for(Duration::from_micros(10), x)
}

fn one_micro(x: u64) -> u64 {
    busy_for(Duration::from_micros(1), x)
}

/// One pool of a pool scenario: a fresh pool of `P` per run, then batches
/// of `jobs` jobs applying `f`.
fn pool<P: Pool>(name: &str, jobs: u64, f: fn(u64) -> u64) -> Implementation {
    Implementation::new(name, Batch::Total(jobs), move |workers, batches| {
        let pool = P::start(workers, f);
        let elapsed = time_batches(batches, || pools::run_batch(&pool, jobs));
        drop(pool);
        elapsed
    })
}

fn pool_scenario(name: &'static str, jobs: u64, f: fn(u64) -> u64) -> Scenario {
    Scenario {
        name,
        implementations: vec![
            pool::<Ours>("channels_patterns::WorkerPool", jobs, f),
            pool::<ChannelPool<StdMpsc>>("seed Mutex<mpsc::Receiver> pool", jobs, f),
            pool::<ChannelPool<Crossbeam>>("crossbeam-channel pool", jobs, f),
            pool::<ClosurePool<threadpool::ThreadPool, StdMpsc>>("threadpool", jobs, f),
            pool::<ClosurePool<rayon::ThreadPool, Crossbeam>>("rayon::spawn", jobs, f),
        ],
    }
}

/// Checks a fan-out's output: every item, in input order.
fn check_mapped(output: &[u64], items: u64, f: fn(u64) -> u64) {
    assert_eq!(output.len() as u64, items, "items lost or invented");
    assert_eq!(output.last().copied(), items.checked_sub(1).map(f));
}

fn fan_out_scenario(name: &'static str, items: u64, f: fn(u64) -> u64) -> Scenario {
    let ours = Implementation::new(
        "channels_patterns::fan_out_fan_in",
        Batch::Total(items),
        move |workers, batches| {
            time_batches(batches, || {
                let output = fan_out_fan_in(0..items, workers, f).unwrap();
                check_mapped(black_box(&output), items, f);
            })
        },
    );
    let rayon = Implementation::new(
        "rayon par_iter().map().collect()",
        Batch::Total(items),
        move |workers, batches| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .unwrap();
            time_batches(batches, || {
                let output: Vec<u64> = pool.install(|| (0..items).into_par_iter().map(f).collect());
                check_mapped(black_box(&output), items, f);
            })
        },
    );
    Scenario {
        name,
        implementations: vec![ours, rayon],
    }
}

/// `fan_out_fan_in` against a plain sequential `map` on the measuring
/// thread, at inputs of `items` trivial items: the promise that a fan-out
/// of any size costs no more than mapping alone (the thread count is the
/// fan-out's `workers`; the map ignores it).
fn fan_out_vs_map_scenario(name: &'static str, items: u64) -> Scenario {
    let ours = Implementation::new(
        "channels_patterns::fan_out_fan_in",
        Batch::Total(items),
        move |workers, batches| {
            time_batches(batches, || {
                let output = fan_out_fan_in(0..black_box(items), workers, trivial).unwrap();
                check_mapped(black_box(&output), items, trivial);
            })
        },
    );
    let map = Implementation::new("sequential map", Batch::Total(items), move |_, batches| {
        time_batches(batches, || {
            let output: Vec<u64> = (0..black_box(items)).map(trivial).collect();
            check_mapped(black_box(&output), items, trivial);
        })
    });
    Scenario {
        name,
        implementations: vec![ours, map],
    }
}

/// The two operations a producer/consumer queue offers.
trait Mpmc: Sync {
    fn with_capacity(capacity: usize) -> Self;
    fn push(&self, value: u64);
    fn pop(&self) -> u64;
}

impl Mpmc for BoundedQueue<u64> {
    fn with_capacity(capacity: usize) -> Self {
        BoundedQueue::new(capacity).unwrap()
    }
    fn push(&self, value: u64) {
        BoundedQueue::push(self, value).unwrap();
    }
    fn pop(&self) -> u64 {
        BoundedQueue::pop(self).unwrap()
    }
}

/// crossbeam-channel's bounded channel, both ends in one value.
struct CrossbeamBounded(
    crossbeam_channel::Sender<u64>,
    crossbeam_channel::Receiver<u64>,
);

impl Mpmc for CrossbeamBounded {
    fn with_capacity(capacity: usize) -> Self {
        let (sender, receiver) = crossbeam_channel::bounded(capacity);
        Self(sender, receiver)
    }
    fn push(&self, value: u64) {
        self.0.send(value).unwrap();
    }
    fn pop(&self) -> u64 {
        self.1.recv().unwrap()
    }
}

const MPMC_CAPACITY: usize = 1_024;

/// One queue of the MPMC scenario: a fresh queue per run, `pairs`
/// producers each pushing `per_producer` values per batch and as many
/// consumers each popping as many.
fn mpmc<Q: Mpmc + 'static>(name: &str, per_producer: u64) -> Implementation {
    Implementation::new(
        name,
        Batch::PerThread(per_producer),
        move |pairs, batches| {
            let queue = Q::with_capacity(MPMC_CAPACITY);
            let per_thread = batches * per_producer;
            let taken = AtomicU64::new(0);
            let elapsed = time_on_threads(2 * pairs, |thread| {
                if thread < pairs {
                    (0..per_thread).for_each(|value| queue.push(value));
                } else {
                    let sum = (0..per_thread).map(|_| black_box(queue.pop())).sum();
                    taken.fetch_add(sum, Ordering::Relaxed);
                }
            });
            let pushed = pairs as u64 * (per_thread * per_thread.saturating_sub(1) / 2);
            assert_eq!(taken.into_inner(), pushed, "values lost or invented");
            elapsed
        },
    )
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    let per_producer = size.pick(20_000, 1_000);
    vec![
        pool_scenario("pool_trivial_jobs", size.pick(100_000, 1_000), trivial),
        pool_scenario("pool_10us_jobs", size.pick(1_000, 20), ten_micros),
        fan_out_scenario(
            "fan_out_fan_in_trivial_items",
            size.pick(100_000, 1_000),
            trivial,
        ),
        fan_out_scenario("fan_out_fan_in_1us_items", size.pick(2_000, 20), one_micro),
        fan_out_vs_map_scenario("fan_out_fan_in_vs_map_10_items", 10),
        fan_out_vs_map_scenario("fan_out_fan_in_vs_map_1k_items", size.pick(1_000, 100)),
        fan_out_vs_map_scenario(
            "fan_out_fan_in_vs_map_100k_items",
            size.pick(100_000, 1_000),
        ),
        Scenario {
            name: "mpmc_bounded",
            implementations: vec![
                mpmc::<BoundedQueue<u64>>("channels_patterns::BoundedQueue", per_producer),
                mpmc::<CrossbeamBounded>("crossbeam-channel bounded", per_producer),
            ],
        },
    ]
}
