//! BoundedQueue: blocking push/pop, close and drain, typed errors.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use fearless_test_support::is_the_child_of;

use channels_patterns::{BoundedQueue, PushError, SizeError, TryPopError, TryPushError};

const PER_PRODUCER: usize = if cfg!(miri) { 20 } else { 5_000 };

#[test]
fn zero_capacity_is_an_error() {
    let error = BoundedQueue::<u8>::new(0).unwrap_err();
    assert_eq!(error, SizeError::zero("capacity"));
    assert_eq!(error.to_string(), "`capacity` must be at least 1, not 0");
}

#[test]
fn fifo_with_try_operations() {
    let queue = BoundedQueue::new(2).unwrap();
    assert_eq!(queue.try_pop(), Err(TryPopError::Empty));
    queue.try_push(1).unwrap();
    queue.try_push(2).unwrap();
    assert_eq!(queue.try_push(3), Err(TryPushError::Full(3)));
    assert_eq!(
        (queue.len(), queue.capacity(), queue.is_empty()),
        (2, 2, false)
    );
    assert_eq!(queue.try_pop(), Ok(1));
    assert_eq!(queue.pop(), Some(2));
    assert!(queue.is_empty());
}

#[test]
fn close_refuses_pushes_and_lets_consumers_drain() {
    let queue = BoundedQueue::new(4).unwrap();
    queue.push("a").unwrap();
    queue.push("b").unwrap();
    assert!(queue.close());
    assert_eq!(queue.push("c"), Err(PushError("c")));
    assert_eq!(queue.try_push("d"), Err(TryPushError::Closed("d")));
    assert_eq!(queue.iter().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(queue.pop(), None);
    assert_eq!(queue.try_pop(), Err(TryPopError::Closed));
}

#[test]
fn concurrent_close_wakes_a_consumer_parked_on_an_empty_queue() {
    let queue = BoundedQueue::<u32>::new(1).unwrap();
    thread::scope(|s| {
        let consumer = s.spawn(|| queue.pop());
        thread::sleep(Duration::from_millis(10)); // let it park
        queue.close();
        assert_eq!(consumer.join().unwrap(), None);
    });
}

#[test]
fn concurrent_close_wakes_a_producer_parked_on_a_full_queue() {
    let queue = BoundedQueue::new(1).unwrap();
    queue.push(0).unwrap();
    thread::scope(|s| {
        let producer = s.spawn(|| queue.push(1));
        thread::sleep(Duration::from_millis(10)); // let it park
        queue.close();
        assert_eq!(
            producer.join().unwrap(),
            Err(PushError(1)),
            "the value comes back"
        );
    });
    assert_eq!(queue.pop(), Some(0));
    assert_eq!(queue.pop(), None);
}

#[test]
fn concurrent_producers_and_consumers_deliver_every_value_exactly_once() {
    let queue = BoundedQueue::new(8).unwrap();
    let producers = 4;
    let mut received: Vec<usize> = thread::scope(|s| {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let queue = &queue;
                s.spawn(move || {
                    (0..PER_PRODUCER).for_each(|i| queue.push(p * PER_PRODUCER + i).unwrap())
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3)
            .map(|_| s.spawn(|| queue.iter().collect::<Vec<_>>()))
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        queue.close();
        consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    received.sort_unstable();
    assert_eq!(received, (0..producers * PER_PRODUCER).collect::<Vec<_>>());
}

#[test]
fn concurrent_close_racing_pushes_loses_nothing() {
    // Values whose push returned Ok are popped; the others came back.
    let queue = BoundedQueue::new(4).unwrap();
    let (accepted, refused, popped) = thread::scope(|s| {
        let producers: Vec<_> = (0..3)
            .map(|p| {
                let queue = &queue;
                s.spawn(move || {
                    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
                    for i in 0..PER_PRODUCER {
                        match queue.push(p * PER_PRODUCER + i) {
                            Ok(()) => accepted.push(p * PER_PRODUCER + i),
                            Err(PushError(back)) => refused.push(back),
                        }
                    }
                    (accepted, refused)
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| s.spawn(|| queue.iter().collect::<Vec<_>>()))
            .collect();
        thread::yield_now();
        queue.close();
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for producer in producers {
            let (a, r) = producer.join().unwrap();
            accepted.extend(a);
            refused.extend(r);
        }
        let popped: Vec<usize> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        (accepted, refused, popped)
    });
    let mut accepted = accepted;
    let mut popped = popped;
    accepted.sort_unstable();
    popped.sort_unstable();
    assert_eq!(popped, accepted, "every accepted value popped once");
    assert_eq!(accepted.len() + refused.len(), 3 * PER_PRODUCER);
}

#[test]
fn every_value_is_dropped_exactly_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    {
        let queue = BoundedQueue::new(8).unwrap();
        for _ in 0..6 {
            queue.push(Counted).unwrap();
        }
        drop(queue.pop());
        drop(queue.pop());
        queue.close();
        let refused = queue.push(Counted).unwrap_err();
        drop(refused);
        // Four left in the queue, dropped with it.
    }
    assert_eq!(DROPS.load(Ordering::SeqCst), 7);
}

#[test]
fn push_timeout_gives_the_value_back_when_the_queue_stays_full() {
    let queue = BoundedQueue::new(1).unwrap();
    queue.push(1).unwrap();
    assert_eq!(
        queue.push_timeout(2, Duration::from_millis(5)),
        Err(TryPushError::Full(2))
    );
    queue.close();
    assert_eq!(
        queue.push_timeout(3, Duration::MAX),
        Err(TryPushError::Closed(3))
    );
}

#[test]
fn pop_timeout_ends_on_a_value_a_timeout_or_a_close() {
    let queue = BoundedQueue::<u32>::new(1).unwrap();
    assert_eq!(
        queue.pop_timeout(Duration::from_millis(5)),
        Err(TryPopError::Empty)
    );
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            queue.push(7).unwrap();
        });
        // Duration::MAX: no deadline, and no overflow computing one.
        assert_eq!(queue.pop_timeout(Duration::MAX), Ok(7));
    });
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            queue.close();
        });
        assert_eq!(queue.pop_timeout(Duration::MAX), Err(TryPopError::Closed));
    });
}

