//! `broadcast`: one call on every worker, results in index order, from
//! outside, inside a task, inside `install` and nested; panics re-raised
//! after every call finished with the pool still working; racing
//! broadcasts each run exactly once per worker; refused after shutdown.
//! Hang detectors only, with generous timeouts; no timing is asserted.
#![cfg(feature = "pool")]

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use cache_kit::{pool, BroadcastContext, WorkStealingPool};

mod support;
use support::{finishes, panic_text};

#[test]
fn every_worker_runs_exactly_once_with_distinct_indices_and_results_in_order() {
    finishes(
        "every worker runs exactly once with distinct indices and results in order",
        || {
            let pool = WorkStealingPool::builder(4)
                .thread_name("bc")
                .build()
                .unwrap();
            let calls = AtomicUsize::new(0);
            let seen = pool.broadcast(|ctx| {
                calls.fetch_add(1, Ordering::Relaxed);
                assert_eq!(ctx.num_threads(), 4);
                assert_eq!(pool::current_thread_index(), Some(ctx.index()));
                let name = thread::current().name().map(str::to_owned);
                (ctx.index(), thread::current().id(), name)
            });
            assert_eq!(calls.load(Ordering::Relaxed), 4);
            assert_eq!(seen.len(), 4);
            let threads: HashSet<_> = seen.iter().map(|(_, id, _)| *id).collect();
            assert_eq!(threads.len(), 4, "four distinct threads");
            for (position, (index, _, name)) in seen.iter().enumerate() {
                assert_eq!(*index, position, "results in index order");
                assert_eq!(name.as_deref(), Some(format!("bc-{position}").as_str()));
            }
            assert!(!threads.contains(&thread::current().id()));
        },
    );
}

#[test]
fn the_context_has_debug_and_accessors() {
    let pool = WorkStealingPool::new(2).unwrap();
    let contexts: Vec<BroadcastContext> = pool.broadcast(|ctx| ctx);
    assert_eq!(contexts[1].index(), 1);
    assert_eq!(contexts[1].num_threads(), 2);
    assert_eq!(
        format!("{:?}", contexts[0]),
        "BroadcastContext { index: 0, num_threads: 2 }"
    );
}

#[test]
fn a_one_thread_pool_broadcasts_to_its_one_worker() {
    finishes("a one thread pool broadcasts to its one worker", || {
        let pool = WorkStealingPool::new(1).unwrap();
        assert_eq!(
            pool.broadcast(|ctx| (ctx.index(), ctx.num_threads())),
            [(0, 1)]
        );
        // From its only worker: it runs its own share while it waits.
        let inside = pool.install(|| pool.broadcast(|ctx| ctx.index() + 10));
        assert_eq!(inside, [10]);
        let nested = pool.install(|| pool::broadcast(|_| pool::broadcast(|ctx| ctx.index())));
        assert_eq!(nested, [vec![0]]);
    });
}

#[test]
fn broadcast_from_inside_install_and_from_a_task() {
    finishes("broadcast from inside install and from a task", || {
        let pool = Arc::new(WorkStealingPool::new(3).unwrap());
        let from_install = pool.install(|| pool::broadcast(|ctx| ctx.index()));
        assert_eq!(from_install, [0, 1, 2]);
        let from_method = pool.install(|| pool.broadcast(|ctx| ctx.index() * 2));
        assert_eq!(from_method, [0, 2, 4]);

        // From a detached task, and from every worker at once (each one
        // waits for the others' shares while they wait for its).
        let (sender, receiver) = mpsc::channel();
        {
            let pool2 = Arc::clone(&pool);
            pool.spawn(move || {
                sender
                    .send(pool2.broadcast(|ctx| ctx.num_threads()))
                    .unwrap();
            })
            .unwrap();
        }
        assert_eq!(receiver.recv().unwrap(), [3, 3, 3]);
        let all = pool.broadcast(|outer| {
            let inner = pool::broadcast(|ctx| ctx.index());
            (outer.index(), inner)
        });
        for (index, (outer, inner)) in all.into_iter().enumerate() {
            assert_eq!(outer, index);
            assert_eq!(inner, [0, 1, 2]);
        }
        // From inside a join and a scope task.
        let (a, b) = pool.install(|| {
            pool::join(
                || pool::broadcast(|ctx| ctx.index()).len(),
                || pool::broadcast(|ctx| ctx.index()).len(),
            )
        });
        assert_eq!((a, b), (3, 3));
        pool.scope(|s| {
            // A scope's tasks run on the pool's workers.
            s.spawn(|_| assert_eq!(pool::broadcast(|ctx| ctx.index()), [0, 1, 2]));
        });
    });
}

