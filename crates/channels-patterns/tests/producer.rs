//! Producer handles: the queue closes when the last one drops, so consumers
//! drain every value exactly once and then end, with no explicit close.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use channels_patterns::{BoundedQueue, PushError, TryPopError};

const PRODUCERS: usize = 4;
const CONSUMERS: usize = 3;
const ITEMS: usize = if cfg!(miri) { 20 } else { 5_000 };
/// Under miri (8 seeds), only the capacities whose ring wraps.
const CAPACITIES: &[usize] = if cfg!(miri) { &[1, 8] } else { &[1, 8, 1024] };

#[test]
fn concurrent_producers_dropping_their_handles_end_the_consumers_after_every_item() {
    for &capacity in CAPACITIES {
        let queue = Arc::new(BoundedQueue::<usize>::new(capacity).unwrap());
        let seen: Arc<Vec<AtomicU32>> =
            Arc::new((0..PRODUCERS * ITEMS).map(|_| AtomicU32::new(0)).collect());
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let seen = Arc::clone(&seen);
                thread::spawn(move || {
                    let mut count = 0;
                    for value in queue.iter() {
                        seen[value].fetch_add(1, Ordering::Relaxed);
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        let first = queue.producer();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let producer = first.clone();
                thread::spawn(move || {
                    for i in 0..ITEMS {
                        producer.push(p * ITEMS + i).unwrap();
                    }
                })
            })
            .collect();
        drop(first);
        producers.into_iter().for_each(|p| p.join().unwrap());
        let consumed: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(consumed, PRODUCERS * ITEMS, "capacity {capacity}");
        assert!(seen.iter().all(|s| s.load(Ordering::Relaxed) == 1));
        assert!(queue.is_closed());
    }
}

#[test]
fn the_last_drop_wakes_a_consumer_parked_on_an_empty_queue() {
    let queue = Arc::new(BoundedQueue::<u8>::new(2).unwrap());
    let producer = queue.producer();
    let consumer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || queue.pop())
    };
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    let clone = producer.clone();
    drop(producer);
    assert!(!queue.is_closed(), "a clone still lives");
    drop(clone);
    assert_eq!(consumer.join().unwrap(), None);
}

#[test]
fn explicit_close_comes_first_and_the_later_drops_do_nothing_more() {
    let queue = Arc::new(BoundedQueue::new(2).unwrap());
    let producer = queue.producer();
    producer.push(1).unwrap();
    assert!(queue.close());
    assert_eq!(producer.push(2), Err(PushError(2)));
    drop(producer);
    assert!(queue.is_closed());
    assert_eq!(queue.pop(), Some(1));
    assert_eq!(queue.try_pop(), Err(TryPopError::Closed));
}

#[test]
fn a_producer_made_after_the_last_one_dropped_finds_the_queue_closed() {
    let queue = Arc::new(BoundedQueue::new(2).unwrap());
    drop(queue.producer());
    let late = queue.producer();
    assert!(late.push(1).is_err(), "the queue never reopens");
    assert_eq!(queue.pop(), None);
}

#[test]
fn values_left_in_the_queue_drop_with_the_last_arc_held_by_a_producer() {
    let queue = Arc::new(BoundedQueue::new(4).unwrap());
    let producer = queue.producer();
    let value = Arc::new(());
    producer.push(Arc::clone(&value)).unwrap();
    drop(queue);
    assert_eq!(Arc::strong_count(&value), 2);
    drop(producer); // closes, then drops the queue and its value
    assert_eq!(Arc::strong_count(&value), 1);
}

#[test]
fn producer_is_debug() {
    let queue = Arc::new(BoundedQueue::<u8>::new(2).unwrap());
    let producer = queue.producer();
    let shown = format!("{producer:?}");
    assert!(
        shown.starts_with("Producer { queue: BoundedQueue"),
        "{shown}"
    );
    assert!(Arc::ptr_eq(producer.queue(), &queue));
}
