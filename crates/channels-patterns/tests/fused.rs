//! The blocking iterators stay ended once they end (`FusedIterator`).

use std::iter::FusedIterator;

use channels_patterns::{
    fan_out_stream, BoundedQueue, FanOutStream, QueueIter, ResultsIntoIter, ResultsIter, WorkerPool,
};

fn assert_fused<I: FusedIterator>(_: &I) {}

#[test]
fn results_iterators_stay_ended() {
    let (pool, results) = WorkerPool::new(1, |x: u8| x).unwrap();
    pool.submit(1).unwrap();
    pool.shutdown();
    let mut iter: ResultsIter<'_, u8> = results.iter();
    assert_fused(&iter);
    assert!(iter.next().is_some());
    assert!(iter.next().is_none());
    assert!(iter.next().is_none());
    let mut owned: ResultsIntoIter<u8> = results.into_iter();
    assert_fused(&owned);
    assert!(owned.next().is_none());
    assert!(owned.next().is_none());
}

#[test]
fn a_closed_queue_iterator_stays_ended() {
    let queue = BoundedQueue::new(2).unwrap();
    queue.push(1).unwrap();
    queue.close();
    let mut iter: QueueIter<'_, i32> = queue.iter();
    assert_fused(&iter);
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next(), None);
    assert_eq!(iter.next(), None);
}

#[test]
fn a_fan_out_stream_stays_ended() {
    let mut stream: FanOutStream<std::ops::Range<u8>, u8> =
        fan_out_stream(0..2_u8, 2, |x| x).unwrap();
    assert_fused(&stream);
    assert_eq!(stream.by_ref().count(), 2);
    assert!(stream.next().is_none());
    assert!(stream.next().is_none());
}
