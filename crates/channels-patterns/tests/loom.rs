//! Loom models: every interleaving (bounded by `LOOM_MAX_PREEMPTIONS`) of
//! the protocols with custom atomics and parking. Run with
//! `cargo xtask loom`.
//!
//! - The queue's park/wake protocol (`src/queue/wait_set.rs`), its close
//!   protocol and its ring (`src/queue/ring.rs`, on loom's atomics and
//!   `UnsafeCell`, so a slot read racing its write is reported), through
//!   `BoundedQueue`'s public API. A lost wakeup shows as a loom deadlock.
//!
//! - The close on the last `Producer`'s drop, against a parked consumer.
//!
//! - The fan-out helpers' board (`src/fan_out/helpers.rs`: tickets,
//!   running counts, claimed wake-ups, the withdrawal and wait on which the
//!   closure's erased lifetime rests), through its hidden `helpers_model`:
//!   a board per execution, helpers that are loom threads, a closure that
//!   writes loom cells the caller reads once the call returned (a helper
//!   still inside it shows as a causality violation). Loom has no clock, so
//!   the idle timeout is not modelled: a model retires its board instead.
//!
//! - The worker pool's job queue (`src/pool/job_queue.rs`), through its
//!   hidden `job_queue_model`: workers that park and are woken by a push,
//!   by a batch left in a busy worker's deque, and by the close; a bounded
//!   queue's submitter parked until a job starts; `shutdown_now`'s take
//!   racing a worker. Loom cannot see inside crossbeam-deque: under loom the
//!   deques are a stand-in on a loom `Mutex` (`src/sync.rs`), so these check
//!   the pool's protocol around them.
//!
//! The pool's shutdown rests on `atomics_kit::AdmissionGate`, modelled in
//! atomics-kit's own loom tests.
#![cfg(loom)]

use channels_patterns::fan_out::helpers_model;
use channels_patterns::pool::job_queue_model::{Local, Queue};
use channels_patterns::{BoundedQueue, PushError};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn concurrent_parked_producer_and_consumer_always_wake() {
    // Capacity 1 and two values: the producer must park on a full queue
    // and the consumer on an empty one, in some interleavings. If a wakeup
    // were lost, loom would report both threads blocked forever.
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::new(1).unwrap());
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                queue.push(1).unwrap();
                queue.push(2).unwrap();
            })
        };
        let first = queue.pop();
        let second = queue.pop();
        producer.join().unwrap();
        assert_eq!((first, second), (Some(1), Some(2)));
    });
}

#[test]
fn concurrent_close_ends_a_parked_consumer_after_the_accepted_values() {
    // A push races the close: it is either refused (value given back) or
    // accepted and popped. The consumer, parked or not, ends with `None`.
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::new(1).unwrap());
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.push(7))
        };
        let consumer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.iter().collect::<Vec<_>>())
        };
        queue.close();
        let pushed = producer.join().unwrap();
        let popped = consumer.join().unwrap();
        match pushed {
            Ok(()) => assert_eq!(popped, [7], "an accepted value is popped"),
            Err(PushError(back)) => {
                assert_eq!(back, 7);
                assert!(popped.is_empty(), "a refused value is not popped");
            }
        }
    });
}

#[test]
fn what_the_closer_did_happens_before_a_push_or_pop_that_sees_the_close() {
    // The closer writes a cell, then closes. A push refused by the close,
    // and a pop that reports the queue closed, may read the cell: without
    // the acquire on seeing the closed bit (read Relaxed), loom reports a
    // causality violation (an actor's handler, refused by a stop, then saw
    // the actor still running under miri).
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::<u8>::new(1).unwrap());
        let written = Arc::new(UnsafeCell::new(0));
        let closer = {
            let (queue, written) = (Arc::clone(&queue), Arc::clone(&written));
            thread::spawn(move || {
                // SAFETY: read by the others only after seeing the close.
                written.with_mut(|cell| unsafe { *cell = 1 });
                queue.close();
            })
        };
        if queue.try_push(7).is_err() {
            // SAFETY: the close (after the write) happens before this.
            assert_eq!(written.with(|cell| unsafe { *cell }), 1);
        } else if queue.pop() == Some(7) && queue.pop().is_none() {
            // SAFETY: as above, through the pop that saw the close.
            assert_eq!(written.with(|cell| unsafe { *cell }), 1);
        }
        closer.join().unwrap();
    });
}