#[test]
fn broadcast_of_another_pool_from_a_worker_serves_its_own_pool_meanwhile() {
    finishes(
        "broadcast of another pool from a worker serves its own pool meanwhile",
        || {
            let a = WorkStealingPool::new(1).unwrap();
            let b = WorkStealingPool::new(1).unwrap();
            // A's only worker waits on B, whose call needs A.
            let result = a.install(|| b.broadcast(|_| a.join(|| 1, || 2)));
            assert_eq!(result, [(1, 2)]);
        },
    );
}

#[test]
fn a_panicking_call_is_reraised_after_the_others_finished_and_the_pool_still_works() {
    finishes(
        "a panicking call is reraised after the others finished and the pool still works",
        || {
            let pool = WorkStealingPool::new(3).unwrap();
            let finished = AtomicUsize::new(0);
            let caught = catch_unwind(AssertUnwindSafe(|| {
                pool.broadcast(|ctx| {
                    if ctx.index() == 1 {
                        panic!("call 1 failed");
                    }
                    // The others take a while: the panic must wait for them.
                    thread::sleep(Duration::from_millis(20));
                    finished.fetch_add(1, Ordering::SeqCst);
                })
            }));
            let payload = caught.unwrap_err();
            assert_eq!(panic_text(&*payload), "call 1 failed");
            assert_eq!(finished.load(Ordering::SeqCst), 2);
            // No worker died: every one answers again.
            assert_eq!(pool.broadcast(|ctx| ctx.index()), [0, 1, 2]);
            assert_eq!(pool.stats().panicked, 0, "not a detached task's panic");
            // Inside the pool too.
            let inside = pool.install(|| {
                catch_unwind(AssertUnwindSafe(|| {
                    pool::broadcast(|ctx| assert_ne!(ctx.index(), 0, "worker 0"))
                }))
                .is_err()
            });
            assert!(inside);
            assert_eq!(pool.broadcast(|ctx| ctx.index()), [0, 1, 2]);
        },
    );
}

