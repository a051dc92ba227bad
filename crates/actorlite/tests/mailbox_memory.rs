//! What a bounded mailbox allocates when its actor starts: crossbeam's
//! bounded channel allocates every slot up front, so the largest bound
//! allowed must stay a reasonable allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use actorlite::{Actor, ActorBuilder, Context, Mailbox};

/// Counts the bytes allocated through it (never subtracting frees: the
/// total a spawn asked for).
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; the counter has no
// effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a statistic, read after the spawn on the same thread
        // (the actor's own allocations, on its thread, are tiny).
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Sink;

impl Actor for Sink {
    type Message = u64;
    fn handle(&mut self, _: u64, _: &mut Context<Self>) {}
}

#[test]
#[cfg_attr(miri, ignore = "an allocation size, not a memory-safety question")]
fn the_largest_bounded_mailbox_allocates_a_few_mebibytes_at_spawn() {
    // Relaxed: as in `alloc`.
    let before = ALLOCATED.load(Ordering::Relaxed);
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(Mailbox::MAX_BOUNDED))
        .spawn(Sink)
        .unwrap();
    let spawned = ALLOCATED.load(Ordering::Relaxed) - before;
    // 16-byte envelopes plus crossbeam's 8-byte stamp per slot.
    assert!(
        spawned <= 4 << 20,
        "spawning a mailbox of {} u64 messages allocated {spawned} bytes",
        Mailbox::MAX_BOUNDED
    );
    handle.stop();
    handle.join();
}
