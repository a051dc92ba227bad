//! Which types cross threads: the pool, its results and the queue are
//! `Send + Sync` when what they carry is `Send`; the compile-fail cases in
//! tests/ui show what must not compile.

use std::cell::Cell;

use channels_patterns::{
    BoundedQueue, ExecuteError, Executor, FanOutStream, JobPanicked, PoolError, Producer, Results,
    Task, WorkerPool,
};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn pool_results_and_queue_of_send_values_are_send_and_sync() {
    assert_send_sync::<WorkerPool<String, Vec<u8>>>();
    assert_send_sync::<Results<String>>();
    assert_send_sync::<BoundedQueue<String>>();
    // Cell is Send but not Sync: the queue never shares a &T, so still Sync.
    assert_send_sync::<BoundedQueue<Cell<u8>>>();
    assert_send_sync::<WorkerPool<Cell<u8>, Cell<u8>>>();
    assert_send::<FanOutStream<std::ops::Range<u32>, u32>>();
    assert_send_sync::<JobPanicked>();
    assert_send_sync::<PoolError>();
    assert_send_sync::<Executor>();
    assert_send_sync::<Executor<Task>>();
    assert_send_sync::<Executor<Cell<u8>>>();
    assert_send_sync::<ExecuteError<String>>();
    assert_send_sync::<Producer<String>>();
    assert_send_sync::<Producer<Cell<u8>>>();
}

#[test]
fn a_queue_may_be_used_inside_catch_unwind() {
    fn assert_unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    assert_unwind_safe::<BoundedQueue<String>>();
    let queue = BoundedQueue::new(1).unwrap();
    assert_eq!(std::panic::catch_unwind(|| queue.push(1)).unwrap(), Ok(()));
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn values_that_are_not_send_are_refused() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
