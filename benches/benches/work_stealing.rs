//! cache-kit's `WorkStealingPool` beside rayon and the simplest pool a user
//! writes instead (threads sharing one `Mutex<VecDeque>` of boxed jobs).
//! The thread count is the pool's worker count; the caller (the bench
//! thread) submits and waits.
//!
//! - `work_stealing_spawn_tiny_tasks`: 100k detached tasks that each bump a
//!   counter, submitted from outside, then waiting until all ran (the same
//!   counter wait for every pool); M tasks/s.
//! - `work_stealing_join_fib`: fib(25) with a `join` at every node (no sequential
//!   cutoff: the fork-join overhead itself); M joins/s. The Mutex pool has
//!   no join and is left out.
//! - `work_stealing_scope_unbalanced_tree`: a tree of tasks split one third / two
//!   thirds down to 20k leaves, each spawning its children (ours and
//!   rayon's `scope`; the Mutex pool with 'static tasks and a counter);
//!   M tasks/s.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cache_kit::WorkStealingPool;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fearless_benches::thread_counts;

const TINY_TASKS: usize = 100_000;
const FIB_N: u64 = 25;
const TREE_LEAVES: usize = 20_000;

type Job = Box<dyn FnOnce() + Send>;

/// The jobs, a closed flag, and the condition variable idle threads wait on.
type SharedQueue = (Mutex<(VecDeque<Job>, bool)>, Condvar);

/// The pool users write first: one queue behind one lock.
struct MutexPool {
    shared: Arc<SharedQueue>,
    threads: Vec<JoinHandle<()>>,
}

impl MutexPool {
    fn new(threads: usize) -> Self {
        let shared: Arc<SharedQueue> = Arc::default();
        let threads = (0..threads)
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || loop {
                    let job = {
                        let mut queue = shared.0.lock().unwrap();
                        loop {
                            if let Some(job) = queue.0.pop_front() {
                                break job;
                            }
                            if queue.1 {
                                return;
                            }
                            queue = shared.1.wait(queue).unwrap();
                        }
                    };
                    job();
                })
            })
            .collect();
        Self { shared, threads }
    }

    fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        self.shared.0.lock().unwrap().0.push_back(Box::new(job));
        self.shared.1.notify_one();
    }
}

impl Drop for MutexPool {
    fn drop(&mut self) {
        self.shared.0.lock().unwrap().1 = true;
        self.shared.1.notify_all();
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// Waits (yielding) until `counter` reaches `target`.
fn wait_for(counter: &AtomicUsize, target: usize) {
    while counter.load(Ordering::Acquire) < target {
        std::thread::yield_now();
    }
}

/// Times `iters` runs of `once`.
fn timed(iters: u64, mut once: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        once();
    }
    start.elapsed()
}

/// Benches one pool's detached spawns: `spawn_one(done)` queues a task
/// that bumps `done`; the batch ends when all `TINY_TASKS` have run.
fn bench_tiny_spawns(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    implementation: &str,
    threads: usize,
    spawn_one: impl Fn(Arc<AtomicUsize>),
) {
    group.bench_with_input(
        BenchmarkId::new(implementation, threads),
        &threads,
        |b, _| {
            b.iter_custom(|iters| {
                timed(iters, || {
                    let done = Arc::new(AtomicUsize::new(0));
                    for _ in 0..TINY_TASKS {
                        spawn_one(Arc::clone(&done));
                    }
                    wait_for(&done, TINY_TASKS);
                })
            });
        },
    );
}

fn spawn_tiny_tasks(c: &mut Criterion) {
    let mut group = c.benchmark_group("work_stealing_spawn_tiny_tasks");
    group.throughput(Throughput::Elements(TINY_TASKS as u64));
    for threads in thread_counts() {
        let ours = WorkStealingPool::new(threads).unwrap();
        bench_tiny_spawns(&mut group, "cache_kit::WorkStealingPool", threads, |done| {
            ours.spawn(move || {
                done.fetch_add(1, Ordering::Release);
            })
            .unwrap();
        });
        let rayon = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        bench_tiny_spawns(&mut group, "rayon::ThreadPool::spawn", threads, |done| {
            rayon.spawn(move || {
                done.fetch_add(1, Ordering::Release);
            });
        });
        let mutex_pool = MutexPool::new(threads);
        bench_tiny_spawns(&mut group, "Mutex<VecDeque> pool", threads, |done| {
            mutex_pool.spawn(move || {
                done.fetch_add(1, Ordering::Release);
            });
        });
    }
    group.finish();
}

/// The number of `join` calls in fib(n) with a join at every n ≥ 2.
fn joins_in_fib(n: u64) -> u64 {
    if n < 2 {
        0
    } else {
        1 + joins_in_fib(n - 1) + joins_in_fib(n - 2)
    }
}

fn fib_ours(pool: &WorkStealingPool, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = pool.join(|| fib_ours(pool, n - 1), || fib_ours(pool, n - 2));
    a + b
}

fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

fn join_fib(c: &mut Criterion) {
    let mut group = c.benchmark_group("work_stealing_join_fib");
    group.throughput(Throughput::Elements(joins_in_fib(FIB_N)));
    for threads in thread_counts() {
        let ours = WorkStealingPool::new(threads).unwrap();
        group.bench_with_input(
            BenchmarkId::new("cache_kit::WorkStealingPool", threads),
            &threads,
            |b, _| {
                b.iter(|| black_box(fib_ours(&ours, black_box(FIB_N))));
            },
        );
        let rayon = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("rayon::join", threads),
            &threads,
            |b, _| {
                b.iter(|| rayon.install(|| black_box(fib_rayon(black_box(FIB_N)))));
            },
        );
    }
    group.finish();
}

