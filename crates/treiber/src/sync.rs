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

/// How long a push waits in the elimination array for a pop to take its
/// value, in spin-loop hints: each thread starts at
/// `ELIMINATION_START_SPINS` and adapts within `ELIMINATION_SPINS` (see
/// `Participant::record_elimination`), so that pushes with no pops around
/// wait less. Under loom, one wait step: each is a scheduling point, and
/// loom explores them all.
///
/// Measured on the 2-core machine (M pairs/s at 2 / 4 threads, one run
/// each, interleaved): push/pop pairs with no elimination 13.3 / 14.0, a
/// fixed 128 spins 29.8 / 30.2, 512 spins 32.9 / 33.5, 2048 spins 32.2 /
/// 33.4. Push-then-pop phases: a fixed 2048 held 21.7-25.2, where starting
/// at 4096 and shrinking fast dropped to 6.8 in one of two runs, and
/// starting at 256 and halving to 7.5. So: start high, shrink slowly, and
/// keep a floor high enough for a partner to arrive.
///
/// Under miri a spin hint yields to another thread, and a push that waited
/// its full 2048 hints cost the concurrent tests most of their time (4 tests,
/// one seed: 107 s, most of miri's treiber step over 8 seeds). A few yields
/// are still enough for a pop to meet a waiting push, so the elimination
/// path stays covered.
#[cfg(not(any(loom, miri)))]
pub(crate) const ELIMINATION_SPINS: std::ops::RangeInclusive<u32> = 64..=4096;
#[cfg(not(any(loom, miri)))]
pub(crate) const ELIMINATION_START_SPINS: u32 = 2048;
#[cfg(all(miri, not(loom)))]
pub(crate) const ELIMINATION_SPINS: std::ops::RangeInclusive<u32> = 4..=32;
#[cfg(all(miri, not(loom)))]
pub(crate) const ELIMINATION_START_SPINS: u32 = 16;
#[cfg(loom)]
pub(crate) const ELIMINATION_SPINS: std::ops::RangeInclusive<u32> = 1..=1;
#[cfg(loom)]
pub(crate) const ELIMINATION_START_SPINS: u32 = 1;

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
