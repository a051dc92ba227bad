//! Loom models: every interleaving (bounded by `LOOM_MAX_PREEMPTIONS`) of
//!
//! - the cache's single-flight protocol (`src/cache/flight.rs`) and its
//!   bounded insert, through the public API (a replacement racing an
//!   eviction of its key included). Under loom the map underneath
//!   is a stand-in with one loom `RwLock` (`src/sync/map.rs`): dashmap's
//!   locks are not loom's;
//! - the pool's sleep protocol (`src/pool/sleep.rs`, exported under loom only):
//!   a worker parks unless there is work, a pusher wakes it. The work
//!   queue is a loom atomic standing in for crossbeam-deque, whose atomics
//!   loom cannot see;
//! - the wait of a pool thread in `join` or `scope` (`Sleep::wait_for_latch`
//!   and `src/pool/latch.rs`): it runs jobs while there are any, else
//!   sleeps until new work or the completion of what it waits for (its
//!   `Latch`'s `set_and_wake`) wakes it;
//! - `broadcast` (`src/pool/broadcast.rs`): a job posted to each worker's
//!   own inbox, then `notify_all`, wakes every worker, idle or waiting on a
//!   latch (a broadcaster inside the pool, running its own share). A
//!   worker's sleep check looks at its own inbox only. The inboxes are
//!   loom atomics standing in for crossbeam's injectors.
//!
//! - the logger's wait for room in Block mode (`src/logger/room.rs`): a
//!   logging thread that finds the queue full waits unless its push, tried
//!   again once it counts as a waiter, gets in; the writer wakes waiters
//!   after it pops. The queue is a loom atomic standing in for crossbeam's
//!   `ArrayQueue`.
//!
//! A lost wakeup shows as a loom deadlock. Run with `cargo xtask loom`.
#![cfg(all(loom, feature = "cache", feature = "pool"))]

use std::collections::hash_map::DefaultHasher;
use std::hash::BuildHasherDefault;

use cache_kit::{Cache, CacheBuilder, Latch, Sleep};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn two_callers_missing_one_key_run_one_load_and_both_get_its_value() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(Cache::new(4).unwrap());
        let loads = Arc::new(AtomicUsize::new(0));
        let caller = |cache: Arc<Cache<u8, u8>>, loads: Arc<AtomicUsize>| {
            move || {
                cache.get_or_insert_with(&1, || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    10
                })
            }
        };
        let other = thread::spawn(caller(Arc::clone(&cache), Arc::clone(&loads)));
        let mine = caller(Arc::clone(&cache), Arc::clone(&loads))();
        assert_eq!(mine, 10);
        assert_eq!(other.join().unwrap(), 10);
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_failed_load_hands_its_error_to_a_waiter_or_the_waiter_loads_its_own() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(Cache::new(4).unwrap());
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.try_get_or_insert_with(&1, || Ok::<_, ()>(20)))
        };
        let mine = cache.try_get_or_insert_with(&1, || Err::<u8, ()>(()));
        match (mine, other.join().unwrap()) {
            // The other caller waited on this failing load: one error.
            (Err(mine), Err(other)) => {
                assert!(std::sync::Arc::ptr_eq(&mine, &other));
                assert_eq!(cache.get(&1), None);
            }
            // This load failed before the other caller came, or the other
            // load won and this caller got its value.
            (Err(_) | Ok(20), Ok(20)) => assert_eq!(cache.get(&1), Some(20)),
            outcomes => panic!("{outcomes:?}"),
        }
    });
}

#[test]
fn a_waiter_with_another_error_type_loads_its_own_after_a_failure() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(Cache::new(4).unwrap());
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.try_get_or_insert_with(&1, || Ok::<_, u32>(20)))
        };
        let mine = cache.try_get_or_insert_with(&1, || Err::<u8, ()>(()));
        assert!(mine.is_err() || mine == Ok(20), "{mine:?}");
        assert_eq!(other.join().unwrap(), Ok(20));
        assert_eq!(cache.get(&1), Some(20));
    });
}