#[test]
fn racing_broadcasts_from_outside_threads_each_run_once_per_worker() {
    finishes(
        "racing broadcasts from outside threads each run once per worker",
        || {
            let threads = 3;
            let callers = 4;
            let rounds = if cfg!(miri) { 3 } else { 200 };
            let pool = Arc::new(WorkStealingPool::new(threads).unwrap());
            // runs[caller][round][worker]
            let runs: Arc<Vec<Vec<Vec<AtomicUsize>>>> = Arc::new(
                (0..callers)
                    .map(|_| {
                        (0..rounds)
                            .map(|_| (0..threads).map(|_| AtomicUsize::new(0)).collect())
                            .collect()
                    })
                    .collect(),
            );
            let handles: Vec<_> = (0..callers)
                .map(|caller| {
                    let (pool, runs) = (Arc::clone(&pool), Arc::clone(&runs));
                    thread::spawn(move || {
                        for round in 0..rounds {
                            let got = pool.broadcast(|ctx| {
                                runs[caller][round][ctx.index()].fetch_add(1, Ordering::Relaxed);
                                ctx.index()
                            });
                            assert_eq!(got, (0..threads).collect::<Vec<_>>());
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            for per_caller in runs.iter() {
                for per_round in per_caller {
                    for count in per_round {
                        assert_eq!(count.load(Ordering::Relaxed), 1);
                    }
                }
            }
        },
    );
}

#[test]
fn broadcast_waits_for_a_busy_worker_and_runs_beside_detached_tasks() {
    finishes(
        "broadcast waits for a busy worker and runs beside detached tasks",
        || {
            let pool = WorkStealingPool::new(2).unwrap();
            let done = Arc::new(AtomicUsize::new(0));
            for _ in 0..100 {
                let done = Arc::clone(&done);
                pool.spawn(move || {
                    done.fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
            }
            let order = Mutex::new(Vec::new());
            pool.broadcast(|ctx| order.lock().unwrap().push(ctx.index()));
            let mut order = order.into_inner().unwrap();
            order.sort_unstable();
            assert_eq!(order, [0, 1]);
            pool.wait_idle();
            assert_eq!(done.load(Ordering::Relaxed), 100);
        },
    );
}

#[test]
fn broadcast_after_shutdown_panics_as_join_does() {
    let pool = WorkStealingPool::new(2).unwrap();
    pool.shutdown();
    let ran = AtomicUsize::new(0);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        pool.broadcast(|_| {
            ran.fetch_add(1, Ordering::Relaxed);
        })
    }))
    .unwrap_err();
    assert_eq!(
        panic_text(&*payload),
        "cache-kit: broadcast called from outside a WorkStealingPool that was shut down"
    );
    assert_eq!(ran.load(Ordering::Relaxed), 0);
    let join = catch_unwind(AssertUnwindSafe(|| pool.join(|| (), || ()))).unwrap_err();
    assert_eq!(
        panic_text(&*join),
        "cache-kit: join called from outside a WorkStealingPool that was shut down"
    );
}

#[test]
fn free_broadcast_outside_a_pool_panics_with_a_message() {
    let payload = catch_unwind(|| pool::broadcast(|ctx| ctx.index())).unwrap_err();
    assert!(panic_text(&*payload).contains("pool::broadcast called outside a pool thread"));
}

#[test]
fn a_pool_dropped_by_its_own_task_still_runs_a_racing_broadcast_or_refuses_it() {
    finishes(
        "a pool dropped by its own task still runs a racing broadcast or refuses it",
        || {
            for _ in 0..if cfg!(miri) { 2 } else { 50 } {
                let pool = Arc::new(WorkStealingPool::new(2).unwrap());
                let (sender, receiver) = mpsc::channel();
                let (go, wait) = mpsc::channel::<()>();
                let keep = Arc::clone(&pool);
                // A task waits, then broadcasts with the free function while
                // another task drops the pool's last handle.
                pool.spawn(move || {
                    let _ = wait.recv();
                    let outcome = catch_unwind(|| pool::broadcast(|ctx| ctx.index()));
                    let _ =
                        sender.send(outcome.map_err(|payload| panic_text(&*payload).to_owned()));
                })
                .unwrap();
                pool.spawn(move || {
                    let _ = go.send(());
                    drop(keep);
                })
                .unwrap();
                drop(pool);
                match receiver.recv().unwrap() {
                    Ok(indices) => assert_eq!(indices, [0, 1]),
                    Err(text) => assert!(text.contains("shut down"), "{text}"),
                }
            }
        },
    );
}

/// A broadcast result that counts its drops.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A closure capture whose `Drop` panics.
struct PanicsOnDrop;

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("the closure's capture panicked on drop");
    }
}

#[test]
fn a_closure_whose_drop_panics_reaches_the_caller_after_every_result_is_dropped() {
    finishes(
        "a closure whose drop panics reaches the caller after every result is dropped",
        || {
            let pool = WorkStealingPool::new(2).unwrap();
            let dropped = Arc::new(AtomicUsize::new(0));
            let capture = PanicsOnDrop;
            let counter = Arc::clone(&dropped);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                pool.broadcast(move |_| {
                    let _ = &capture;
                    Counted(Arc::clone(&counter))
                })
            }));
            let payload = outcome.expect_err("the capture's panic reaches the caller");
            assert_eq!(
                panic_text(&*payload),
                "the closure's capture panicked on drop"
            );
            // Leaked before: the results were built, then the closure dropped.
            assert_eq!(
                dropped.load(Ordering::SeqCst),
                2,
                "each result dropped once"
            );
            assert_eq!(
                pool.broadcast(|ctx| ctx.index()),
                [0, 1],
                "the pool still works"
            );
        },
    );
}

#[test]
fn a_panicking_call_and_a_closure_whose_drop_panics_raise_the_call_s_panic() {
    finishes(
        "a panicking call and a closure whose drop panics raise the call's panic",
        || {
            let pool = WorkStealingPool::new(2).unwrap();
            let capture = PanicsOnDrop;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                pool.broadcast(move |ctx| {
                    let _ = &capture;
                    assert_ne!(ctx.index(), 1, "worker 1's call panicked");
                })
            }));
            // Aborted the process before: the closure was dropped while the
            // call's panic unwound.
            let payload = outcome.expect_err("the call's panic reaches the caller");
            assert!(panic_text(&*payload).contains("worker 1's call panicked"));
        },
    );
}
