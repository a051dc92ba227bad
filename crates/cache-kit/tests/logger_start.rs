//! A logger whose buffer the allocator refuses does not start, and says
//! why: `try_start` and `install` return the typed error, `start` panics
//! with it; none aborts the process (before, `ArrayQueue::new` aborted it
//! from inside the builder). This test binary's allocator refuses every
//! allocation of 1 GiB or more, standing in for a machine without the
//! memory: the largest buffer (`MAX_CAPACITY` records, about 2.4 GB; 2.7 GB with the `tracing` feature) is
//! refused, a small one granted (64 records: under miri each slot of the
//! default 65,536 costs time).

mod logger_support;

use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use cache_kit::{InstallError, LockFreeLogger, SizeError, StartError};
use fearless_test_support::{in_child, in_child_with, RefusingAllocator};
use logger_support::{Grenade, SharedSink};

#[global_allocator]
static GLOBAL: RefusingAllocator<{ 1 << 30 }> = RefusingAllocator;

/// A discarding sink that counts its drops (and whether each was on the
/// thread that built it), and panics in its `Drop` if told to.
struct CountedSink {
    drops: Arc<AtomicUsize>,
    panics_when_dropped: bool,
    built_on: thread::ThreadId,
}

impl Write for CountedSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for CountedSink {
    fn drop(&mut self) {
        // A drop elsewhere (on a writer thread) counts 1000.
        let count = if thread::current().id() == self.built_on {
            1
        } else {
            1000
        };
        self.drops.fetch_add(count, Ordering::SeqCst);
        if self.panics_when_dropped {
            std::panic::panic_any(Grenade);
        }
    }
}

fn counted_sink(panics_when_dropped: bool) -> (CountedSink, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let sink = CountedSink {
        drops: Arc::clone(&drops),
        panics_when_dropped,
        built_on: thread::current().id(),
    };
    (sink, drops)
}

const MOST: usize = LockFreeLogger::MAX_CAPACITY;
const SMALL: usize = 64;

#[test]
fn a_buffer_the_allocator_refuses_is_a_typed_error_from_try_start() {
    for panics_when_dropped in [false, true] {
        let (sink, drops) = counted_sink(panics_when_dropped);
        let error = LockFreeLogger::builder(sink)
            .capacity(MOST)
            .unwrap()
            .try_start()
            .unwrap_err();
        let StartError::Buffer(size) = &error else {
            panic!("expected StartError::Buffer, got {error:?}");
        };
        assert_eq!(*size, SizeError::allocation_failed("capacity", MOST));
        assert_eq!(
            error.to_string(),
            format!(
                "could not start the logger: `capacity` of {MOST} needs more memory than the allocator provided"
            )
        );
        // The sink was dropped once, a panic in its `Drop` caught.
        assert_eq!(drops.load(Ordering::SeqCst), 1, "{panics_when_dropped}");
    }
}

#[test]
fn start_panics_with_the_refusal_instead_of_aborting_the_process() {
    let (sink, drops) = counted_sink(false);
    let builder = LockFreeLogger::builder(sink).capacity(MOST).unwrap();
    let payload = catch_unwind(AssertUnwindSafe(|| builder.start())).unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("could not start the logger: `capacity` of"),
        "{message}"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_granted_buffer_starts_as_before() {
    let sink = SharedSink::default();
    let logger = LockFreeLogger::builder(sink.clone())
        .capacity(SMALL)
        .unwrap()
        .try_start()
        .unwrap();
    logger.log_str(log::Level::Info, "app", "started");
    logger.flush();
    assert_eq!(sink.messages("app"), ["started"]);
}

/// The only test of this binary that installs the `log` facade's logger
/// (one per process).
#[test]
fn an_install_that_cannot_start_installs_nothing_and_a_later_one_succeeds() {
    let (sink, drops) = counted_sink(false);
    let refused = LockFreeLogger::builder(sink)
        .capacity(MOST)
        .unwrap()
        .install()
        .unwrap_err();
    assert!(
        matches!(refused, InstallError::Start(StartError::Buffer(_))),
        "{refused:?}"
    );
    assert!(refused
        .to_string()
        .starts_with("could not start the logger"));
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let sink = SharedSink::default();
    let guard = LockFreeLogger::builder(sink.clone())
        .capacity(SMALL)
        .unwrap()
        .install()
        .unwrap();
    log::info!(target: "app", "installed");
    drop(guard);
    assert_eq!(sink.messages("app"), ["installed"]);
    let again = LockFreeLogger::builder(io::sink())
        .capacity(SMALL)
        .unwrap()
        .install()
        .unwrap_err();
    assert!(matches!(again, InstallError::AlreadyInstalled), "{again:?}");
}

/// Another crate's logger, set for the facade before ours.
struct Foreign;

impl log::Log for Foreign {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, _: &log::Record<'_>) {}
    fn flush(&self) {}
}

/// Before, `install` started its logger (buffer, writer thread) and only
/// then found the facade taken: the refused buffer came out as
/// `Start(Buffer)`, and a granted one (2.4 GB at the most, every slot written)
/// stayed allocated for the rest of the process, its sink dropped on the
/// writer thread (a break run, 2026-12-01).
#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn an_install_after_another_crates_logger_starts_nothing() {
    const NAME: &str = "an_install_after_another_crates_logger_starts_nothing";
    in_child(NAME, || {
        log::set_logger(&Foreign).unwrap();
        for capacity in [MOST, SMALL] {
            let (sink, drops) = counted_sink(false);
            let refused = LockFreeLogger::builder(sink)
                .capacity(capacity)
                .unwrap()
                .install()
                .unwrap_err();
            assert!(
                matches!(refused, InstallError::AlreadyInstalled),
                "{capacity}: {refused:?}"
            );
            // Dropped once, here: no writer thread ever had it.
            assert_eq!(drops.load(Ordering::SeqCst), 1, "{capacity}");
        }
    });
}

/// A writer thread the system refuses: `RUST_MIN_STACK` set in the child
/// to a stack no machine has (std reads it once, for the first thread the
/// process spawns after the test's own).
#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn a_writer_thread_the_system_refuses_is_a_typed_error() {
    const NAME: &str = "a_writer_thread_the_system_refuses_is_a_typed_error";
    in_child_with(
        NAME,
        |child| {
            child.env("RUST_MIN_STACK", (1u64 << 50).to_string());
        },
        || {
            for panics_when_dropped in [false, true] {
                let (sink, drops) = counted_sink(panics_when_dropped);
                let error = LockFreeLogger::builder(sink)
                    .capacity(SMALL)
                    .unwrap()
                    .try_start()
                    .unwrap_err();
                assert!(matches!(error, StartError::WriterThread(_)), "{error:?}");
                assert!(
                    error
                        .to_string()
                        .starts_with("could not start the logger's writer thread: "),
                    "{error}"
                );
                // Dropped once, here, its `Drop`'s panic caught.
                assert_eq!(drops.load(Ordering::SeqCst), 1);
            }
        },
    );
}
