//! channels-patterns beside what a user would pick instead.
//!
//! - Pools: the seed article's pool (`Mutex<mpsc::Receiver>`), a plain
//!   crossbeam-channel MPMC pool, the `threadpool` crate, and `rayon`'s
//!   `ThreadPool::spawn`, each delivering every result to the submitter
//!   on a channel, as `WorkerPool` does. One criterion iteration submits a
//!   batch of jobs from the bench thread and receives all their results.
//! - Fan-out/fan-in in input order: rayon's `par_iter().map().collect()`.
//! - Producer/consumer: crossbeam-channel's `bounded`, with N producers and
//!   N consumers; each consumer takes exactly its share.
//!
//! The thread count (the criterion parameter) is the number of workers
//! (pools, fan-out) or of producer/consumer pairs (MPMC).

use std::hint::black_box;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use channels_patterns::{fan_out_fan_in, BoundedQueue, WorkerPool};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fearless_benches::{thread_counts, time_on_threads, trivial};
use rayon::prelude::*;

/// Trivial jobs per iteration: the pool's own overhead is all there is.
const TRIVIAL_JOBS: u64 = 100_000;
/// 10 µs jobs per iteration.
const SLOW_JOBS: u64 = 1_000;
const SLOW_JOB_TIME: Duration = Duration::from_micros(10);
/// Fan-out inputs per iteration: trivial ones, and ones of about 1 µs.
const FAN_OUT_ITEMS: u64 = 100_000;
const FAN_OUT_SLOW_ITEMS: u64 = 2_000;
/// Values each producer pushes per iteration, and the queue capacity.
const MPMC_PER_PRODUCER: u64 = 20_000;
const MPMC_CAPACITY: usize = 1_024;

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
    busy_for(SLOW_JOB_TIME, x)
}

fn one_micro(x: u64) -> u64 {
    busy_for(Duration::from_micros(1), x)
}

/// A pool that applies one function to `u64` jobs and hands every result
/// back to the submitter.
trait Pool {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self;
    /// Submits `jobs` jobs and waits for all their results.
    fn run_batch(&self, jobs: u64);
}

struct Ours {
    pool: WorkerPool<u64, u64>,
    results: channels_patterns::Results<u64>,
}

impl Pool for Ours {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (pool, results) = WorkerPool::new(workers, f).unwrap();
        Self { pool, results }
    }
    fn run_batch(&self, jobs: u64) {
        for job in 0..jobs {
            self.pool.submit(job).unwrap();
        }
        for _ in 0..jobs {
            black_box(self.results.recv().unwrap().1.unwrap());
        }
    }
}

/// The seed article's pool: workers share a `Mutex<mpsc::Receiver>`.
struct SeedPool {
    jobs: Option<mpsc::Sender<u64>>,
    results: mpsc::Receiver<u64>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool for SeedPool {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (jobs, queue) = mpsc::channel::<u64>();
        let (results_tx, results) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..workers)
            .map(|_| {
                let (queue, results_tx) = (Arc::clone(&queue), results_tx.clone());
                std::thread::spawn(move || loop {
                    let job = queue.lock().unwrap().recv();
                    match job {
                        Ok(job) => results_tx.send(f(job)).unwrap(),
                        Err(_) => break,
                    }
                })
            })
            .collect();
        Self {
            jobs: Some(jobs),
            results,
            workers,
        }
    }
    fn run_batch(&self, jobs: u64) {
        let sender = self.jobs.as_ref().unwrap();
        for job in 0..jobs {
            sender.send(job).unwrap();
        }
        for _ in 0..jobs {
            black_box(self.results.recv().unwrap());
        }
    }
}

impl Drop for SeedPool {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

/// Workers receiving from one crossbeam-channel MPMC queue.
struct CrossbeamPool {
    jobs: Option<crossbeam_channel::Sender<u64>>,
    results: crossbeam_channel::Receiver<u64>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool for CrossbeamPool {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (jobs, queue) = crossbeam_channel::unbounded::<u64>();
        let (results_tx, results) = crossbeam_channel::unbounded();
        let workers = (0..workers)
            .map(|_| {
                let (queue, results_tx) = (queue.clone(), results_tx.clone());
                std::thread::spawn(move || {
                    for job in queue {
                        results_tx.send(f(job)).unwrap();
                    }
                })
            })
            .collect();
        Self {
            jobs: Some(jobs),
            results,
            workers,
        }
    }
    fn run_batch(&self, jobs: u64) {
        let sender = self.jobs.as_ref().unwrap();
        for job in 0..jobs {
            sender.send(job).unwrap();
        }
        for _ in 0..jobs {
            black_box(self.results.recv().unwrap());
        }
    }
}

impl Drop for CrossbeamPool {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

/// The `threadpool` crate, results on an mpsc channel.
struct ThreadPoolCrate {
    pool: threadpool::ThreadPool,
    f: fn(u64) -> u64,
    results_tx: mpsc::Sender<u64>,
    results: mpsc::Receiver<u64>,
}

impl Pool for ThreadPoolCrate {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (results_tx, results) = mpsc::channel();
        Self {
            pool: threadpool::ThreadPool::new(workers),
            f,
            results_tx,
            results,
        }
    }
    fn run_batch(&self, jobs: u64) {
        for job in 0..jobs {
            let (f, results_tx) = (self.f, self.results_tx.clone());
            self.pool.execute(move || results_tx.send(f(job)).unwrap());
        }
        for _ in 0..jobs {
            black_box(self.results.recv().unwrap());
        }
    }
}

impl Drop for ThreadPoolCrate {
    fn drop(&mut self) {
        self.pool.join();
    }
}

/// rayon's `ThreadPool::spawn`, results on a crossbeam channel.
struct RayonSpawn {
    pool: rayon::ThreadPool,
    f: fn(u64) -> u64,
    results_tx: crossbeam_channel::Sender<u64>,
    results: crossbeam_channel::Receiver<u64>,
}

impl Pool for RayonSpawn {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .unwrap();
        let (results_tx, results) = crossbeam_channel::unbounded();
        Self {
            pool,
            f,
            results_tx,
            results,
        }
    }
    fn run_batch(&self, jobs: u64) {
        for job in 0..jobs {
            let (f, results_tx) = (self.f, self.results_tx.clone());
            self.pool.spawn(move || results_tx.send(f(job)).unwrap());
        }
        for _ in 0..jobs {
            black_box(self.results.recv().unwrap());
        }
    }
}

