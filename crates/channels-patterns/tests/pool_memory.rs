//! A pool does not allocate room for its jobs before they arrive: the
//! bytes a pool of large jobs holds once started are counted by a global
//! allocator that tallies the bytes live; one test in this binary, so that
//! no other test allocates meanwhile.
#![cfg(not(miri))] // the allocator is the point

use channels_patterns::WorkerPool;
use fearless_test_support::LiveBytes;

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

/// A job of 48 KiB (under a 32nd of a worker's default stack, the most a
/// pool takes by value): room for the 64 that a worker's deque starts
/// with would be 3 MiB a worker.
type Large = [u8; 48 << 10];

/// What a started pool of 4 workers may hold before any job: its threads'
/// handles and names, the queue's structures, a little per worker.
const AT_START: isize = 256 << 10;

#[test]
fn a_pool_of_large_jobs_holds_no_room_for_them_before_they_arrive() {
    let before = LiveBytes::live();
    let (pool, results) = WorkerPool::new(4, |job: Large| job[0]).unwrap();
    let (bounded, bounded_results) = WorkerPool::builder()
        .workers(4)
        .queue_capacity(1)
        .build(|job: Large| job[0])
        .unwrap();
    let executor = WorkerPool::builder()
        .workers(4)
        .build_detached(|_: Large| {})
        .unwrap();
    let held = LiveBytes::live() - before;
    assert!(
        held < 3 * AT_START,
        "three pools of 4 workers hold {held} bytes before any job"
    );
    pool.submit([7; 48 << 10]).unwrap();
    pool.shutdown();
    assert_eq!(
        results.iter().map(|(_, r)| r.unwrap()).collect::<Vec<_>>(),
        [7]
    );
    bounded.shutdown();
    drop(bounded_results);
    executor.shutdown();
}
