//! What may cross threads. The compile-fail cases are in `tests/ui/`.

#[allow(dead_code, reason = "unused when every feature that has a test is off")]
fn assert_send_sync<T: Send + Sync>() {}

#[test]
#[cfg(feature = "cache")]
fn the_cache_is_shared_between_threads() {
    use cache_kit::cache::{Cache, CacheBuilder, CacheStats, Iter, RemovalCause, SizeError};
    assert_send_sync::<Cache<String, std::sync::Arc<Vec<u8>>>>();
    assert_send_sync::<Iter<'_, String, std::sync::Arc<Vec<u8>>>>();
    assert_send_sync::<RemovalCause>();
    assert_send_sync::<CacheBuilder<u64, String>>();
    assert_send_sync::<CacheStats>();
    assert_send_sync::<SizeError>();
}

/// A cache stays whole whatever user code panics inside it (no lock held,
/// no key stuck), so `catch_unwind` around its calls needs no
/// `AssertUnwindSafe`, as around `std::sync::Mutex`'s.
#[test]
#[cfg(feature = "cache")]
fn a_cache_may_be_used_across_catch_unwind() {
    fn assert_unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    assert_unwind_safe::<cache_kit::Cache<String, std::cell::Cell<u8>>>();
    let cache = cache_kit::Cache::new(10).unwrap();
    let caught = std::panic::catch_unwind(|| {
        cache.get_or_insert_with(&1, || -> u32 { panic!("a load that fails") })
    });
    assert!(caught.is_err());
    assert_eq!(cache.get_or_insert_with(&1, || 7), 7);
}

#[test]
#[cfg(feature = "logger")]
fn the_logger_is_shared_between_threads() {
    use cache_kit::logger::{
        FilterError, InstallError, LockFreeLogger, LoggerGuard, LoggerStats, ShutdownTimeout,
    };
    assert_send_sync::<LockFreeLogger>();
    assert_send_sync::<LoggerGuard>();
    assert_send_sync::<FilterError>();
    assert_send_sync::<LoggerStats>();
    assert_send_sync::<ShutdownTimeout>();
    assert_send_sync::<InstallError>();
}

#[test]
#[cfg(feature = "tracing")]
fn the_tracing_layer_and_writer_are_shared_between_threads() {
    use cache_kit::logger::{LoggerLayer, LoggerMakeWriter};
    assert_send_sync::<LoggerLayer>();
    assert_send_sync::<LoggerMakeWriter>();
}

#[test]
#[cfg(feature = "pool")]
fn the_pool_is_shared_between_threads() {
    use cache_kit::pool::{
        PoolBuildError, PoolShutDown, Scope, WorkStealingPool, WorkStealingPoolStats,
    };
    assert_send_sync::<PoolBuildError>();
    assert_send_sync::<WorkStealingPool>();
    assert_send_sync::<WorkStealingPoolStats>();
    assert_send_sync::<Scope<'static>>();
    assert_send_sync::<PoolShutDown>();
}

#[test]
#[cfg(all(feature = "cache", feature = "pool"))]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn what_cannot_cross_threads_or_outlive_a_scope_does_not_compile() {
    let tests = trybuild::TestCases::new();
    tests.compile_fail("tests/ui/*.rs");
}
