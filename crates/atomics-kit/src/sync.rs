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

/// Waiting for another thread: crossbeam's `Backoff` (spin, then yield),
/// or under loom a yield, since loom must run the other threads for a
/// waiting one to make progress.
#[cfg(not(loom))]
pub(crate) type Backoff = crossbeam_utils::Backoff;

#[cfg(loom)]
#[derive(Debug, Default)]
pub(crate) struct Backoff;

#[cfg(loom)]
impl Backoff {
    pub(crate) fn new() -> Self {
        Self
    }
    pub(crate) fn snooze(&self) {
        loom::thread::yield_now();
    }
}

use std::cell::Cell;

use crate::thread_index::{Registration, Registry};

#[cfg(not(loom))]
static REGISTRY: std::sync::Mutex<Registry> = std::sync::Mutex::new(Registry::new());

// Under loom the registry's lock must be loom's, so that loom sees the
// happens-before edge from a thread giving an index back to the next thread
// taking it; a lazy static, as loom's locks have no `const` constructor.
#[cfg(loom)]
loom::lazy_static! {
    static ref REGISTRY: loom::sync::Mutex<Registry> = loom::sync::Mutex::new(Registry::new());
}

/// Runs `f` on the thread-index registry, under its lock.
fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    // Claim and release leave the registry consistent at every point where
    // they could panic, so a poisoned lock still guards consistent data.
    f(&mut REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// Takes the smallest free index.
pub(crate) fn claim_index() -> usize {
    with_registry(Registry::claim)
}

/// Gives `index` back for the next thread.
#[cfg(not(loom))]
pub(crate) fn release_index(index: usize) {
    with_registry(|registry| registry.release(index));
}

/// Under loom, indices are never given back: loom runs thread-local
/// destructors after its execution state (and the registry's lock) may be
/// gone, and every execution starts a fresh registry, so indices stay unique
/// and small without reuse.
#[cfg(loom)]
pub(crate) fn release_index(_index: usize) {
    // Outside loom this is the function that gives indices back.
    let _: fn(&mut Registry, usize) = Registry::release;
}

/// The calling thread's dense index (see [`crate::thread_index`]), or
/// `None` once the thread has started destroying its thread-locals.
///
/// The hot path is one read of a `const`-initialised thread-local (no lazy
/// state check); the first call on a thread registers it.
#[inline]
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
