//! What may cross threads. The compile-fail cases are in `tests/ui/`.

use cache_kit::{Cache, CacheBuilder, CacheStats, ZeroCapacityError};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_cache_is_shared_between_threads() {
    assert_send_sync::<Cache<String, std::sync::Arc<Vec<u8>>>>();
    assert_send_sync::<CacheBuilder<u64, String>>();
    assert_send_sync::<CacheStats>();
    assert_send_sync::<ZeroCapacityError>();
}

#[test]
fn values_that_cannot_cross_threads_keep_the_cache_on_one() {
    let tests = trybuild::TestCases::new();
    tests.compile_fail("tests/ui/*.rs");
}