#[test]
fn inserts_in_two_segments_share_one_capacity() {
    loom::model(|| {
        // Full, over 2 segments: each racing insert must make room, from
        // its own segment or, when that has nothing, from the other.
        // A fixed hasher: which segment a key lands in must not change
        // between loom's executions. With it, keys 1, 2 and 3 share a
        // segment and 4 has the other to itself: inserting 4 must take
        // from the segment that inserting 3 holds.
        let hasher = BuildHasherDefault::<DefaultHasher>::default();
        let cache = Arc::new(
            CacheBuilder::<u8, u8>::new(2)
                .segments(2)
                .hasher(hasher)
                .build()
                .unwrap(),
        );
        cache.insert(1, 1);
        cache.insert(2, 2);
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                cache.insert(3, 3);
                assert!(cache.weight() <= 2);
            })
        };
        cache.insert(4, 4);
        assert!(cache.weight() <= 2);
        other.join().unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.weight(), 2);
        let cached = (1..=4).filter(|key| cache.contains_key(key)).count();
        assert_eq!(cached, 2);
    });
}

#[test]
fn racing_inserts_into_a_full_segment_never_exceed_its_capacity() {
    loom::model(|| {
        let cache: Arc<Cache<u8, u8>> = Arc::new(CacheBuilder::new(1).segments(1).build().unwrap());
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                cache.insert(1, 1);
                assert!(cache.len() <= 1);
            })
        };
        cache.insert(2, 2);
        assert!(cache.len() <= 1);
        other.join().unwrap();
        assert_eq!(cache.len(), 1);
        let survivor = [1, 2].iter().filter(|key| cache.contains_key(key)).count();
        assert_eq!(survivor, 1);
    });
}

#[test]
fn a_lighter_replacement_racing_an_insert_into_a_full_cache_keeps_the_budget_exact() {
    loom::model(|| {
        // Full (weight 3 of 3) over 2 segments: replacing key 1's value
        // with a lighter one happens in place and gives weight back, while
        // inserting key 3 must make room. Whatever the order, the budget
        // stays within the capacity and ends equal to what is cached.
        let hasher = BuildHasherDefault::<DefaultHasher>::default();
        let cache = Arc::new(
            CacheBuilder::<u8, u8>::new(3)
                .segments(2)
                .hasher(hasher)
                .weigher(|_, value: &u8| u64::from(*value))
                .build()
                .unwrap(),
        );
        cache.insert(1, 2);
        cache.insert(2, 1);
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                cache.insert(1, 1);
                assert!(cache.weight() <= 3);
            })
        };
        cache.insert(3, 1);
        assert!(cache.weight() <= 3);
        other.join().unwrap();
        let cached: u64 = (1..=3)
            .filter_map(|key| cache.peek(&key))
            .map(u64::from)
            .sum();
        assert_eq!(cache.weight(), cached);
        // Key 1, if still cached, holds the replacement.
        assert!(matches!(cache.peek(&1), None | Some(1)));
        assert!(cache.contains_key(&3));
    });
}

#[test]
fn a_replacement_racing_an_eviction_of_its_key_is_counted_and_told_once() {
    loom::model(|| {
        // Full (2 of 2, one segment). Replacing key 1's value and
        // inserting key 3, which evicts with key 1 among the candidates,
        // each take the segment's lock once. In every order, each of the
        // four values stored is either cached or told to the listener
        // (evicted or replaced) exactly once, key 1 holds no old value,
        // and every insert is counted.
        let told = Arc::new(AtomicUsize::new(0));
        let cache: Arc<Cache<u8, u8>> = {
            let told = Arc::clone(&told);
            Arc::new(
                CacheBuilder::new(2)
                    .segments(1)
                    .eviction_listener(move |_: &u8, _: &u8, _| {
                        told.fetch_add(1, Ordering::SeqCst);
                    })
                    .build()
                    .unwrap(),
            )
        };
        cache.insert(1, 1);
        cache.insert(2, 2);
        let other = {
            let cache = Arc::clone(&cache);
            thread::spawn(move || cache.insert(1, 10))
        };
        cache.insert(3, 3);
        other.join().unwrap();
        assert!(matches!(cache.peek(&1), None | Some(10)));
        assert!(cache.contains_key(&3));
        assert_eq!((cache.len(), cache.weight()), (2, 2));
        assert_eq!(told.load(Ordering::SeqCst) + cache.len(), 4);
        assert_eq!(cache.stats().inserts, 4);
    });
}

