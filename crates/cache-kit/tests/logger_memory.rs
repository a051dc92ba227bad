//! A huge record's buffers are not kept for the logger's or the thread's
//! life: after one 16 MiB message (through the `log` facade, and a line
//! through the `tracing` `MakeWriter`) and a flush, the bytes still
//! allocated are back near where they were. Counted by a global allocator
//! that tallies the bytes live; one test in this binary, so that no other
//! test allocates meanwhile.
#![cfg(not(miri))] // 16 MiB messages; the allocator is the point

use cache_kit::LockFreeLogger;
use fearless_test_support::LiveBytes;

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

const HUGE: usize = 16 << 20;
/// What may stay: a record's spare buffers and per-thread buffers are
/// bounded far below a huge message.
const SLACK: isize = 2 << 20;

#[test]
fn a_huge_record_leaves_no_huge_buffer_behind() {
    let logger = LockFreeLogger::builder(std::io::sink()).start();
    let record = |n: usize| logger.log_str(log::Level::Info, "app", &format!("warm-up {n}"));
    (0..10).for_each(record);
    logger.flush();
    let before = LiveBytes::live();
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
    let after = LiveBytes::live();
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
        let before = LiveBytes::live();
        let line = vec![b'y'; HUGE];
        make_writer.make_writer().write_all(&line).unwrap();
        drop(line);
        logger.flush();
        let after = LiveBytes::live();
        assert!(
            after - before < SLACK,
            "{} bytes still allocated after a {HUGE}-byte line",
            after - before
        );
    }
}