#[test]
fn concurrent_close_racing_two_producers_loses_nothing() {
    // Two in-flight slots under loom: the main thread's first push takes
    // index 0, so the first producer pushes through slot 1 and the second
    // through the shared counter. Whatever each push returns, the values
    // accepted are exactly the values drained after the close.
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::new(3).unwrap());
        queue.push(0).unwrap();
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|value| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || queue.push(value).is_ok().then_some(value))
            })
            .collect();
        queue.close();
        let drained: Vec<i32> = queue.iter().collect();
        let mut accepted: Vec<i32> = [0]
            .into_iter()
            .chain(producers.into_iter().filter_map(|p| p.join().unwrap()))
            .collect();
        accepted.sort_unstable();
        let mut drained = drained;
        drained.sort_unstable();
        assert_eq!(drained, accepted);
    });
}

#[test]
fn concurrent_close_wakes_a_producer_parked_on_a_full_queue() {
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::new(1).unwrap());
        queue.push(1).unwrap();
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.push(2))
        };
        queue.close();
        assert_eq!(producer.join().unwrap(), Err(PushError(2)));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.pop(), None);
    });
}

#[test]
fn the_last_producer_drop_closes_and_wakes_a_parked_consumer() {
    // Two producer handles on two threads, each pushing one value into a
    // queue of capacity 1 and then dropping: whichever drop is last closes
    // the queue. The consumer (this thread) may park on the empty queue at
    // any point; a lost wakeup would show as a loom deadlock, and a close
    // before the last push as a missing value.
    loom::model(|| {
        let queue = std::sync::Arc::new(BoundedQueue::new(1).unwrap());
        let first = queue.producer();
        let second = first.clone();
        let producers: Vec<_> = [(first, 1), (second, 2)]
            .into_iter()
            .map(|(producer, value)| {
                thread::spawn(move || {
                    producer.push(value).unwrap();
                    drop(producer);
                })
            })
            .collect();
        let mut popped: Vec<i32> = queue.iter().collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        popped.sort_unstable();
        assert_eq!(popped, [1, 2]);
        assert!(queue.is_closed());
    });
}

#[test]
fn values_wrapping_around_the_ring_arrive_in_order() {
    // Capacity 2 and three values: the third push reuses the first slot on
    // the ring's next lap, racing the pop that empties it; loom checks that
    // the slot's value is written only after that pop read it.
    loom::model(|| {
        let queue = Arc::new(BoundedQueue::new(2).unwrap());
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (1..=3).for_each(|value| queue.push(value).unwrap()))
        };
        let popped: Vec<_> = (0..3).map(|_| queue.pop()).collect();
        producer.join().unwrap();
        assert_eq!(popped, [Some(1), Some(2), Some(3)]);
    });
}

/// Moves `value` to the heap for the rest of the process. The fan-out
/// models' closures and what they write stand for the caller's frame, but
/// are leaked, not dropped: a helper still running after the call returned
/// (the bug they look for) then writes to memory loom still tracks, and
/// loom reports the unordered access, instead of the process crashing on
/// a frame already gone.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// What the helpers' closure of a fan-out model writes: one cell per run,
/// so that loom reports a run whose write is not ordered before the
/// caller's reads once `with_helpers` returned (a helper still inside the
/// closure, or one whose end was not waited for), and a cell read racing
/// its write.
struct Runs {
    next: AtomicUsize,
    cells: [UnsafeCell<usize>; 2],
}

// SAFETY: a run writes only the cell whose index it took from `next`, so
// runs never share one, and the caller reads the cells only after
// `with_helpers` returned, which the protocol under test orders after
// every run; loom reports any access it does not order.
unsafe impl Sync for Runs {}

impl Runs {
    fn new() -> Self {
        Runs {
            next: AtomicUsize::new(0),
            cells: [UnsafeCell::new(0), UnsafeCell::new(0)],
        }
    }

    /// One run of the closure: writes its own cell.
    fn run(&self) {
        // Relaxed: only hands out distinct indices; the cells are ordered
        // by the protocol, which is what loom checks.
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        // SAFETY: no other run has this index (see `Sync` above).
        self.cells[index].with_mut(|cell| unsafe { *cell += 1 });
    }

    /// How many runs there were, once the call returned: each cell was
    /// written once or not at all, the written ones first.
    fn count(&self) -> usize {
        // SAFETY: read after the call returned (see `Sync` above).
        let cells = self
            .cells
            .each_ref()
            .map(|cell| cell.with(|value| unsafe { *value }));
        // Relaxed: the runs are ordered before this by the protocol.
        let runs = self.next.load(Ordering::Relaxed);
        let expected: Vec<usize> = (0..cells.len()).map(|i| usize::from(i < runs)).collect();
        assert_eq!(cells.to_vec(), expected, "each run once, in its own cell");
        runs
    }
}

/// How many helpers reached the closure, for a caller's own share to wait
/// on: a ticket stays on the board while its caller waits, so a lost
/// wake-up or a ticket no helper takes shows as a loom deadlock.
struct Arrivals {
    count: loom::sync::Mutex<usize>,
    changed: loom::sync::Condvar,
}