/// A worker's idle loop against a queue of `jobs` jobs: take one if there
/// is one, else park unless the queue has one. Returns after `wanted`.
fn worker(sleep: &Sleep, jobs: &AtomicUsize, wanted: usize) {
    let mut taken = 0;
    while taken < wanted {
        // Relaxed: the protocol's fences order the queue's accesses.
        let available = jobs.load(Ordering::Relaxed);
        if available > 0 {
            if jobs
                .compare_exchange(
                    available,
                    available - 1,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                taken += 1;
            }
            continue;
        }
        sleep.sleep_unless(|| jobs.load(Ordering::Relaxed) > 0);
    }
}

#[test]
fn a_job_pushed_while_the_worker_goes_to_sleep_always_wakes_it() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let idle = {
            let (sleep, jobs) = (Arc::clone(&sleep), Arc::clone(&jobs));
            thread::spawn(move || worker(&sleep, &jobs, 1))
        };
        jobs.fetch_add(1, Ordering::Relaxed);
        sleep.notify_one();
        idle.join().unwrap();
    });
}

#[test]
fn two_sleepers_and_two_jobs_from_two_pushers_all_run() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let (sleep, jobs) = (Arc::clone(&sleep), Arc::clone(&jobs));
                thread::spawn(move || worker(&sleep, &jobs, 1))
            })
            .collect();
        let pusher = {
            let (sleep, jobs) = (Arc::clone(&sleep), Arc::clone(&jobs));
            thread::spawn(move || {
                jobs.fetch_add(1, Ordering::Relaxed);
                sleep.notify_one();
            })
        };
        jobs.fetch_add(1, Ordering::Relaxed);
        sleep.notify_one();
        pusher.join().unwrap();
        for worker in workers {
            worker.join().unwrap();
        }
    });
}

#[test]
fn shutdown_wakes_every_sleeper() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let terminate = Arc::new(AtomicBool::new(false));
        let sleeper = {
            let (sleep, terminate) = (Arc::clone(&sleep), Arc::clone(&terminate));
            thread::spawn(move || {
                // Relaxed: ordered by the protocol's fences.
                while !terminate.load(Ordering::Relaxed) {
                    sleep.sleep_unless(|| terminate.load(Ordering::Relaxed));
                }
            })
        };
        terminate.store(true, Ordering::Relaxed);
        sleep.notify_all();
        sleeper.join().unwrap();
    });
}

/// Takes one job from the queue if there is one.
fn take_job(jobs: &AtomicUsize) -> bool {
    // Relaxed: the protocol's fences order the queue's accesses.
    let available = jobs.load(Ordering::Relaxed);
    available > 0
        && jobs
            .compare_exchange(
                available,
                available - 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
}

#[test]
fn a_joiner_asleep_on_its_latch_is_always_woken_when_the_stolen_job_completes() {
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let latch = Arc::new(Latch::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let joiner = {
            let (sleep, latch, jobs) = (Arc::clone(&sleep), Arc::clone(&latch), Arc::clone(&jobs));
            thread::spawn(move || {
                sleep.wait_for_latch(
                    &latch,
                    1,
                    || take_job(&jobs),
                    || jobs.load(Ordering::Relaxed) > 0,
                );
                assert!(latch.is_set());
            })
        };
        // The thief finishes the stolen half.
        latch.set_and_wake(&sleep);
        joiner.join().unwrap();
    });
}

#[test]
fn a_job_queued_while_a_joiner_sleeps_wakes_it_to_run_the_job() {
    // The queued job is the one whose completion the joiner waits for
    // (say, the last task of its scope, injected from outside): only the
    // wake-up for new work can get the joiner to run it.
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let latch = Arc::new(Latch::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let joiner = {
            let (sleep, latch, jobs) = (Arc::clone(&sleep), Arc::clone(&latch), Arc::clone(&jobs));
            thread::spawn(move || {
                sleep.wait_for_latch(
                    &latch,
                    1,
                    || {
                        let took = take_job(&jobs);
                        if took {
                            latch.set_and_wake(&sleep);
                        }
                        took
                    },
                    || jobs.load(Ordering::Relaxed) > 0,
                );
            })
        };
        jobs.fetch_add(1, Ordering::Relaxed);
        sleep.notify_one();
        joiner.join().unwrap();
        assert_eq!(jobs.load(Ordering::Relaxed), 0);
    });
}

/// Set by whichever thread runs the one job; the joiner's caller blocks
/// on it after its `join` returned (user code that needs the job).
struct Ran {
    ran: loom::sync::Mutex<bool>,
    signal: loom::sync::Condvar,
}

