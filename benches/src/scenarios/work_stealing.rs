//! cache-kit's `WorkStealingPool` beside rayon and the simplest pool a user
//! writes instead (threads sharing one `Mutex<VecDeque>` of boxed jobs).
//! The thread count is the pool's worker count; the measuring thread
//! submits and waits. Each run starts fresh pools, outside the clock.
//!
//! - `work_stealing_spawn_tiny_tasks`: 100k detached tasks that each bump a
//!   counter, submitted from outside, then waiting until all ran (the same
//!   counter wait for every pool); M tasks/s.
//! - `work_stealing_join_fib`: fib(25) with a `join` at every node (no
//!   sequential cutoff: the fork-join overhead itself), inside the pool
//!   (`install`) for ours and rayon's alike, its result checked; M joins/s.
//!   Ours twice: the free `cache_kit::pool::join`, written as rayon's is,
//!   and the method `WorkStealingPool::join` with the pool passed down.
//!   The Mutex pool has no join and is left out.
//! - `work_stealing_scope_unbalanced_tree`: a tree of tasks split one third
//!   / two thirds down to 20k leaves, each spawning its children (ours and
//!   rayon's `scope`; the Mutex pool with 'static tasks and a counter),
//!   every leaf counted; M tasks/s.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cache_kit::WorkStealingPool;

use super::task_pools::{MutexPool, TaskPool};
use crate::scenario::{time_batches, Batch, Implementation, Scenario, Size};

/// A pool's implementation of a scenario: a fresh pool per run, then
/// `batch(pool)` once per batch of `operations`.
fn with_pool<P: TaskPool>(
    name: &str,
    operations: u64,
    batch: impl Fn(&P) + 'static,
) -> Implementation {
    Implementation::new(name, Batch::Total(operations), move |threads, batches| {
        let pool = P::start(threads);
        time_batches(batches, || batch(&pool))
    })
}

/// Waits (yielding) until `counter` reaches `target`.
fn wait_for(counter: &AtomicUsize, target: usize) {
    while counter.load(Ordering::Acquire) < target {
        std::thread::yield_now();
    }
}

/// One pool of `work_stealing_spawn_tiny_tasks`: a batch spawns `tasks`
/// detached tasks and ends when all have run.
fn tiny_spawns<P: TaskPool>(name: &str, tasks: usize) -> Implementation {
    with_pool(name, tasks as u64, move |pool: &P| {
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..tasks {
            let done = Arc::clone(&done);
            pool.spawn_task(move || {
                done.fetch_add(1, Ordering::Release);
            });
        }
        wait_for(&done, tasks);
    })
}

fn spawn_tiny_tasks(size: Size) -> Scenario {
    let tasks = size.pick(100_000, 1_000);
    Scenario {
        name: "work_stealing_spawn_tiny_tasks",
        implementations: vec![
            tiny_spawns::<WorkStealingPool>("cache_kit::WorkStealingPool", tasks),
            tiny_spawns::<rayon::ThreadPool>("rayon::ThreadPool::spawn", tasks),
            tiny_spawns::<Arc<MutexPool>>("Mutex<VecDeque> pool", tasks),
        ],
    }
}

/// The number of `join` calls in fib(n) with a join at every n ≥ 2.
fn joins_in_fib(n: u64) -> u64 {
    if n < 2 {
        0
    } else {
        1 + joins_in_fib(n - 1) + joins_in_fib(n - 2)
    }
}

/// fib(n), sequentially: what the joins must add up to.
fn fib(n: u64) -> u64 {
    (0..n).fold((0, 1), |(a, b), _| (b, a + b)).0
}

/// With the free `join`, as rayon's is written.
fn fib_ours(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = cache_kit::pool::join(|| fib_ours(n - 1), || fib_ours(n - 2));
    a + b
}

fn fib_ours_method(pool: &WorkStealingPool, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = pool.join(
        || fib_ours_method(pool, n - 1),
        || fib_ours_method(pool, n - 2),
    );
    a + b
}

fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