#[test]
fn a_producer_waiting_with_a_timeout_gets_room_when_a_consumer_pops() {
    let queue = BoundedQueue::new(1).unwrap();
    queue.push(1).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            assert_eq!(queue.pop(), Some(1));
        });
        assert_eq!(queue.push_timeout(2, Duration::from_secs(20)), Ok(()));
    });
    assert_eq!(queue.pop(), Some(2));
}

#[test]
fn wrapping_around_many_laps_keeps_fifo_order_and_an_exact_len() {
    // Capacities that are not powers of two wrap at the end of the buffer,
    // not at the end of the position's index bits. The fill level jumps
    // around (a small LCG), so the queued values start at every offset and
    // often straddle the end of the buffer; `len` is checked after each
    // operation.
    // Fewer laps under miri, where 50 took 20 s of the crate's miri time.
    const LAPS: usize = if cfg!(miri) { 15 } else { 50 };
    for capacity in [1_usize, 2, 3, 5, 7] {
        let queue = BoundedQueue::new(capacity).unwrap();
        let (mut next_in, mut next_out) = (0_usize, 0_usize);
        let mut seed = 1_usize;
        for _ in 0..LAPS * capacity {
            seed = (seed * 1_103_515_245 + 12_345) % (1 << 31);
            let target = (seed >> 16) % (capacity + 1);
            while next_in - next_out < target {
                queue.try_push(next_in).unwrap();
                next_in += 1;
                assert_eq!(queue.len(), next_in - next_out, "capacity {capacity}");
            }
            while next_in - next_out > target {
                assert_eq!(queue.try_pop(), Ok(next_out));
                next_out += 1;
                assert_eq!(queue.len(), next_in - next_out, "capacity {capacity}");
            }
            if target == capacity {
                assert_eq!(
                    queue.try_push(usize::MAX),
                    Err(TryPushError::Full(usize::MAX))
                );
            }
            assert_eq!(queue.is_empty(), target == 0);
        }
    }
}

#[test]
fn values_left_across_the_end_of_the_buffer_are_dropped_with_the_queue() {
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    struct Counted(std::sync::Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    {
        let queue = BoundedQueue::new(5).unwrap();
        for _ in 0..4 {
            queue.push(Counted(std::sync::Arc::clone(&drops))).unwrap();
        }
        for _ in 0..3 {
            drop(queue.pop());
        }
        // Head at index 3; these four sit at indices 4, 0, 1, 2.
        for _ in 0..4 {
            queue.push(Counted(std::sync::Arc::clone(&drops))).unwrap();
        }
        assert_eq!(queue.len(), 5);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        8,
        "each value dropped exactly once"
    );
}

#[test]
fn a_value_whose_drop_panics_does_not_leak_the_values_behind_it() {
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    struct Bomb(bool, std::sync::Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
            assert!(!self.0, "boom");
        }
    }
    let queue = BoundedQueue::new(4).unwrap();
    for explodes in [false, true, false, false] {
        queue
            .push(Bomb(explodes, std::sync::Arc::clone(&drops)))
            .unwrap();
    }
    drop(queue.pop());
    // Left: the bomb, then two values behind it (wrapping past the end).
    queue
        .push(Bomb(false, std::sync::Arc::clone(&drops)))
        .unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(queue)));
    assert!(panicked.is_err(), "the bomb's panic reaches the dropper");
    assert_eq!(drops.load(Ordering::SeqCst), 5, "every value dropped once");
}

#[test]
fn is_full_and_the_iterators_debug_need_nothing_of_the_values() {
    struct Opaque;
    let queue = BoundedQueue::new(1).unwrap();
    assert!(!queue.is_full());
    queue.push(Opaque).unwrap();
    assert!(queue.is_full());
    let shown = format!("{:?}", queue.iter());
    assert!(
        shown.starts_with("QueueIter { queue: BoundedQueue {"),
        "{shown}"
    );
}

/// A value whose `Drop` counts itself and panics.
struct PanicsWhenDropped<'a>(&'a AtomicUsize, usize);

impl Drop for PanicsWhenDropped<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::panic::panic_any(self.1);
    }
}

/// The values left in a dropped queue are each dropped once, even when
/// their `Drop`s panic, and the first panic comes out of the drop. Before,
/// the second panic, raised while the first unwound, aborted the process
/// (as a `Vec`'s drop does): so this runs in a child process.
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a child process")]
fn a_dropped_queue_drops_every_value_even_when_their_drops_panic() {
    if !is_the_child_of("a_dropped_queue_drops_every_value_even_when_their_drops_panic") {
        return;
    }
    let drops = AtomicUsize::new(0);
    let queue = BoundedQueue::new(4).unwrap();
    // Wrapped around the ring's end: two pops, then three more pushes.
    for n in 0..5 {
        queue.try_push(PanicsWhenDropped(&drops, n)).ok().unwrap();
        if n < 2 {
            std::mem::forget(queue.try_pop().unwrap());
        }
    }
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(queue)));
    let payload = dropped.expect_err("the first value's panic came out of the drop");
    assert_eq!(
        payload.downcast_ref::<usize>(),
        Some(&2),
        "the oldest value's"
    );
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "each value left dropped once"
    );
}