fn bench_pool<P: Pool>(
    c: &mut Criterion,
    scenario: &str,
    name: &str,
    jobs: u64,
    f: fn(u64) -> u64,
) {
    let mut group = c.benchmark_group(scenario);
    group.throughput(Throughput::Elements(jobs));
    for workers in thread_counts() {
        group.bench_with_input(BenchmarkId::new(name, workers), &workers, |b, &workers| {
            // A fresh pool for every sample (started outside the clock): on
            // our 2-core VM a pool's throughput depends on where the
            // scheduler first put its threads, and swings 3x between pools;
            // many pools per benchmark let the median see the usual case.
            b.iter_custom(|iters| {
                let pool = P::start(workers, f);
                let started = Instant::now();
                for _ in 0..iters {
                    pool.run_batch(jobs);
                }
                let elapsed = started.elapsed();
                drop(pool);
                elapsed
            });
        });
    }
    group.finish();
}

fn pools(c: &mut Criterion) {
    for (scenario, jobs, f) in [
        ("pool_trivial_jobs", TRIVIAL_JOBS, trivial as fn(u64) -> u64),
        ("pool_10us_jobs", SLOW_JOBS, ten_micros),
    ] {
        bench_pool::<Ours>(c, scenario, "channels_patterns::WorkerPool", jobs, f);
        bench_pool::<SeedPool>(c, scenario, "seed Mutex<mpsc::Receiver> pool", jobs, f);
        bench_pool::<CrossbeamPool>(c, scenario, "crossbeam-channel pool", jobs, f);
        bench_pool::<ThreadPoolCrate>(c, scenario, "threadpool", jobs, f);
        bench_pool::<RayonSpawn>(c, scenario, "rayon::spawn", jobs, f);
    }
}

fn fan_out(c: &mut Criterion) {
    for (scenario, items, f) in [
        (
            "fan_out_fan_in_trivial_items",
            FAN_OUT_ITEMS,
            trivial as fn(u64) -> u64,
        ),
        ("fan_out_fan_in_1us_items", FAN_OUT_SLOW_ITEMS, one_micro),
    ] {
        let mut group = c.benchmark_group(scenario);
        group.throughput(Throughput::Elements(items));
        for workers in thread_counts() {
            group.bench_with_input(
                BenchmarkId::new("channels_patterns::fan_out_fan_in", workers),
                &workers,
                |b, &workers| b.iter(|| black_box(fan_out_fan_in(0..items, workers, f).unwrap())),
            );
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .unwrap();
            group.bench_with_input(
                BenchmarkId::new("rayon par_iter().map().collect()", workers),
                &workers,
                |b, _| {
                    b.iter(|| {
                        pool.install(|| {
                            black_box((0..items).into_par_iter().map(f).collect::<Vec<_>>())
                        })
                    });
                },
            );
        }
        group.finish();
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

fn bench_mpmc<Q: Mpmc>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("mpmc_bounded");
    for pairs in thread_counts() {
        group.throughput(Throughput::Elements(pairs as u64 * MPMC_PER_PRODUCER));
        group.bench_with_input(BenchmarkId::new(name, pairs), &pairs, |b, &pairs| {
            b.iter_custom(|iters| {
                let queue = Q::with_capacity(MPMC_CAPACITY);
                let per_thread = iters * MPMC_PER_PRODUCER;
                time_on_threads(2 * pairs, |thread| {
                    if thread < pairs {
                        (0..per_thread).for_each(|value| queue.push(value));
                    } else {
                        (0..per_thread).for_each(|_| {
                            black_box(queue.pop());
                        });
                    }
                })
            });
        });
    }
    group.finish();
}

fn mpmc(c: &mut Criterion) {
    bench_mpmc::<BoundedQueue<u64>>(c, "channels_patterns::BoundedQueue");
    bench_mpmc::<CrossbeamBounded>(c, "crossbeam-channel bounded");
}

criterion_group!(benches, pools, fan_out, mpmc);
criterion_main!(benches);
