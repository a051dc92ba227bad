//! A capacity whose memory the allocator refuses is a typed error, not an
//! abort of the process. This test binary's allocator refuses every
//! allocation of 256 MiB or more, standing in for a machine without the
//! memory (a real refusal depends on the machine's overcommit policy).

use std::alloc::{GlobalAlloc, Layout, System};

use channels_patterns::{BoundedQueue, SizeError};

/// The smallest allocation `Refusing` refuses.
const REFUSED_FROM: usize = 256 << 20;

/// `System`, except that it refuses allocations of `REFUSED_FROM` bytes
/// or more, as an allocator out of memory does: it returns null.
struct Refusing;

// SAFETY: every allocation it makes is `System`'s, unchanged; a null
// return is `GlobalAlloc`'s way of refusing.
unsafe impl GlobalAlloc for Refusing {
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

#[global_allocator]
static GLOBAL: Refusing = Refusing;

#[test]
fn slots_the_allocator_refuses_are_a_typed_error() {
    // 1 MiB values: 1,024 slots need 1 GiB, which is refused (the process
    // aborted here before), 4 slots 4 MiB, which is granted.
    type Message = [u8; 1 << 20];
    let error = BoundedQueue::<Message>::new(1024).unwrap_err();
    assert_eq!(error, SizeError::allocation_failed("capacity", 1024));
    assert!(error.is_allocation_failure() && !error.is_zero());
    assert_eq!(error.max(), None);
    assert_eq!(
        error.to_string(),
        "`capacity` of 1024 needs more memory than the allocator provided"
    );
    let queue = BoundedQueue::<Message>::new(4).unwrap();
    assert_eq!(queue.capacity(), 4);
}
