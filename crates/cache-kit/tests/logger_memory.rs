//! A huge record's buffers are not kept for the logger's or the thread's
//! life: after one 16 MiB message (through the `log` facade, and a line
//! through the `tracing` `MakeWriter`) and a flush, the bytes still
//! allocated are back near where they were. Counted by a global allocator
//! that tallies the bytes live; one test in this binary, so that no other
//! test allocates meanwhile.
#![cfg(not(miri))] // 16 MiB messages; the allocator is the point

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use cache_kit::LockFreeLogger;

struct LiveBytes;

static LIVE: AtomicIsize = AtomicIsize::new(0);

fn add(bytes: usize) {
    // Relaxed: a tally read after the logger's flush, which orders it.
    LIVE.fetch_add(
        isize::try_from(bytes).unwrap_or(isize::MAX),
        Ordering::Relaxed,
    );
}

fn sub(bytes: usize) {
    // Relaxed: as in `add`.
    LIVE.fetch_sub(
        isize::try_from(bytes).unwrap_or(isize::MAX),
        Ordering::Relaxed,
    );
}

// SAFETY: forwards every call to the system allocator unchanged; the tally
// is an atomic, which allocates nothing.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub(layout.size());
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size);
        sub(layout.size());
        // SAFETY: the caller's contract for `realloc` is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

const HUGE: usize = 16 << 20;
/// What may stay: a record's spare buffers and per-thread buffers are
/// bounded far below a huge message.
const SLACK: isize = 2 << 20;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

#[test]
fn a_huge_record_leaves_no_huge_buffer_behind() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let record = |n: usize| logger.log_str(log::Level::Info, "app", &format!("warm-up {n}"));
    (0..10).for_each(record);
    logger.flush();
    let before = live();
    let huge = "x".repeat(HUGE);
    // Formatted (`{}`), so it goes through the thread's formatting buffer.
    log::Log::log(
        &logger,
        &log::Record::builder()
            .args(format_args!("{huge}"))
            .target("app")
            .build(),
    );
    logger.flush();
    drop(huge);
    let after = live();
    assert!(
        after - before < SLACK,
        "{} bytes still allocated after a {HUGE}-byte record",
        after - before
    );
    #[cfg(feature = "tracing")]
    {
        use std::io::Write as _;
        use tracing_subscriber::fmt::MakeWriter as _;

        let make_writer = logger.make_writer();
        let before = live();
        let line = vec![b'y'; HUGE];
        make_writer.make_writer().write_all(&line).unwrap();
        drop(line);
        logger.flush();
        let after = live();
        assert!(
            after - before < SLACK,
            "{} bytes still allocated after a {HUGE}-byte line",
            after - before
        );
    }
}
