//! The registry behind [`thread_index`](fn@crate::thread_index): under loom
//! its lock and thread-locals are loom's, so that models see a thread giving
//! its index back happen-before the next thread taking it.

use std::cell::Cell;

use super::Mutex;
use crate::thread_index::{Registration, Registry};

#[cfg(not(loom))]
static REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());

// Under loom the registry's lock must be loom's, so that loom sees the
// happens-before edge from a thread giving an index back to the next thread
// taking it; a lazy static, as loom's locks have no `const` constructor.
#[cfg(loom)]
loom::lazy_static! {
    static ref REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());
}

/// Runs `f` on the thread-index registry, under its lock.
fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    // Claim and release leave the registry consistent at every point where
    // they could panic, so the poison-free lock guards consistent data.
    f(&mut REGISTRY.lock())
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

/// The calling thread's dense index (see [`crate::thread_index`](fn@crate::thread_index)), or
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
