//! Executor: the fire-and-forget pool. Every accepted job runs exactly once,
//! `wait_idle` returns only after they all ran, panics are counted, and
//! shutdown or drop runs what was accepted.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use channels_patterns::{Executor, WorkerPool};

const JOBS: usize = if cfg!(miri) { 40 } else { 4_000 };
const THREADS: usize = 4;

fn counters(n: usize) -> Arc<Vec<AtomicU32>> {
    Arc::new((0..n).map(|_| AtomicU32::new(0)).collect())
}

#[test]
fn concurrent_executes_from_several_threads_run_each_job_exactly_once() {
    let runs = counters(JOBS);
    let seen = Arc::clone(&runs);
    let pool = WorkerPool::builder()
        .workers(3)
        .build_detached(move |i: usize| {
            seen[i].fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let pool = &pool;
            s.spawn(move || {
                for i in (t..JOBS).step_by(THREADS) {
                    pool.execute(i).unwrap();
                }
            });
        }
    });
    pool.wait_idle();
    assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
    let stats = pool.stats();
    assert_eq!(
        (stats.completed, stats.panicked, stats.queued),
        (JOBS as u64, 0, 0)
    );
    assert_eq!(stats.results_discarded, 0);
}

#[test]
fn concurrent_executes_through_a_bounded_queue_run_each_job_exactly_once() {
    // Capacity 2: the submitting threads block on a full queue.
    let runs = counters(JOBS);
    let seen = Arc::clone(&runs);
    let pool = WorkerPool::builder()
        .workers(2)
        .queue_capacity(2)
        .build_detached(move |i: usize| {
            seen[i].fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    thread::scope(|s| {
        for t in 0..THREADS {
            let pool = &pool;
            s.spawn(move || {
                for i in (t..JOBS).step_by(THREADS) {
                    pool.execute(i).unwrap();
                }
            });
        }
    });
    pool.wait_idle();
    assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
}

#[test]
fn wait_idle_returns_only_after_every_accepted_job_ran() {
    let pool = WorkerPool::executor(2).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let rounds = if cfg!(miri) { 2 } else { 20 };
    let per_round = if cfg!(miri) { 5 } else { 50 };
    for round in 1..=rounds {
        for i in 0..per_round {
            let done = Arc::clone(&done);
            pool.execute(Box::new(move || {
                if i % 7 == 0 {
                    thread::sleep(Duration::from_micros(200));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }))
            .unwrap();
        }
        pool.wait_idle();
        assert_eq!(done.load(Ordering::Relaxed), round * per_round);
    }
}

#[test]
fn wait_idle_on_an_idle_or_shut_down_executor_returns_at_once() {
    let pool = WorkerPool::executor(1).unwrap();
    pool.wait_idle();
    assert!(pool.wait_idle_timeout(Duration::ZERO));
    pool.shutdown();
    pool.wait_idle();
    assert!(pool.wait_idle_timeout(Duration::MAX));
}

#[test]
fn wait_idle_timeout_gives_up_on_a_held_job_and_accepts_any_duration() {
    let pool = WorkerPool::executor(1).unwrap();
    let (release, gate) = mpsc::channel::<()>();
    pool.execute(Box::new(move || gate.recv().unwrap()))
        .unwrap();
    assert!(!pool.wait_idle_timeout(Duration::ZERO));
    assert!(!pool.wait_idle_timeout(Duration::from_millis(5)));
    release.send(()).unwrap();
    assert!(pool.wait_idle_timeout(Duration::MAX));
    assert!(pool.wait_idle_timeout(Duration::new(u64::MAX, 999_999_999)));
}

#[test]
fn wait_idle_wakes_when_the_last_job_finishes_on_another_thread() {
    // The waiter parks; a job released later must wake it.
    let pool = Arc::new(WorkerPool::executor(2).unwrap());
    let (release, gate) = mpsc::channel::<()>();
    let ran = Arc::new(AtomicUsize::new(0));
    {
        let ran = Arc::clone(&ran);
        pool.execute(Box::new(move || {
            gate.recv().unwrap();
            ran.fetch_add(1, Ordering::Relaxed);
        }))
        .unwrap();
    }
    let waiter = {
        let pool = Arc::clone(&pool);
        let ran = Arc::clone(&ran);
        thread::spawn(move || {
            pool.wait_idle();
            ran.load(Ordering::Relaxed)
        })
    };
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    release.send(()).unwrap();
    assert_eq!(waiter.join().unwrap(), 1);
}

#[test]
fn panicking_jobs_are_counted_and_their_worker_goes_on() {
    // One worker: if a panic killed it, later jobs would never run and
    // wait_idle would hang.
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&ran);
    let pool = WorkerPool::builder()
        .workers(1)
        .build_detached(move |x: u32| {
            assert!(x % 3 != 0, "multiple of three: {x}");
            seen.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    for x in 0..30 {
        pool.execute(x).unwrap();
    }
    pool.wait_idle();
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.panicked), (30, 10));
    assert_eq!(ran.load(Ordering::Relaxed), 20);
}

#[test]
fn a_task_whose_captures_panic_on_drop_is_counted_and_the_worker_survives() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("bomb dropped");
        }
    }
    let pool = WorkerPool::executor(1).unwrap();
    let bomb = Bomb;
    pool.execute(Box::new(move || {
        let _bomb = &bomb;
    }))
    .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&ran);
    pool.execute(Box::new(move || {
        seen.fetch_add(1, Ordering::Relaxed);
    }))
    .unwrap();
    pool.wait_idle();
    assert_eq!(ran.load(Ordering::Relaxed), 1);
    assert_eq!(pool.stats().panicked, 1);
}

