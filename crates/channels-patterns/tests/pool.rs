//! WorkerPool: results tied to job ids, panics reported, every fault a typed
//! error, shutdown semantics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use channels_patterns::{JobId, PoolError, SubmitError, TrySubmitError, WorkerPool};

const JOBS: u64 = if cfg!(miri) { 20 } else { 2_000 };

#[test]
fn concurrent_results_carry_their_job_ids() {
    let (pool, results) = WorkerPool::new(3, |x: u64| x * 3).unwrap();
    let submitted: HashMap<JobId, u64> = (0..JOBS).map(|x| (pool.submit(x).unwrap(), x)).collect();
    pool.shutdown();
    let mut seen = 0;
    for (id, result) in &results {
        assert_eq!(result.unwrap(), submitted[&id] * 3, "result of {id}");
        seen += 1;
    }
    assert_eq!(seen, JOBS);
    let ids: Vec<u64> = {
        let mut ids: Vec<u64> = submitted.keys().map(|id| id.as_u64()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids, (0..JOBS).collect::<Vec<_>>(), "ids count up from 0");
}

#[test]
fn a_panicking_job_is_reported_and_its_worker_goes_on() {
    // One worker: if the panic killed it, no later job would run.
    let (pool, results) = WorkerPool::new(1, |x: u32| {
        assert!(!x.is_multiple_of(3), "multiple of three: {x}");
        x
    })
    .unwrap();
    let ids: Vec<JobId> = (0..9).map(|x| pool.submit(x).unwrap()).collect();
    pool.shutdown();
    let outcomes: HashMap<JobId, Result<u32, _>> = results.iter().collect();
    assert_eq!(outcomes.len(), 9);
    for (x, id) in ids.iter().enumerate() {
        match &outcomes[id] {
            Ok(value) => assert_eq!(*value as usize, x),
            Err(panicked) => {
                assert_eq!(x % 3, 0);
                assert_eq!(panicked.id(), *id);
                assert_eq!(panicked.message(), format!("multiple of three: {x}"));
            }
        }
    }
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.panicked), (9, 3));
}

/// A capture whose `Drop` panics, counting its drops.
struct PanicsWhenDropped(Arc<AtomicUsize>);

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a capture of the job function panicked in its Drop");
    }
}

