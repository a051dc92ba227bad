//! What may cross threads. The compile-fail cases are in `tests/ui/`.

use cache_kit::{
    Cache, CacheBuilder, CacheStats, LockFreeLogger, LoggerStats, PoolStats, Scope,
    WorkStealingPool, ZeroCapacityError,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_cache_is_shared_between_threads() {
    assert_send_sync::<Cache<String, std::sync::Arc<Vec<u8>>>>();
    assert_send_sync::<CacheBuilder<u64, String>>();
    assert_send_sync::<CacheStats>();
    assert_send_sync::<ZeroCapacityError>();
}

#[test]
fn the_logger_and_the_pool_are_shared_between_threads() {
    assert_send_sync::<LockFreeLogger>();
    assert_send_sync::<LoggerStats>();
    assert_send_sync::<WorkStealingPool>();
    assert_send_sync::<PoolStats>();
    assert_send_sync::<Scope<'static>>();
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn what_cannot_cross_threads_or_outlive_a_scope_does_not_compile() {
    let tests = trybuild::TestCases::new();
    tests.compile_fail("tests/ui/*.rs");
}
