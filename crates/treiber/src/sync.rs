//! The one module that chooses between `std` and `loom`.
//!
//! Everything else imports its atomics and cells from here and never
//! mentions `cfg(loom)` itself.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, Ordering};

/// `N` null atomic pointers; `const` outside loom, whose atomics have no
/// `const` constructor.
#[cfg(not(loom))]
pub(crate) const fn null_pointers<T, const N: usize>() -> [AtomicPtr<T>; N] {
    [const { AtomicPtr::new(std::ptr::null_mut()) }; N]
}
#[cfg(loom)]
pub(crate) fn null_pointers<T, const N: usize>() -> [AtomicPtr<T>; N] {
    std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut()))
}

/// `std`'s `UnsafeCell` behind loom's closure API (loom's under loom):
/// atomics-kit's shared shim.
pub(crate) use atomics_kit::sync::UnsafeCell;

/// Retired nodes a thread collects before it scans the hazard slots.
///
/// Under loom the scan never runs: loom models `SeqCst` as `AcqRel`
/// (loom#180), so it would explore executions that the hazard protocol's
/// `SeqCst` store/load/fence rule out and report frees that cannot happen.
/// Node lifetimes are checked by miri and the sanitizers instead; loom checks
/// the stack's own protocol.
#[cfg(not(any(loom, miri)))]
pub(crate) const RETIRED_BEFORE_SCAN: usize = 64;
/// Under miri, tests run tens of operations per thread, not thousands: scan
/// often, so that frees (and any use after them) happen while threads race.
#[cfg(all(miri, not(loom)))]
pub(crate) const RETIRED_BEFORE_SCAN: usize = 4;
#[cfg(loom)]
pub(crate) const RETIRED_BEFORE_SCAN: usize = usize::MAX;

/// Bytes of emptied nodes a thread keeps per stack for its next pushes
/// before it spills half of them to the shared free list, and the least
/// number of nodes kept whatever their size. With 64 nodes instead of
/// 16 KiB, push-all-then-pop-all of a thousand `u64`s per thread ran at
/// 22.7 rather than 35.1 M values/s (one quick run, when a full pool still
/// freed its surplus). Under miri the pool is tiny, so that nodes are
/// recycled and pass through the free list while the short concurrent tests
/// race, and a node reused too early shows.
#[cfg(not(miri))]
pub(crate) const POOL_BYTES: usize = 16 * 1024;
#[cfg(not(miri))]
pub(crate) const POOL_MIN_NODES: usize = 16;
#[cfg(miri)]
pub(crate) const POOL_BYTES: usize = 0;
#[cfg(miri)]
pub(crate) const POOL_MIN_NODES: usize = 2;

/// Slots of the shared free list (`free_list.rs`), each holding chains of
/// empty nodes. Under loom two, so that a model fills them all and links a
/// chain above another with three pushes.
#[cfg(not(loom))]
pub(crate) const FREE_LIST_SLOTS: usize = 8;
#[cfg(loom)]
pub(crate) const FREE_LIST_SLOTS: usize = 2;

/// How long a push that lost its CAS waits in the elimination array for a
/// pop to take its value, in steps of a spin-loop hint (about 25 ns each on
/// the 2-core AMD EPYC machine) or, every [`YIELD_EVERY`], a yield: about
/// 100 to 150 µs there, before it tries the head again. The
/// wait is long on purpose: it does more than wait for a partner. While the
/// loser stays off the head, the thread that won keeps the head's cache line
/// and runs its next operations uncontended, which is worth more than the
/// loser's own progress; every cross-core CAS on that line costs both.
///
/// Measured on that machine (ours / `SegQueue` at 2 threads, 5 paired
/// rounds each, alternating binaries): the earlier adaptive wait, which
/// halved after each offer no pop took, down to 64 hints (a push-only
/// stretch reached that floor within a few offers), gave push-then-pop
/// phases 0.35-0.41x and push/pop pairs 0.61-0.71x; a fixed 1024 hints
/// 0.42-0.62x and 0.92-1.58x; 2048, 0.51-0.84x and 1.02-1.26x; 4096,
/// 0.57-0.91x and 1.05-1.23x. A longer wait for pops too (4096 hints,
/// watching for an offer) measured no better (phases 0.67-0.89x). With the
/// yields, 1024 and 2048 steps measured below 4096 again (phases at 4
/// threads: medians 0.44x, 0.55x, 0.60x over 18 paired rounds each).
///
/// The price is the tail: a push that meets contention waits that long
/// (push latency at 2 threads in push/pop pairs: p99 80 ns, p99.9 130 ns,
/// p99.99 155 µs, where the adaptive wait gave 2.0 µs, 2.3 µs and 4 µs).
///
/// Under miri a spin hint yields to another thread, and a push that waited
/// 2048 hints cost the concurrent tests most of their time (4 tests, one
/// seed: 107 s, most of miri's treiber step over 8 seeds). A few yields are
/// still enough for a pop to meet a waiting push, so the elimination path
/// stays covered. Under loom, one wait step: each is a scheduling point, and
/// loom explores them all.
#[cfg(not(any(loom, miri)))]
pub(crate) const ELIMINATION_WAIT: u32 = 4096;
#[cfg(all(miri, not(loom)))]
pub(crate) const ELIMINATION_WAIT: u32 = 16;
#[cfg(loom)]
pub(crate) const ELIMINATION_WAIT: u32 = 1;

/// Every this many steps of the elimination wait, the waiting push yields
/// its core instead of a spin hint (about every 1.6 µs here). With more
/// threads than cores, a wait that only spun held a core that a thread
/// able to make progress needed: push-then-pop phases at 4 threads on 2
/// cores then swung between 0.31x and 0.68x `SegQueue` (p25, p75 of 18
/// paired rounds), 0.67x to 0.73x with this yield; at 2 threads 0.33x to
/// 0.75x, and 0.70x to 0.76x. (Yielding every 256 steps: 0.59x to 0.72x at
/// 4 threads.) With a core to spare a yield returns at once.
pub(crate) const YIELD_EVERY: u32 = 64;

/// Gives up the core for a moment: the OS's yield, or loom's.
#[cfg(not(loom))]
pub(crate) fn yield_now() {
    std::thread::yield_now();
}
#[cfg(loom)]
pub(crate) fn yield_now() {
    loom::thread::yield_now();
}

/// One step of a spin-wait: a CPU hint, or under loom a yield (loom needs
/// spinning threads to yield so that the others can run).
#[cfg(not(loom))]
pub(crate) fn spin_hint() {
    std::hint::spin_loop();
}
#[cfg(loom)]
pub(crate) fn spin_hint() {
    loom::thread::yield_now();
}
