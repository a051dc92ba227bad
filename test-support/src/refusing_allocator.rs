//! [`RefusingAllocator`]: the system allocator, out of memory for large
//! requests.

// `GlobalAlloc` is an unsafe trait: this file and `live_bytes.rs` are the
// crate's only unsafe code.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};

/// `System`, except that it refuses every allocation of `REFUSED_FROM`
/// bytes or more, as an allocator out of memory does: it returns null. It
/// stands in for a machine without the memory, which a test cannot rely
/// on (whether a large request is refused depends on the machine's
/// overcommit policy). A test binary sets it as its own global allocator:
///
/// ```
/// use fearless_test_support::RefusingAllocator;
///
/// #[global_allocator]
/// static GLOBAL: RefusingAllocator<{ 256 << 20 }> = RefusingAllocator;
///
/// let mut refused = Vec::<u8>::new();
/// assert!(refused.try_reserve_exact(256 << 20).is_err());
/// assert!(refused.try_reserve_exact(1 << 20).is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RefusingAllocator<const REFUSED_FROM: usize>;

// SAFETY: every allocation it makes is `System`'s, unchanged; a null
// return is `GlobalAlloc`'s way of refusing.
unsafe impl<const REFUSED_FROM: usize> GlobalAlloc for RefusingAllocator<REFUSED_FROM> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= REFUSED_FROM {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}