#[test]
fn a_job_function_whose_drop_panics_is_reported_and_kills_no_worker() {
    let drops = Arc::new(AtomicUsize::new(0));
    let capture = PanicsWhenDropped(Arc::clone(&drops));
    let (pool, results) = WorkerPool::builder()
        .workers(2)
        .build(move |x: u32| {
            let _ = &capture;
            x
        })
        .unwrap();
    for x in 0..10 {
        pool.submit(x).unwrap();
    }
    assert!(!pool.stats().function_drop_panicked);
    pool.shutdown();
    // The results end after the function was dropped.
    assert_eq!(results.iter().count(), 10);
    let stats = pool.stats();
    assert_eq!(stats.completed, 10);
    assert!(stats.function_drop_panicked);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_detached_job_function_whose_drop_panics_is_reported_too() {
    let drops = Arc::new(AtomicUsize::new(0));
    let capture = PanicsWhenDropped(Arc::clone(&drops));
    let ran = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&ran);
    let executor = WorkerPool::builder()
        .workers(2)
        .build_detached(move |_: u32| {
            let _ = &capture;
            counted.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    for x in 0..10 {
        executor.execute(x).unwrap();
    }
    executor.shutdown();
    assert_eq!(ran.load(Ordering::SeqCst), 10);
    assert!(executor.stats().function_drop_panicked);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn submit_after_shutdown_gives_the_job_back() {
    let (pool, _results) = WorkerPool::new(2, |s: String| s.len()).unwrap();
    pool.shutdown();
    assert!(pool.is_shut_down());
    let error = pool.submit("late".to_owned()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the worker pool is shut down; the job was not run"
    );
    assert_eq!(error.into_job(), "late");
    assert!(
        matches!(pool.try_submit("later".to_owned()), Err(TrySubmitError::ShutDown(s)) if s == "later")
    );
    // A second shutdown is a no-op, and shutdown_now has nothing to return.
    pool.shutdown();
    assert!(pool.shutdown_now().is_empty());
}

#[test]
fn dropping_every_results_handle_refuses_new_jobs_and_counts_the_lost_results() {
    let (release, gate) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let (pool, results) = WorkerPool::new(1, move |x: u32| {
        gate.lock().unwrap().recv().unwrap();
        x
    })
    .unwrap();
    let copy = results.clone();
    pool.submit(1).unwrap();
    drop(results);
    // One handle is left: still accepted.
    pool.submit(2).unwrap();
    drop(copy);
    assert!(matches!(
        pool.submit(3),
        Err(SubmitError::ResultsDropped(3))
    ));
    assert!(matches!(
        pool.try_submit(4),
        Err(TrySubmitError::ResultsDropped(4))
    ));
    release.send(()).unwrap();
    release.send(()).unwrap();
    pool.shutdown();
    // Both accepted jobs ran; nobody could receive their results.
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.results_discarded), (2, 2));
    // Shut down too: that is what a submit hears (it said ResultsDropped).
    assert!(matches!(pool.submit(5), Err(SubmitError::ShutDown(5))));
    assert!(matches!(
        pool.try_submit(6),
        Err(TrySubmitError::ShutDown(6))
    ));
}

#[test]
fn shutdown_runs_every_accepted_job_before_joining() {
    let (pool, results) = WorkerPool::new(2, |ms: u64| {
        thread::sleep(Duration::from_millis(ms));
        ms
    })
    .unwrap();
    for _ in 0..10 {
        pool.submit(2).unwrap();
    }
    pool.shutdown();
    // Every result is there already: the workers are joined.
    assert_eq!(results.try_iter().count(), 10);
    assert!(results.recv().is_err(), "the results end after a shutdown");
}

#[test]
fn concurrent_shutdown_now_returns_exactly_the_jobs_not_started() {
    let (pool, results) = WorkerPool::new(2, |x: u64| {
        thread::sleep(Duration::from_micros(200));
        x
    })
    .unwrap();
    let jobs = JOBS.min(200);
    for x in 0..jobs {
        pool.submit(x).unwrap();
    }
    let returned = pool.shutdown_now();
    let mut seen: Vec<u64> = returned.iter().map(|(_, x)| *x).collect();
    seen.extend(results.iter().map(|(_, result)| result.unwrap()));
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..jobs).collect::<Vec<_>>(),
        "every job ran or came back, once"
    );
    for (id, x) in &returned {
        assert_eq!(id.as_u64(), *x, "a returned job keeps its id");
    }
}

#[test]
fn dropping_the_pool_with_jobs_queued_runs_them() {
    let (pool, results) = WorkerPool::new(1, |x: u32| {
        thread::sleep(Duration::from_millis(1));
        x
    })
    .unwrap();
    for x in 0..20 {
        pool.submit(x).unwrap();
    }
    drop(pool);
    let mut values: Vec<u32> = results.iter().map(|(_, r)| r.unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, (0..20).collect::<Vec<_>>());
}

#[test]
fn zero_workers_and_zero_capacity_are_errors() {
    let zero = WorkerPool::new(0, |x: u8| x).unwrap_err();
    assert!(matches!(zero, PoolError::InvalidSize(e) if e.argument() == "workers"));
    let no_room = WorkerPool::builder()
        .workers(1)
        .queue_capacity(0)
        .build(|x: u8| x)
        .unwrap_err();
    assert!(matches!(no_room, PoolError::InvalidSize(e) if e.argument() == "queue_capacity"));
    assert_eq!(
        no_room.to_string(),
        "cannot build a worker pool: `queue_capacity` must be at least 1, not 0"
    );
}