impl Ran {
    fn run_if_queued(&self, jobs: &AtomicUsize) -> bool {
        let took = take_job(jobs);
        if took {
            *self.ran.lock().unwrap() = true;
            self.signal.notify_all();
        }
        took
    }
}

#[test]
fn a_job_queued_while_a_joiner_sleeps_runs_even_if_the_joiner_returns_first() {
    // A joiner and an idle worker sleep; a job is queued (`notify_one`
    // may pick either) while the joiner's latch is set. A joiner that got
    // the job's wake-up but returns for its latch must pass the wake-up
    // on: its caller may then block on the job, which would otherwise sit
    // in the queue with every thread asleep. Reaching that takes three
    // preemptions (both threads asleep before the push, the joiner woken
    // between the push and the latch), one more than the default bound.
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(model.preemption_bound.map_or(3, |bound| bound.max(3)));
    model.check(|| {
        let sleep = Arc::new(Sleep::new());
        let latch = Arc::new(Latch::new());
        let jobs = Arc::new(AtomicUsize::new(0));
        let terminate = Arc::new(AtomicBool::new(false));
        let ran = Arc::new(Ran {
            ran: loom::sync::Mutex::new(false),
            signal: loom::sync::Condvar::new(),
        });
        let joiner = {
            let (sleep, latch, jobs, ran) = (
                Arc::clone(&sleep),
                Arc::clone(&latch),
                Arc::clone(&jobs),
                Arc::clone(&ran),
            );
            thread::spawn(move || {
                sleep.wait_for_latch(
                    &latch,
                    0,
                    || ran.run_if_queued(&jobs),
                    || jobs.load(Ordering::Relaxed) > 0,
                );
                let mut done = ran.ran.lock().unwrap();
                while !*done {
                    done = ran.signal.wait(done).unwrap();
                }
            })
        };
        let idle = {
            let (sleep, jobs, terminate, ran) = (
                Arc::clone(&sleep),
                Arc::clone(&jobs),
                Arc::clone(&terminate),
                Arc::clone(&ran),
            );
            thread::spawn(move || loop {
                if ran.run_if_queued(&jobs) {
                    continue;
                }
                // Relaxed: ordered by the protocol's fences.
                if terminate.load(Ordering::Relaxed) {
                    return;
                }
                sleep.sleep_unless(|| {
                    jobs.load(Ordering::Relaxed) > 0 || terminate.load(Ordering::Relaxed)
                });
            })
        };
        jobs.fetch_add(1, Ordering::Relaxed);
        sleep.notify_one();
        latch.set_and_wake(&sleep);
        joiner.join().unwrap();
        // Shutdown, once the job ran.
        terminate.store(true, Ordering::Relaxed);
        sleep.notify_all();
        idle.join().unwrap();
    });
}

/// A worker's idle loop against its own broadcast inbox (and nothing
/// else): run its job, else park unless the inbox has one; returns after
/// one job. `done` counts the broadcast's finished calls.
fn inbox_worker(sleep: &Sleep, inbox: &AtomicUsize, done: &AtomicUsize) {
    loop {
        if take_job(inbox) {
            // SeqCst: a count the test reads after joining.
            done.fetch_add(1, Ordering::SeqCst);
            return;
        }
        sleep.sleep_unless(|| inbox.load(Ordering::Relaxed) > 0);
    }
}