/// One pool of `work_stealing_join_fib`: each batch one fib(n) by
/// `fib_on(pool, n)`, its result checked.
fn join_fib<P: TaskPool>(name: &str, n: u64, fib_on: fn(&P, u64) -> u64) -> Implementation {
    with_pool(name, joins_in_fib(n), move |pool: &P| {
        assert_eq!(fib_on(pool, black_box(n)), fib(n), "a join lost a result");
    })
}

fn join_fib_scenario(size: Size) -> Scenario {
    let n = size.pick(25, 15);
    Scenario {
        name: "work_stealing_join_fib",
        implementations: vec![
            // Both from inside their pool (`install`), as rayon's must be:
            // a `join` called from outside ours runs its first half on the
            // calling thread, so every join down the left spine would
            // have been a scope from outside.
            join_fib::<WorkStealingPool>("cache_kit::pool::join", n, |pool, n| {
                pool.install(|| fib_ours(n))
            }),
            join_fib::<rayon::ThreadPool>("rayon::join", n, |pool, n| {
                pool.install(|| fib_rayon(n))
            }),
            // The method, with the pool passed down every call.
            join_fib::<WorkStealingPool>("cache_kit::WorkStealingPool::join", n, |pool, n| {
                pool.install(|| fib_ours_method(pool, n))
            }),
        ],
    }
}

/// Splits `width` one third / two thirds until single leaves.
fn split(width: usize) -> (usize, usize) {
    let small = (width / 3).max(1);
    (small, width - small)
}

/// A scope whose tasks spawn further tasks into it: ours and rayon's.
trait TaskScope<'s>: Sized {
    fn spawn_task(&self, task: impl FnOnce(&Self) + Send + 's);
}

impl<'s> TaskScope<'s> for cache_kit::Scope<'s> {
    fn spawn_task(&self, task: impl FnOnce(&Self) + Send + 's) {
        self.spawn(task);
    }
}

impl<'s> TaskScope<'s> for rayon::Scope<'s> {
    fn spawn_task(&self, task: impl FnOnce(&Self) + Send + 's) {
        self.spawn(task);
    }
}

/// Grows the tree below a node `width` leaves wide in scope `s`.
fn grow_in_scope<'s, S: TaskScope<'s>>(s: &S, width: usize, leaves: &'s AtomicUsize) {
    if width <= 1 {
        leaves.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let (small, large) = split(width);
    s.spawn_task(move |s| grow_in_scope(s, small, leaves));
    s.spawn_task(move |s| grow_in_scope(s, large, leaves));
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

/// One pool of `work_stealing_scope_unbalanced_tree`: each batch one tree
/// grown by `grow(pool, leaves)`, which returns the leaves it counted.
fn tree<P: TaskPool>(name: &str, leaves: usize, grow: fn(&P, usize) -> usize) -> Implementation {
    with_pool(name, tree_tasks(leaves), move |pool: &P| {
        assert_eq!(grow(pool, leaves), leaves, "the tree lost leaves");
    })
}

fn scope_unbalanced_tree(size: Size) -> Scenario {
    let leaves = size.pick(20_000, 1_000);
    Scenario {
        name: "work_stealing_scope_unbalanced_tree",
        implementations: vec![
            tree::<WorkStealingPool>("cache_kit::WorkStealingPool", leaves, |pool, width| {
                let leaves = AtomicUsize::new(0);
                pool.scope(|s| grow_in_scope(s, width, &leaves));
                leaves.into_inner()
            }),
            tree::<rayon::ThreadPool>("rayon::scope", leaves, |pool, width| {
                let leaves = AtomicUsize::new(0);
                pool.scope(|s| grow_in_scope(s, width, &leaves));
                leaves.into_inner()
            }),
            tree::<Arc<MutexPool>>("Mutex<VecDeque> pool", leaves, |pool, width| {
                let leaves = Arc::new(AtomicUsize::new(0));
                grow_mutex(pool, width, &leaves);
                wait_for(&leaves, width);
                // Every task holds a clone of the pool until it returns:
                // wait for the last, or it could drop the pool (and join
                // its own thread) after the run.
                while Arc::strong_count(pool) > 1 {
                    std::thread::yield_now();
                }
                leaves.load(Ordering::Acquire)
            }),
        ],
    }
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    vec![
        spawn_tiny_tasks(size),
        join_fib_scenario(size),
        scope_unbalanced_tree(size),
    ]
}