#[test]
fn a_bounded_queue_refuses_try_submit_when_full_and_blocks_submit_until_room() {
    let (release, gate) = mpsc::channel::<()>();
    let gate = Mutex::new(gate);
    let (pool, results) = WorkerPool::builder()
        .workers(1)
        .queue_capacity(2)
        .build(move |x: u32| {
            gate.lock().unwrap().recv().unwrap();
            x
        })
        .unwrap();
    pool.submit(0).unwrap();
    while pool.stats().queued != 0 {
        thread::yield_now(); // the worker took job 0 and waits on the gate
    }
    pool.submit(1).unwrap();
    pool.submit(2).unwrap();
    assert!(matches!(pool.try_submit(3), Err(TrySubmitError::Full(3))));
    thread::scope(|s| {
        // Blocks until the worker makes room.
        let blocked = s.spawn(|| pool.submit(4).unwrap());
        for _ in 0..4 {
            release.send(()).unwrap();
        }
        blocked.join().unwrap();
    });
    pool.shutdown();
    let mut values: Vec<u32> = results.iter().map(|(_, r)| r.unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, [0, 1, 2, 4]);
}

#[test]
fn shutdown_from_one_of_its_own_jobs_panics_in_that_job_instead_of_hanging() {
    type Pool = WorkerPool<u8, ()>;
    let me: Arc<OnceLock<Weak<Pool>>> = Arc::default();
    let (pool, results) = {
        let me = Arc::clone(&me);
        WorkerPool::new(1, move |_: u8| {
            if let Some(pool) = me.get().and_then(Weak::upgrade) {
                pool.shutdown();
            }
        })
        .unwrap()
    };
    let pool = Arc::new(pool);
    me.set(Arc::downgrade(&pool)).unwrap();
    pool.submit(0).unwrap();
    let (_, outcome) = results.recv().unwrap();
    let panicked = outcome.unwrap_err();
    assert!(
        panicked.message().contains("would wait for itself"),
        "{}",
        panicked.message()
    );
    // The worker survived: the pool still runs jobs.
    pool.submit(1).unwrap();
    assert!(results.recv().unwrap().1.is_err());
    drop(pool);
}

