//! [`LiveBytes`]: the system allocator, keeping a tally of the bytes live.

// `GlobalAlloc` is an unsafe trait: this file and `refusing_allocator.rs`
// are the crate's only unsafe code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Bytes allocated through [`LiveBytes`] and not yet freed.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// `System`, counting the bytes live, for the tests of how much memory
/// something holds. A test binary sets it as its global allocator and
/// compares [`LiveBytes::live`] before and after; other tests of the same
/// binary running meanwhile allocate too, so such a binary holds one test.
///
/// ```
/// use fearless_test_support::LiveBytes;
///
/// #[global_allocator]
/// static GLOBAL: LiveBytes = LiveBytes;
///
/// let before = LiveBytes::live();
/// let block = vec![0u8; 1 << 20];
/// assert!(LiveBytes::live() - before >= 1 << 20);
/// drop(block);
/// assert!(LiveBytes::live() - before < 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveBytes;

impl LiveBytes {
    /// The bytes allocated and not yet freed since the process started.
    #[must_use]
    pub fn live() -> isize {
        // Relaxed: a tally; the caller orders it against the allocations it
        // compares (its own thread's, or those of threads it joined).
        LIVE.load(Ordering::Relaxed)
    }

    fn tally(bytes: usize, sign: isize) {
        // Relaxed: see `live`.
        LIVE.fetch_add(
            sign * isize::try_from(bytes).unwrap_or(isize::MAX),
            Ordering::Relaxed,
        );
    }
}

// SAFETY: every call is passed to `System` unchanged; the tally is an
// atomic, which allocates nothing.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::tally(layout.size(), 1);
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::tally(layout.size(), -1);
        // SAFETY: `ptr` came from `System` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::tally(new_size, 1);
        Self::tally(layout.size(), -1);
        // SAFETY: the caller's contract for `realloc` is `System::realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