/// Splits `width` one third / two thirds until single leaves.
fn split(width: usize) -> (usize, usize) {
    let small = (width / 3).max(1);
    (small, width - small)
}

fn grow_ours<'s>(s: &cache_kit::Scope<'s>, width: usize, leaves: &'s AtomicUsize) {
    if width <= 1 {
        leaves.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let (small, large) = split(width);
    s.spawn(move |s| grow_ours(s, small, leaves));
    s.spawn(move |s| grow_ours(s, large, leaves));
}

fn grow_rayon<'s>(s: &rayon::Scope<'s>, width: usize, leaves: &'s AtomicUsize) {
    if width <= 1 {
        leaves.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let (small, large) = split(width);
    s.spawn(move |s| grow_rayon(s, small, leaves));
    s.spawn(move |s| grow_rayon(s, large, leaves));
}

fn grow_mutex(pool: &Arc<MutexPool>, width: usize, leaves: &Arc<AtomicUsize>) {
    if width <= 1 {
        leaves.fetch_add(1, Ordering::Release);
        return;
    }
    let (small, large) = split(width);
    for part in [small, large] {
        let (inner, leaves) = (Arc::clone(pool), Arc::clone(leaves));
        pool.spawn(move || grow_mutex(&inner, part, &leaves));
    }
}

/// Tasks in the tree: every node is one task.
fn tree_tasks(width: usize) -> u64 {
    if width <= 1 {
        1
    } else {
        let (small, large) = split(width);
        1 + tree_tasks(small) + tree_tasks(large)
    }
}

fn scope_unbalanced_tree(c: &mut Criterion) {
    let mut group = c.benchmark_group("work_stealing_scope_unbalanced_tree");
    group.throughput(Throughput::Elements(tree_tasks(TREE_LEAVES)));
    for threads in thread_counts() {
        let ours = WorkStealingPool::new(threads).unwrap();
        group.bench_with_input(
            BenchmarkId::new("cache_kit::WorkStealingPool", threads),
            &threads,
            |b, _| {
                b.iter(|| {
                    let leaves = AtomicUsize::new(0);
                    ours.scope(|s| grow_ours(s, TREE_LEAVES, &leaves));
                    assert_eq!(leaves.into_inner(), TREE_LEAVES);
                });
            },
        );
        let rayon = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("rayon::scope", threads),
            &threads,
            |b, _| {
                b.iter(|| {
                    let leaves = AtomicUsize::new(0);
                    rayon.scope(|s| grow_rayon(s, TREE_LEAVES, &leaves));
                    assert_eq!(leaves.into_inner(), TREE_LEAVES);
                });
            },
        );
        // Kept alive by the tasks' clones too; dropped when the last ends.
        let mutex_pool = Arc::new(MutexPool::new(threads));
        group.bench_with_input(
            BenchmarkId::new("Mutex<VecDeque> pool", threads),
            &threads,
            |b, _| {
                b.iter(|| {
                    let leaves = Arc::new(AtomicUsize::new(0));
                    grow_mutex(&mutex_pool, TREE_LEAVES, &leaves);
                    wait_for(&leaves, TREE_LEAVES);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, spawn_tiny_tasks, join_fib, scope_unbalanced_tree);
criterion_main!(benches);