#[test]
fn concurrent_submitters_and_a_shutdown_lose_nothing() {
    let (pool, results) = WorkerPool::new(2, |x: u64| x).unwrap();
    let per_thread = JOBS / 4;
    let accepted: Vec<u64> = thread::scope(|s| {
        let submitters: Vec<_> = (0..3)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    (0..per_thread)
                        .map(|i| t * per_thread + i)
                        .filter(|x| pool.submit(*x).is_ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        thread::yield_now();
        pool.shutdown();
        submitters
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut ran: Vec<u64> = results.iter().map(|(_, r)| r.unwrap()).collect();
    ran.sort_unstable();
    let mut accepted = accepted;
    accepted.sort_unstable();
    assert_eq!(ran, accepted, "exactly the accepted jobs ran, once each");
}

#[test]
fn workers_are_named_after_the_builder_prefix() {
    let (pool, results) = WorkerPool::builder()
        .workers(2)
        .thread_name("crunch")
        .build(|_: ()| thread::current().name().map(str::to_owned))
        .unwrap();
    pool.submit(()).unwrap();
    let name = results.recv().unwrap().1.unwrap().unwrap();
    assert!(name.starts_with("crunch-"), "{name}");
    assert_eq!(pool.workers(), 2);
    assert!(format!("{pool:?}").starts_with("WorkerPool"));
}

/// Collects every result until the channel ends, or panics if it has not
/// ended after `HANG`: a hang fails the test instead of the whole suite.
fn all_results_or_hang<R>(results: &channels_patterns::Results<R>) -> usize {
    const HANG: Duration = Duration::from_secs(20);
    let mut received = 0;
    loop {
        match results.recv_timeout(HANG) {
            Ok(_) => received += 1,
            Err(channels_patterns::RecvTimeoutError::Disconnected) => return received,
            Err(channels_patterns::RecvTimeoutError::Timeout) => {
                panic!("the results never ended: the pool's workers hang")
            }
        }
    }
}

#[test]
fn a_pool_dropped_by_its_own_job_with_a_full_bounded_queue_still_runs_the_accepted_jobs() {
    // Job 0 holds the last `Arc` of the pool while job 1 fills the queue:
    // the `Drop` then runs on the only worker, which must not wait for
    // room in a queue only it could empty.
    type Pool = WorkerPool<u32, u32>;
    let last_arc: Arc<Mutex<Option<Arc<Pool>>>> = Arc::default();
    let (go, wait) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let slot = Arc::clone(&last_arc);
    let (pool, results) = WorkerPool::builder()
        .workers(1)
        .queue_capacity(1)
        .build(move |job: u32| {
            if job == 0 {
                wait.lock().unwrap().recv().unwrap();
                drop(slot.lock().unwrap().take());
            }
            job
        })
        .unwrap();
    let pool = Arc::new(pool);
    *last_arc.lock().unwrap() = Some(Arc::clone(&pool));
    pool.submit(0).unwrap();
    while pool.stats().queued != 0 {
        thread::yield_now(); // job 0 started
    }
    pool.submit(1).unwrap(); // the queue is full
    drop(pool);
    go.send(()).unwrap();
    assert_eq!(all_results_or_hang(&results), 2);
}

/// A pool of one worker, with a queue of `capacity` (unbounded if
/// `None`), whose jobs return themselves, job 0 only once `go` says so;
/// job 0 is submitted and has started. Returns its id too.
fn pool_holding_job_0(
    capacity: Option<usize>,
) -> (
    WorkerPool<u32, u32>,
    channels_patterns::Results<u32>,
    mpsc::Sender<()>,
    JobId,
) {
    let (go, wait) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let builder = WorkerPool::builder().workers(1);
    let builder = match capacity {
        Some(capacity) => builder.queue_capacity(capacity),
        None => builder,
    };
    let (pool, results) = builder
        .build(move |job: u32| {
            if job == 0 {
                wait.lock().unwrap().recv().unwrap();
            }
            job
        })
        .unwrap();
    let first = pool.submit(0).unwrap();
    while pool.stats().queued != 0 {
        thread::yield_now(); // job 0 started
    }
    (pool, results, go, first)
}

#[test]
fn queued_counts_only_jobs_while_a_shutdown_waits() {
    let (pool, results, go, _) = pool_holding_job_0(None);
    pool.submit(1).unwrap();
    pool.submit(2).unwrap();
    thread::scope(|s| {
        s.spawn(|| pool.shutdown());
        while !pool.is_shut_down() {
            thread::yield_now();
        }
        // Give the shutdown time to queue its stop marker behind the jobs.
        thread::sleep(Duration::from_millis(50));
        let queued = pool.stats().queued;
        go.send(()).unwrap();
        assert_eq!(queued, 2, "two jobs wait; a stop marker is not a job");
    });
    assert_eq!(pool.stats().queued, 0);
    assert_eq!(results.iter().count(), 3);
}

#[test]
fn results_left_unreceived_when_the_last_handle_drops_are_counted_as_discarded() {
    let (pool, results) = WorkerPool::new(2, |x: u64| x).unwrap();
    for x in 0..10 {
        pool.submit(x).unwrap();
    }
    while pool.stats().completed != 10 {
        thread::yield_now();
    }
    // Three delivered, seven still in the channel when the handles go.
    let extra = results.clone();
    for _ in 0..3 {
        let _ = extra.recv().unwrap();
    }
    drop(results);
    drop(extra);
    pool.shutdown();
    let stats = pool.stats();
    assert_eq!(stats.completed, 10);
    assert_eq!(
        stats.results_discarded, 7,
        "every result delivered or counted"
    );
}

/// A panic payload whose own `Drop` panics.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the payload's drop panics too");
    }
}

/// A result whose `Drop` panics with a `Grenade`.
struct Volatile;

impl Drop for Volatile {
    fn drop(&mut self) {
        std::panic::panic_any(Grenade);
    }
}

#[test]
fn an_undelivered_result_whose_drop_panics_twice_kills_no_worker() {
    let (go, wait) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let (pool, results) = WorkerPool::new(1, move |_: u8| {
        wait.lock().unwrap().recv().unwrap();
        Volatile
    })
    .unwrap();
    pool.submit(1).unwrap();
    pool.submit(2).unwrap();
    // Each result's send fails on the worker, which then drops it: its
    // Drop panics, and so does that panic's payload. A worker killed by
    // the first would never run the second job.
    drop(results);
    go.send(()).unwrap();
    go.send(()).unwrap();
    pool.shutdown();
    let stats = pool.stats();
    assert_eq!((stats.completed, stats.results_discarded), (2, 2));
}

/// The texts of `error` and of each `source` below it, outermost first.
fn error_chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut texts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    texts
}

