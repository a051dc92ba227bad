//! What the types promise to the compiler: they can be shared between
//! threads, and (tests/ui) what must not compile.

use atomics_kit::{AtomicCounter, CounterStats, ShardedCounter, ZeroShardsError};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn every_public_type_is_send_and_sync() {
    assert_send_sync::<AtomicCounter>();
    assert_send_sync::<ShardedCounter>();
    assert_send_sync::<CounterStats>();
    assert_send_sync::<ZeroShardsError>();
}

#[test]
fn zero_shards_error_is_a_std_error() {
    let error: Box<dyn std::error::Error + Send + Sync> = Box::new(ZeroShardsError);
    assert!(!error.to_string().is_empty());
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn misuse_does_not_compile() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