#[test]
fn execute_after_shutdown_gives_the_job_back() {
    let pool = WorkerPool::builder()
        .workers(1)
        .build_detached(|s: String| drop(s))
        .unwrap();
    pool.shutdown();
    assert!(pool.is_shut_down());
    let refused = pool.execute("kept".to_owned()).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the executor is shut down; the job was not run"
    );
    assert_eq!(refused.into_job(), "kept");
}

#[test]
fn shutdown_and_drop_run_every_accepted_job() {
    for drop_it in [false, true] {
        let ran = Arc::new(AtomicUsize::new(0));
        let pool = WorkerPool::executor(1).unwrap();
        let jobs = if cfg!(miri) { 5 } else { 100 };
        for _ in 0..jobs {
            let ran = Arc::clone(&ran);
            pool.execute(Box::new(move || {
                thread::yield_now();
                ran.fetch_add(1, Ordering::Relaxed);
            }))
            .unwrap();
        }
        if drop_it {
            drop(pool);
        } else {
            pool.shutdown();
            assert_eq!(pool.stats().completed, jobs as u64);
        }
        assert_eq!(ran.load(Ordering::Relaxed), jobs, "drop: {drop_it}");
    }
}

#[test]
fn shutdown_now_gives_back_the_jobs_not_started_and_wait_idle_still_returns() {
    let (release, gate) = mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(gate);
    let ran = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let ran_here = std::sync::Arc::clone(&ran);
    let pool = WorkerPool::builder()
        .workers(1)
        .build_detached(move |x: u32| {
            if x == 0 {
                gate.lock().unwrap().recv().unwrap();
            }
            ran_here.lock().unwrap().push(x);
        })
        .unwrap();
    for x in 0..5 {
        pool.execute(x).unwrap();
    }
    // The worker holds job 0 until released.
    while pool.stats().queued != 4 {
        thread::yield_now();
    }
    let stopper = thread::scope(|s| {
        let stopper = s.spawn(|| pool.shutdown_now());
        release.send(()).unwrap();
        stopper.join().unwrap()
    });
    // The release may reach job 0 before the shutdown takes the queue:
    // the worker then runs some of the others meanwhile, racing the
    // shutdown for each. Every job either ran or came back, once.
    let mut ran = ran.lock().unwrap().clone();
    assert_eq!(ran.first(), Some(&0));
    assert_eq!(pool.stats().completed, ran.len() as u64);
    ran.extend(&stopper);
    ran.sort_unstable();
    assert_eq!(ran, (0..5).collect::<Vec<_>>());
    assert!(
        pool.wait_idle_timeout(Duration::MAX),
        "given-back jobs are not pending"
    );
}

#[test]
fn the_last_handle_dropped_by_its_own_job_runs_the_rest_and_does_not_hang() {
    // The executor's last Arc is released inside one of its jobs.
    let slot: Arc<OnceLock<Weak<Executor>>> = Arc::new(OnceLock::new());
    let pool = Arc::new(WorkerPool::executor(1).unwrap());
    slot.set(Arc::downgrade(&pool)).unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let (held_tx, held_rx) = mpsc::channel::<()>();
    {
        let slot = Arc::clone(&slot);
        pool.execute(Box::new(move || {
            let held = slot.get().and_then(Weak::upgrade);
            held_tx.send(()).unwrap();
            gate.recv().unwrap();
            drop(held); // the last Arc: the pool drops on its own worker
        }))
        .unwrap();
    }
    pool.execute(Box::new(move || done_tx.send(()).unwrap()))
        .unwrap();
    held_rx.recv().unwrap(); // the job holds an Arc before ours goes
    drop(pool);
    release.send(()).unwrap();
    done_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the job accepted before the drop ran");
}

#[test]
fn wait_idle_from_its_own_job_panics_instead_of_hanging() {
    let slot: Arc<OnceLock<Weak<Executor>>> = Arc::new(OnceLock::new());
    let pool = Arc::new(WorkerPool::executor(1).unwrap());
    slot.set(Arc::downgrade(&pool)).unwrap();
    let job_slot = Arc::clone(&slot);
    pool.execute(Box::new(move || {
        if let Some(pool) = job_slot.get().and_then(Weak::upgrade) {
            pool.wait_idle();
        }
    }))
    .unwrap();
    pool.wait_idle();
    assert_eq!(pool.stats().panicked, 1);
}

#[test]
fn executor_is_debug() {
    let pool = WorkerPool::executor(2).unwrap();
    let shown = format!("{pool:?}");
    assert!(
        shown.starts_with("Executor { workers: 2, shut_down: false"),
        "{shown}"
    );
}