/// A printer that walks `source` (anyhow's `{:#}`, `error: cause`) shows
/// each cause's text once: no error's text holds a cause's below it.
#[test]
fn a_pool_error_chain_shows_each_cause_once() {
    let errors = [
        WorkerPool::new(0, |x: u8| x).unwrap_err(),
        WorkerPool::builder()
            .workers(1)
            .queue_capacity(0)
            .build(|x: u8| x)
            .unwrap_err(),
        WorkerPool::builder()
            .thread_name("nul\0")
            .build(|x: u8| x)
            .unwrap_err(),
        PoolError::Spawn(std::io::Error::other("no threads left")),
    ];
    for error in &errors {
        let texts = error_chain(error);
        for (i, outer) in texts.iter().enumerate() {
            for inner in &texts[i + 1..] {
                assert!(
                    !outer.contains(inner.as_str()),
                    "{error:?}: {outer:?} repeats its cause {inner:?}"
                );
            }
        }
        // The cause is shown once, not dropped.
        let printed = texts.join(": ");
        let cause = match error {
            PoolError::InvalidSize(cause) => cause.to_string(),
            PoolError::Spawn(cause) => cause.to_string(),
            _ => String::new(),
        };
        assert!(printed.contains(&cause), "{printed:?} lacks {cause:?}");
    }
}

/// Counts its drops; the one numbered 0 panics in its `Drop`.
struct CountedResult(u32, Arc<AtomicUsize>);

impl Drop for CountedResult {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
        assert!(self.0 != 0, "result 0's drop panics");
    }
}

/// The results still in the channel when the last handle goes are each
/// dropped once, even when one's `Drop` panics (the channel's teardown
/// stopped at that panic and leaked the rest), and no panic reaches the
/// thread dropping the handle.
#[test]
fn results_left_in_the_channel_are_all_dropped_even_if_one_drop_panics() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&dropped);
    let (pool, results) =
        WorkerPool::new(1, move |x: u32| CountedResult(x, Arc::clone(&counter))).unwrap();
    for x in 0..10 {
        pool.submit(x).unwrap();
    }
    pool.shutdown();
    drop(results);
    assert_eq!(pool.stats().results_discarded, 10);
    assert_eq!(dropped.load(Ordering::Relaxed), 10);
}