#[test]
fn a_broadcast_job_posted_to_a_sleeping_workers_inbox_always_wakes_it() {
    // Two idle workers; the broadcaster (outside the pool) posts one job
    // to each inbox, then wakes them all. Each must run its own.
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let inboxes = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let done = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..2)
            .map(|index| {
                let (sleep, inboxes, done) =
                    (Arc::clone(&sleep), Arc::clone(&inboxes), Arc::clone(&done));
                thread::spawn(move || inbox_worker(&sleep, &inboxes[index], &done))
            })
            .collect();
        for inbox in inboxes.iter() {
            inbox.fetch_add(1, Ordering::Relaxed);
        }
        sleep.notify_all();
        for worker in workers {
            worker.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn a_broadcast_from_inside_the_pool_wakes_the_other_worker_and_its_own_completion_wakes_the_caller()
{
    // Worker 0 broadcasts: posts to both inboxes, wakes everyone, then
    // waits on the broadcast's latch running its own inbox's job; worker
    // 1, idle, runs its job. Whoever finishes the last call sets the
    // latch (`ScopeLatch::done`). Worker 1 must wake for its job, and
    // worker 0 for the latch if it sleeps on it.
    loom::model(|| {
        let sleep = Arc::new(Sleep::new());
        let inboxes = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let latch = Arc::new(Latch::new());
        let unfinished = Arc::new(AtomicUsize::new(2));
        let finish = |sleep: &Sleep, latch: &Latch, unfinished: &AtomicUsize| {
            // AcqRel: as `ScopeLatch::done`.
            if unfinished.fetch_sub(1, Ordering::AcqRel) == 1 {
                latch.set_and_wake(sleep);
            }
        };
        let other = {
            let (sleep, inboxes, latch, unfinished) = (
                Arc::clone(&sleep),
                Arc::clone(&inboxes),
                Arc::clone(&latch),
                Arc::clone(&unfinished),
            );
            thread::spawn(move || loop {
                if take_job(&inboxes[1]) {
                    finish(&sleep, &latch, &unfinished);
                    return;
                }
                sleep.sleep_unless(|| inboxes[1].load(Ordering::Relaxed) > 0);
            })
        };
        for inbox in inboxes.iter() {
            inbox.fetch_add(1, Ordering::Relaxed);
        }
        sleep.notify_all();
        sleep.wait_for_latch(
            &latch,
            0,
            || {
                let took = take_job(&inboxes[0]);
                if took {
                    finish(&sleep, &latch, &unfinished);
                }
                took
            },
            || inboxes[0].load(Ordering::Relaxed) > 0,
        );
        assert!(latch.is_set());
        other.join().unwrap();
    });
}

/// The logger's wait for room in Block mode (`src/logger/room.rs`): a
/// queue of capacity 1, a loom atomic holding its length, standing in for
/// crossbeam's `ArrayQueue` (whose atomics loom cannot see).
#[cfg(feature = "logger")]
mod logger_room {
    use cache_kit::Room;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    const CAPACITY: usize = 1;

    /// Pushes one record if the queue has room.
    fn try_push(queue: &AtomicUsize) -> bool {
        // Relaxed: the protocol's fences order the queue's accesses.
        queue
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |len| {
                (len < CAPACITY).then_some(len + 1)
            })
            .is_ok()
    }

    /// A Block-mode logging thread: push, or wait for room and try again.
    fn log_one(room: &Room, queue: &AtomicUsize) {
        while !try_push(queue) {
            if room.wait_unless(|| try_push(queue)) {
                return;
            }
        }
    }

    /// The writer: pops `records` records, telling the room after each
    /// pop (the real writer tells it every few pops and after each pass).
    fn write(room: &Room, queue: &AtomicUsize, records: usize) {
        let mut popped = 0;
        while popped < records {
            // Relaxed: the protocol's fences order the queue's accesses.
            if queue
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |len| {
                    len.checked_sub(1)
                })
                .is_ok()
            {
                popped += 1;
                room.notify();
            } else {
                thread::yield_now();
            }
        }
    }

    #[test]
    fn a_logging_thread_waiting_on_a_full_queue_is_always_woken_when_the_writer_pops() {
        loom::model(|| {
            let room = Arc::new(Room::new());
            let queue = Arc::new(AtomicUsize::new(CAPACITY));
            let writer = {
                let (room, queue) = (Arc::clone(&room), Arc::clone(&queue));
                thread::spawn(move || write(&room, &queue, CAPACITY + 1))
            };
            log_one(&room, &queue);
            writer.join().unwrap();
        });
    }

    #[test]
    fn two_logging_threads_waiting_on_a_full_queue_both_get_in() {
        loom::model(|| {
            let room = Arc::new(Room::new());
            let queue = Arc::new(AtomicUsize::new(CAPACITY));
            let other = {
                let (room, queue) = (Arc::clone(&room), Arc::clone(&queue));
                thread::spawn(move || log_one(&room, &queue))
            };
            let writer = {
                let (room, queue) = (Arc::clone(&room), Arc::clone(&queue));
                thread::spawn(move || write(&room, &queue, CAPACITY + 2))
            };
            log_one(&room, &queue);
            other.join().unwrap();
            writer.join().unwrap();
        });
    }
}
