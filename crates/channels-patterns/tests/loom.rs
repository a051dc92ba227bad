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
//! The pool's shutdown rests on `atomics_kit::AdmissionGate`, modelled in
//! atomics-kit's own loom tests; the pool itself runs on crossbeam-channel
//! and threads, which loom cannot drive.
#![cfg(loom)]

use channels_patterns::{BoundedQueue, PushError};
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