impl Arrivals {
    fn new() -> Self {
        Arrivals {
            count: loom::sync::Mutex::new(0),
            changed: loom::sync::Condvar::new(),
        }
    }

    fn arrive(&self) {
        *self.count.lock().unwrap() += 1;
        self.changed.notify_all();
    }

    fn wait_for(&self, arrivals: usize) {
        let mut count = self.count.lock().unwrap();
        while *count < arrivals {
            count = self.changed.wait(count).unwrap();
        }
    }
}

#[test]
fn a_helper_started_by_a_post_is_done_with_the_closure_when_the_call_returns() {
    // One ticket, no helper yet: the post starts one, which takes the
    // ticket or finds it withdrawn. Either way the caller returns only
    // after its run (if any) ended. The caller's own share yields, as a
    // share that takes a while: within two preemptions, loom then also
    // runs the helper between taking the ticket and the caller's
    // withdrawal.
    loom::model(|| {
        let board = helpers_model::Board::new(1);
        let runs = leak(Runs::new());
        board.with_helpers(1, leak(|| runs.run()), thread::yield_now);
        assert!(runs.count() <= 1);
        board.retire();
    });
}

#[test]
fn a_parked_helper_and_a_started_one_run_two_tickets_once_each() {
    // A first call leaves a helper behind (parked, or about to park); the
    // second posts two tickets on a board of at most two helpers, whose
    // closure waits (as the caller's share does) until two helpers are in
    // it: the parked one must be woken (or find the job before parking)
    // and a second started, or loom reports a deadlock.
    loom::model(|| {
        let board = helpers_model::Board::new(2);
        let first = leak(Arrivals::new());
        board.with_helpers(1, leak(|| first.arrive()), || first.wait_for(1));
        let arrivals = leak(Arrivals::new());
        let runs = leak(Runs::new());
        let helper = leak(|| {
            arrivals.arrive();
            arrivals.wait_for(2);
            runs.run();
        });
        board.with_helpers(2, helper, || arrivals.wait_for(2));
        assert_eq!(runs.count(), 2);
        board.retire();
    });
}

#[test]
fn two_callers_sharing_one_helper_never_wait_for_each_others_job() {
    // One helper, left parked (or about to park) by a first call, for two
    // concurrent calls of one ticket each, and the helpers' closure of the
    // first waits until the second call returned: with the helper inside
    // it, the second call must not wait for that helper (its untaken
    // ticket is void) but return, or loom reports a deadlock. Whichever job
    // the helper serves, neither call returns while the helper is still
    // inside its closure.
    loom::model(|| {
        let board = helpers_model::Board::new(1);
        let first = leak(Arrivals::new());
        board.with_helpers(1, leak(|| first.arrive()), || first.wait_for(1));
        let second_returned = leak(Arrivals::new());
        let second = thread::spawn(move || {
            let runs = leak(Runs::new());
            board.with_helpers(1, leak(|| runs.run()), thread::yield_now);
            second_returned.arrive();
            runs.count()
        });
        let runs = leak(Runs::new());
        let helper = leak(|| {
            second_returned.wait_for(1);
            runs.run();
        });
        board.with_helpers(1, helper, thread::yield_now);
        let ran = runs.count() + second.join().unwrap();
        assert!(ran <= 2);
        board.retire();
    });
}

#[test]
fn a_call_nested_in_a_helpers_closure_shares_the_board() {
    // A helper running the outer call's closure makes a call of its own on
    // the same board, as an `f` calling `fan_out_fan_in` does: the inner
    // call may start the board's second helper and wait for it, and the
    // outer call returns only after both closures' runs are over.
    loom::model(|| {
        let board = helpers_model::Board::new(2);
        let inner_runs = leak(Runs::new());
        let inner = leak(|| inner_runs.run());
        let outer_done = leak(Arrivals::new());
        let outer_runs = leak(Runs::new());
        let outer = leak(move || {
            board.with_helpers(1, inner, thread::yield_now);
            outer_runs.run();
            outer_done.arrive();
        });
        board.with_helpers(1, outer, || outer_done.wait_for(1));
        assert_eq!(outer_runs.count(), 1);
        assert!(inner_runs.count() <= 1);
        board.retire();
    });
}

#[test]
fn a_helpers_panic_is_resumed_by_the_caller_after_the_wait() {
    // The caller's share waits until the helper entered the closure, which
    // then writes and panics: the call unwinds with that payload, and only
    // after the helper left the closure.
    loom::model(|| {
        let board = helpers_model::Board::new(1);
        let arrivals = leak(Arrivals::new());
        let runs = leak(Runs::new());
        let helper = leak(|| {
            arrivals.arrive();
            runs.run();
            std::panic::panic_any(HelperPanic);
        });
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            board.with_helpers(1, helper, || arrivals.wait_for(1));
        }));
        let payload = outcome.expect_err("the helper's panic is resumed");
        assert!(payload.is::<HelperPanic>());
        assert_eq!(runs.count(), 1);
        board.retire();
    });
}

