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

use std::cell::Cell;

use crate::thread_index::Registration;

/// The calling thread's dense index (see [`crate::thread_index`]), or
/// `None` once the thread has started destroying its thread-locals.
///
/// The hot path is one read of a `const`-initialised thread-local (no lazy
/// state check); the first call on a thread registers it.
pub(crate) fn current_thread_index() -> Option<usize> {
    match CACHED_INDEX.with(Cell::get) {
        UNREGISTERED => register_current_thread(),
        TORN_DOWN => None,
        index => Some(index),
    }
}

#[cold]
fn register_current_thread() -> Option<usize> {
    let index = CLAIM.try_with(|claim| claim.0.index()).ok()?;
    CACHED_INDEX.with(|cached| cached.set(index));
    Some(index)
}

const UNREGISTERED: usize = usize::MAX;
const TORN_DOWN: usize = usize::MAX - 1;

/// The thread's claim on its index. Dropped with the thread's
/// thread-locals: it first marks the cached index torn down, then gives the
/// index back, so no call can see an index another thread may now hold.
struct Claim(Registration);

impl Drop for Claim {
    fn drop(&mut self) {
        // Ignored error: the cache has no destructor, so it is always there.
        let _ = CACHED_INDEX.try_with(|cached| cached.set(TORN_DOWN));
    }
}

// Under loom, every modelled thread is a coroutine on one OS thread, so the
// index must live in loom's thread-locals to differ between them.
#[cfg(not(loom))]
std::thread_local! {
    static CACHED_INDEX: Cell<usize> = const { Cell::new(UNREGISTERED) };
    static CLAIM: Claim = Claim(Registration::register());
}
#[cfg(loom)]
loom::thread_local! {
    static CACHED_INDEX: Cell<usize> = Cell::new(UNREGISTERED);
    static CLAIM: Claim = Claim(Registration::register());
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
