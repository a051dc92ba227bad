//! A bounded mailbox whose slots the allocator refuses makes `spawn`
//! return a typed error instead of aborting the process. This test
//! binary's allocator refuses every allocation of 256 MiB or more, standing
//! in for a machine without the memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use actorlite::{Actor, ActorBuilder, Context, Mailbox, SpawnError};

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

/// An actor of 1 MiB messages that counts its drops.
struct Big;

static DROPPED: AtomicUsize = AtomicUsize::new(0);

impl Drop for Big {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

impl Actor for Big {
    type Message = [u8; 1 << 20];
    fn handle(&mut self, _: [u8; 1 << 20], _: &mut Context<Self>) {}
}

#[test]
fn a_bounded_mailbox_whose_slots_the_allocator_refuses_is_a_typed_error() {
    // 65,536 slots of 1 MiB: 64 GiB, refused (the process aborted here
    // before).
    let error = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(Mailbox::MAX_BOUNDED))
        .spawn(Big)
        .unwrap_err();
    let SpawnError::InvalidSize(size) = error else {
        panic!("expected InvalidSize, got {error:?}");
    };
    assert!(size.is_allocation_failure(), "{size}");
    // The refused actor was dropped, once.
    assert_eq!(DROPPED.load(Ordering::SeqCst), 1);
    // A bound the allocator grants (4 MiB) spawns (on a stack large
    // enough for 1 MiB messages by value, in a debug build too).
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(4))
        .stack_size(32 << 20)
        .spawn(Big)
        .unwrap();
    handle.stop();
    handle.join();
    assert_eq!(DROPPED.load(Ordering::SeqCst), 2);
}
