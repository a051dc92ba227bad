//! An `AtomicCounter` in a `#[global_allocator]`, counting live
//! allocations: its first operation makes its per-thread operation slots,
//! which allocates, from inside the allocator. Before, that first
//! operation waited for itself and hung the process before `main` (a break
//! run, 5 of 5 runs). The test binary is its own: one global allocator.
//! (Not under loom, where `AtomicCounter::new` is not `const`.)
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use atomics_kit::AtomicCounter;

static LIVE_ALLOCATIONS: AtomicCounter = AtomicCounter::new();

thread_local! {
    /// Only the test's own thread counts: were the counter to hang again,
    /// that thread alone would hang, and the test fail on its timeout.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

struct CountingAllocator;

// SAFETY: every call is passed on to the system allocator unchanged; the
// counting around it neither allocates memory it hands out nor frees any.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            LIVE_ALLOCATIONS.increment();
        }
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counting() {
            let _ = LIVE_ALLOCATIONS.decrement();
        }
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn a_counter_in_the_global_allocator_counts_from_its_first_operation_on() {
    let (report, reported) = mpsc::channel();
    let counting_thread = thread::spawn(move || {
        COUNTING.with(|flag| flag.set(true));
        // The counter's first operation: it makes its slots, and counts
        // the allocations that does.
        let boxed = Box::new(7_u64);
        let stats_with_box = LIVE_ALLOCATIONS.stats();
        drop(boxed);
        let stats_after = LIVE_ALLOCATIONS.stats();
        COUNTING.with(|flag| flag.set(false));
        report.send((stats_with_box, stats_after)).unwrap();
    });
    let (with_box, after) = reported
        .recv_timeout(Duration::from_secs(20))
        .expect("the counter's first operation, inside the allocator, hung");
    counting_thread.join().unwrap();
    // The box, and whatever making the slots allocated (the slots
    // themselves stay: the counter is a static).
    assert!(
        with_box.value >= 1 && with_box.operations >= 1,
        "{with_box:?}"
    );
    assert_eq!(after.value, with_box.value - 1, "the box's free is counted");
    assert_eq!(after.operations, with_box.operations + 1);
    assert!(after.max >= with_box.value);
}