/// One worker busy, one job queued on a full queue of 1, and a third
/// submitter blocked for room: `shutdown_now` hands back both jobs not
/// started. (It used to wait for the blocked submitter first, so the worker
/// made the room by starting the queued job, and that job ran.)
#[test]
fn shutdown_now_gives_back_a_queued_job_even_with_a_submitter_blocked_for_room() {
    let (pool, results, go, first) = pool_holding_job_0(Some(1));
    let queued = pool.submit(1).unwrap();
    let submitted = AtomicBool::new(false);
    let back = thread::scope(|s| {
        let blocked = s.spawn(|| {
            let id = pool.submit(2).ok();
            submitted.store(true, Ordering::SeqCst);
            id
        });
        // Give the third submission time to block on the full queue.
        thread::sleep(Duration::from_millis(50));
        let releaser = s.spawn(|| {
            // Job 0 is released (so that `shutdown_now` can join its worker)
            // only once the shutdown has taken every queued job: the
            // blocked submission has finished (its job queued, or refused)
            // and the queue is empty. Released on a timer instead, under
            // miri's slow clock the worker started job 1 first.
            while !(submitted.load(Ordering::SeqCst) && pool.stats().queued == 0) {
                thread::yield_now();
            }
            go.send(()).unwrap();
        });
        let back = pool.shutdown_now();
        releaser.join().unwrap();
        // Refused only if its thread came in after the shutdown began
        // (not within 50 ms): then only the queued job comes back.
        let blocked = blocked.join().unwrap();
        let expected: Vec<JobId> = [Some(queued), blocked].into_iter().flatten().collect();
        assert_eq!(back.iter().map(|(id, _)| *id).collect::<Vec<_>>(), expected);
        back
    });
    assert_eq!(back[0].1, 1);
    let ran: Vec<JobId> = results.iter().map(|(id, _)| id).collect();
    assert_eq!(ran, [first], "only the job already running ran");
}

/// `Debug` shows the same `queued` as `stats()`: jobs, not a shutdown's
/// stop markers.
#[test]
fn debug_counts_queued_jobs_not_stop_markers() {
    let (pool, _results, go, _) = pool_holding_job_0(None);
    thread::scope(|s| {
        s.spawn(|| pool.shutdown());
        while !pool.is_shut_down() {
            thread::yield_now();
        }
        // Give the shutdown time to queue its stop marker.
        thread::sleep(Duration::from_millis(50));
        let debug = format!("{pool:?}");
        go.send(()).unwrap();
        assert!(debug.contains("queued: 0"), "{debug}");
    });
}

#[test]
fn a_stats_snapshot_never_shows_more_panicked_jobs_than_completed_ones() {
    let jobs = if cfg!(miri) { 50 } else { 50_000 };
    // `resume_unwind`: a panic without the panic hook, quick and quiet.
    let (pool, results) = WorkerPool::new(2, |_: u32| -> u32 {
        std::panic::resume_unwind(Box::new("failed"))
    })
    .unwrap();
    let pool = Arc::new(pool);
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (pool, done) = (Arc::clone(&pool), Arc::clone(&done));
        thread::spawn(move || {
            let mut snapshots = 0_u64;
            while !done.load(Ordering::Relaxed) || snapshots == 0 {
                let stats = pool.stats();
                assert!(stats.panicked <= stats.completed, "{stats:?}");
                snapshots += 1;
            }
        })
    };
    for job in 0..jobs {
        pool.submit(job).unwrap();
    }
    pool.shutdown();
    done.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    let stats = pool.stats();
    assert_eq!(
        (stats.completed, stats.panicked),
        (u64::from(jobs), u64::from(jobs))
    );
    assert_eq!(
        results
            .iter()
            .filter(|(_, outcome)| outcome.is_err())
            .count(),
        jobs as usize
    );
}

#[test]
fn a_shutdown_never_shows_its_stop_markers_as_queued_jobs() {
    // A pool given no job, shut down while another thread takes snapshots:
    // its workers take their stop markers meanwhile. Before, up to 10 jobs
    // showed as queued in a few of 300 rounds (the markers' count was read
    // after the queue, and markers taken in between left the queue's
    // length ahead of it).
    let rounds = if cfg!(miri) { 2 } else { 300 };
    for round in 0..rounds {
        let (pool, _results) = WorkerPool::new(8, |x: u32| x).unwrap();
        let stop = AtomicBool::new(false);
        let most_queued = AtomicUsize::new(0);
        thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    most_queued.fetch_max(pool.stats().queued, Ordering::SeqCst);
                }
            });
            pool.shutdown();
            stop.store(true, Ordering::SeqCst);
        });
        assert_eq!(
            most_queued.into_inner(),
            0,
            "round {round}: jobs queued in a pool given none"
        );
    }
}