/// The payload of the helper's panic in the model above.
struct HelperPanic;

/// A pool worker's loop: every job it gets until the queue closes.
fn run_worker(queue: Arc<Queue>, local: Local) -> thread::JoinHandle<Vec<u32>> {
    thread::spawn(move || std::iter::from_fn(|| queue.next(&local)).collect())
}

/// An unbounded queue for one worker, holding jobs 1 and 2, and the
/// worker's deque (no worker running yet).
fn queue_holding_jobs_1_and_2() -> (Arc<Queue>, Local) {
    let (queue, mut locals) = Queue::new(1, None);
    queue.submit(1);
    queue.submit(2);
    (Arc::new(queue), locals.pop().unwrap())
}

/// A queue (bounded to `capacity` if `Some`) and its one worker, running.
fn queue_with_a_running_worker(
    capacity: Option<usize>,
) -> (Arc<Queue>, thread::JoinHandle<Vec<u32>>) {
    let (queue, mut locals) = Queue::new(1, capacity);
    let queue = Arc::new(queue);
    let worker = run_worker(Arc::clone(&queue), locals.pop().unwrap());
    (queue, worker)
}

#[test]
fn a_job_pushed_as_the_worker_parks_is_run_and_the_close_ends_the_worker() {
    loom::model(|| {
        let (queue, worker) = queue_with_a_running_worker(None);
        queue.submit(7);
        queue.close();
        assert_eq!(worker.join().unwrap(), [7]);
    });
}

#[test]
fn a_job_left_in_a_busy_workers_deque_is_taken_by_the_idle_worker() {
    // Job 1 waits for job 2 (a job that waits on another job of its pool).
    // Whoever takes job 1 in a batch leaves job 2 in its own deque, and
    // must not be the only one that can run it: the other worker, parked
    // or not, takes it from there. A lost wake-up shows as a deadlock.
    loom::model(|| {
        let (queue, locals) = Queue::new(2, None);
        let queue = Arc::new(queue);
        queue.submit(1);
        queue.submit(2);
        let job_2_ran = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = locals
            .into_iter()
            .map(|local| {
                let (queue, job_2_ran) = (Arc::clone(&queue), Arc::clone(&job_2_ran));
                thread::spawn(move || match queue.next(&local) {
                    Some(1) => {
                        while !job_2_ran.load(Ordering::Acquire) {
                            thread::yield_now();
                        }
                    }
                    Some(2) => job_2_ran.store(true, Ordering::Release),
                    other => panic!("unexpected {other:?}"),
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
    });
}

#[test]
fn a_submitter_parked_on_a_full_bounded_queue_wakes_when_a_job_starts() {
    loom::model(|| {
        let (queue, worker) = queue_with_a_running_worker(Some(1));
        queue.submit(1);
        queue.submit(2); // waits until job 1 has started
        queue.close();
        assert_eq!(worker.join().unwrap(), [1, 2]);
    });
}

#[test]
fn a_full_bounded_queue_refuses_a_try_submit_until_a_job_starts() {
    loom::model(|| {
        let (queue, worker) = queue_with_a_running_worker(Some(1));
        queue.submit(1);
        // Refused while job 1 waits, accepted once it started.
        let accepted = queue.try_submit(2);
        queue.close();
        let ran = worker.join().unwrap();
        assert_eq!(ran, if accepted { vec![1, 2] } else { vec![1] });
    });
}

#[test]
fn shutdown_nows_take_racing_a_worker_hands_each_job_out_once() {
    loom::model(|| {
        let (queue, local) = queue_holding_jobs_1_and_2();
        let worker = run_worker(Arc::clone(&queue), local);
        let taken = queue.take_all();
        queue.close();
        let mut every = worker.join().unwrap();
        every.extend(taken);
        every.sort_unstable();
        assert_eq!(every, [1, 2]);
    });
}

#[test]
fn shutdown_nows_take_finds_the_jobs_waiting_in_a_workers_deque() {
    // The worker takes job 1 (and job 2 into its deque, in a batch) and
    // stops there, as if job 1 ran long: the take must find job 2.
    loom::model(|| {
        let (queue, local) = queue_holding_jobs_1_and_2();
        let worker = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (queue.next(&local), local))
        };
        let (first, _local) = worker.join().unwrap();
        assert_eq!(first, Some(1));
        assert_eq!(queue.take_all(), [2]);
        queue.close();
    });
}
