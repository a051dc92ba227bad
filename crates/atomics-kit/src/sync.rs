//! The one module that chooses between `std` and `loom`.
//!
//! Every other file imports its atomics from here and never mentions
//! `cfg(loom)` itself (the layout tokio uses in `src/loom/`). Under
//! `RUSTFLAGS="--cfg loom"` the same algorithm code runs inside loom's model
//! checker.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A small dense index for the calling thread, unique among live threads.
///
/// The hot path is one read of a `const`-initialised thread-local (no lazy
/// state check); the first call on a thread registers it.
pub(crate) fn current_thread_index() -> usize {
    let cached = CACHED_INDEX.with(std::cell::Cell::get);
    if cached != UNREGISTERED {
        return cached;
    }
    // A thread that is tearing down its thread-locals (a counter touched from
    // another thread-local's destructor) falls back to index 0: shards are
    // updated with atomic read-modify-writes, so sharing one stays correct.
    let index = REGISTRATION
        .try_with(crate::thread_index::Registration::index)
        .unwrap_or(0);
    CACHED_INDEX.with(|cached| cached.set(index));
    index
}

const UNREGISTERED: usize = usize::MAX;

// Under loom, every modelled thread is a coroutine on one OS thread, so the
// index must live in loom's thread-locals to differ between them.
#[cfg(not(loom))]
std::thread_local! {
    static CACHED_INDEX: std::cell::Cell<usize> = const { std::cell::Cell::new(UNREGISTERED) };
    /// Holds the claim; dropping it at thread exit gives the index back.
    static REGISTRATION: crate::thread_index::Registration =
        crate::thread_index::Registration::register();
}
#[cfg(loom)]
loom::thread_local! {
    static CACHED_INDEX: std::cell::Cell<usize> = std::cell::Cell::new(UNREGISTERED);
    static REGISTRATION: crate::thread_index::Registration =
        crate::thread_index::Registration::register();
}

/// Declares `$vis const fn` outside loom and a plain `$vis fn` under loom,
/// whose atomics have no `const` constructors.
macro_rules! const_fn_outside_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name() -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name() -> $ret $body
    };
}
pub(crate) use const_fn_outside_loom;