/// What the batch tests' jobs do: wait for a gate, say it started and
/// wait for a signal (and say whether it came), send a signal, or nothing.
enum Step {
    Gate(mpsc::Receiver<()>),
    WaitFor(mpsc::Sender<()>, mpsc::Receiver<()>),
    Signal(mpsc::Sender<()>),
    Nothing,
}

fn run_step(step: Step) -> bool {
    match step {
        Step::Gate(gate) => gate.recv().is_ok(),
        // Long enough never to expire on a loaded machine; a pool that
        // strands the signal makes the test fail here instead of hanging.
        Step::WaitFor(started, signal) => {
            started.send(()).unwrap();
            signal.recv_timeout(Duration::from_secs(20)).is_ok()
        }
        Step::Signal(signal) => signal.send(()).is_ok(),
        Step::Nothing => true,
    }
}

/// Waits until `queued` jobs are queued (failing after 20 s).
fn wait_until_queued(pool: &WorkerPool<Step, bool>, queued: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while pool.stats().queued != queued {
        assert!(
            std::time::Instant::now() < deadline,
            "queued stayed {} (expected {queued})",
            pool.stats().queued
        );
        thread::yield_now();
    }
}

#[test]
fn a_job_queued_behind_a_waiting_job_in_one_workers_batch_is_run_by_the_other_worker() {
    // A worker takes jobs in batches: the job that waits and the one it
    // waits for can land in one worker's deque. The other worker, once
    // idle, must take the second from there, or the first waits forever.
    let (pool, results) = WorkerPool::new(2, run_step).unwrap();
    let (open_1, gate_1) = mpsc::channel();
    let (open_2, gate_2) = mpsc::channel();
    pool.submit(Step::Gate(gate_1)).unwrap();
    pool.submit(Step::Gate(gate_2)).unwrap();
    wait_until_queued(&pool, 0);
    let (signal, wait) = mpsc::channel();
    let (started, has_started) = mpsc::channel();
    let waiting = pool.submit(Step::WaitFor(started, wait)).unwrap();
    pool.submit(Step::Signal(signal)).unwrap();
    for _ in 0..6 {
        pool.submit(Step::Nothing).unwrap();
    }
    // One worker takes a batch (the waiting job, the signal and more) and
    // waits in the first; then the other runs what is left, and steals.
    open_1.send(()).unwrap();
    has_started.recv().unwrap();
    open_2.send(()).unwrap();
    pool.shutdown();
    let outcomes: HashMap<JobId, bool> = results.iter().map(|(id, r)| (id, r.unwrap())).collect();
    assert_eq!(outcomes.len(), 10);
    assert!(
        outcomes[&waiting],
        "the signal the job waited for never ran"
    );
}

#[test]
fn queued_counts_and_shutdown_now_gives_back_the_jobs_in_a_workers_deque() {
    let (pool, results) = WorkerPool::new(1, run_step).unwrap();
    let pool = Arc::new(pool);
    let (open_1, gate_1) = mpsc::channel();
    let (open_2, gate_2) = mpsc::channel();
    pool.submit(Step::Gate(gate_1)).unwrap();
    wait_until_queued(&pool, 0);
    let blocking = pool.submit(Step::Gate(gate_2)).unwrap();
    let behind: Vec<JobId> = (0..9)
        .map(|_| pool.submit(Step::Nothing).unwrap())
        .collect();
    // The worker takes a batch (the blocking job and some behind it into
    // its deque), starts the blocking job and waits there.
    open_1.send(()).unwrap();
    // The jobs in the worker's deque count as queued too.
    wait_until_queued(&pool, 9);
    let shutting = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || pool.shutdown_now())
    };
    // Taken back while the worker still waits in the blocking job.
    while !pool.is_shut_down() {
        thread::yield_now();
    }
    wait_until_queued(&pool, 0);
    open_2.send(()).unwrap();
    let given_back: Vec<JobId> = shutting
        .join()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        given_back, behind,
        "every job not started, in submission order"
    );
    let ran: Vec<JobId> = results.iter().map(|(id, _)| id).collect();
    assert_eq!(ran.len(), 2);
    assert_eq!(ran[1], blocking);
}
