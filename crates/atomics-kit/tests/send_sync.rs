//! What the types promise to the compiler: they can be shared between
//! threads, and (tests/ui) what must not compile.

use atomics_kit::sync::{Backoff, Condvar, Mutex, MutexGuard};
use atomics_kit::{
    AtomicCounter, CounterOverflow, CounterStats, FirstPanic, PerThreadCounter, ShardedCounter,
    SingleWriterCounter, SizeError,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn every_public_type_is_send_and_sync() {
    assert_send_sync::<AtomicCounter>();
    assert_send_sync::<ShardedCounter>();
    assert_send_sync::<CounterStats>();
    assert_send_sync::<CounterOverflow>();
    assert_send_sync::<SizeError>();
    assert_send_sync::<PerThreadCounter>();
    assert_send_sync::<SingleWriterCounter>();
    assert_send_sync::<Mutex<Vec<u8>>>();
    assert_send_sync::<Condvar>();
}

fn assert_send<T: Send>() {}

#[test]
fn a_mutex_guard_is_sync_and_a_backoff_is_send() {
    fn assert_sync<T: Sync>() {}
    assert_sync::<MutexGuard<'_, u8>>();
    assert_send::<Backoff>();
    // A caught panic's payload is `Send` only: so is what keeps it.
    assert_send::<FirstPanic>();
}

#[test]
fn size_error_is_a_std_error() {
    let error: Box<dyn std::error::Error + Send + Sync> = Box::new(SizeError::zero("shards"));
    assert_eq!(error.to_string(), "`shards` must be at least 1, not 0");
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn misuse_does_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
