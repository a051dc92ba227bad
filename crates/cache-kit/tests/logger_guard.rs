//! The guard `install` returns: dropped, it writes what was logged and
//! stops the writer; with a stuck sink, its drop gives up after the
//! shutdown timeout instead of hanging the process. Each test installs the
//! `log` facade's logger, which a process has one of, so each runs in a
//! child process of its own.

mod logger_support;

use std::io::{self, Write};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::Duration;

use cache_kit::{LockFreeLogger, LoggerGuard};
use fearless_test_support::in_child;
use logger_support::{Grenade, SharedSink};

const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn the_guard_is_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LoggerGuard>();
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn dropping_the_guard_writes_everything_logged_and_stops_the_writer() {
    const NAME: &str = "dropping_the_guard_writes_everything_logged_and_stops_the_writer";
    in_child(NAME, || {
        let sink = SharedSink::default();
        let guard = LockFreeLogger::builder(sink.clone()).install().unwrap();
        let logger: &'static LockFreeLogger = guard.logger();
        for n in 0..100 {
            log::info!(target: "app", "{n}");
        }
        drop(guard);
        assert_eq!(sink.messages("app").len(), 100);
        log::info!(target: "app", "after the guard");
        let stats = logger.stats();
        assert_eq!((stats.logged, stats.written, stats.dropped), (101, 100, 1));
        assert_eq!(sink.messages("app").len(), 100);
    });
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn the_guard_derefs_to_the_logger_and_an_explicit_shutdown_leaves_its_drop_nothing_to_do() {
    const NAME: &str =
        "the_guard_derefs_to_the_logger_and_an_explicit_shutdown_leaves_its_drop_nothing_to_do";
    in_child(NAME, || {
        let sink = SharedSink::default();
        let guard = LockFreeLogger::builder(sink.clone()).install().unwrap();
        log::warn!(target: "app", "one");
        guard.shutdown(PATIENCE).unwrap();
        assert_eq!(guard.stats().written, 1);
        drop(guard);
        assert_eq!(sink.messages("app"), ["one"]);
    });
}

/// A sink that blocks until the test releases it.
struct StuckSink(Mutex<mpsc::Receiver<()>>);

impl Write for StuckSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let _ = self.0.lock().unwrap().recv_timeout(PATIENCE);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn dropping_the_guard_with_a_stuck_sink_gives_up_after_the_shutdown_timeout() {
    const NAME: &str = "dropping_the_guard_with_a_stuck_sink_gives_up_after_the_shutdown_timeout";
    in_child(NAME, || {
        let (release, released) = mpsc::channel();
        let guard = LockFreeLogger::builder(StuckSink(Mutex::new(released)))
            .shutdown_timeout(Duration::from_millis(20))
            .install()
            .unwrap();
        let logger = guard.logger();
        log::info!("stuck");
        // A drop that hung would leave this thread waiting: wait on a
        // thread of its own, which a failing test leaves behind.
        let (dropped, done) = mpsc::channel();
        thread::spawn(move || {
            drop(guard);
            dropped.send(()).unwrap();
        });
        done.recv_timeout(PATIENCE)
            .expect("the guard's drop hung on a stuck sink");
        // The writer goes on in the background once the sink moves.
        release.send(()).unwrap();
        logger.shutdown(PATIENCE).unwrap();
        assert_eq!(logger.stats().written, 1);
    });
}

/// A guard whose logger was shut down by its caller, who handled the
/// timeout, does nothing more when dropped: no second wait of the guard's
/// own timeout (an hour here), no second report on stderr.
#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn a_guard_whose_caller_handled_a_shutdown_timeout_waits_no_more() {
    const NAME: &str = "a_guard_whose_caller_handled_a_shutdown_timeout_waits_no_more";
    in_child(NAME, || {
        let (release, released) = mpsc::channel();
        let guard = LockFreeLogger::builder(StuckSink(Mutex::new(released)))
            .shutdown_timeout(Duration::from_secs(3600))
            .install()
            .unwrap();
        let logger = guard.logger();
        log::info!("stuck");
        assert!(
            guard.shutdown(Duration::from_millis(20)).is_err(),
            "the sink is stuck"
        );
        let (dropped, done) = mpsc::channel();
        thread::spawn(move || {
            drop(guard);
            dropped.send(()).unwrap();
        });
        done.recv_timeout(PATIENCE)
            .expect("the guard's drop waited again");
        release.send(()).unwrap();
        logger.shutdown(PATIENCE).unwrap();
    });
}

/// A sink whose `Drop` blocks until released.
struct SlowToDrop(Mutex<mpsc::Receiver<()>>);

impl Write for SlowToDrop {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        let _ = self
            .0
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(3600));
    }
}

/// The sink's `Drop` (an encoder writing its trailer, a socket closing)
/// counts against a shutdown's timeout: `shutdown` gives up in time
/// instead of joining a writer still dropping its sink.
#[test]
fn a_shutdown_gives_up_in_time_while_the_sink_is_slow_to_drop() {
    let (release, released) = mpsc::channel();
    let logger = LockFreeLogger::builder(SlowToDrop(Mutex::new(released))).start();
    logger.log_str(log::Level::Info, "app", "one");
    let (returned, done) = mpsc::channel();
    thread::scope(|s| {
        s.spawn(|| {
            let outcome = logger.shutdown(Duration::from_millis(20));
            returned.send(outcome.is_err()).unwrap();
        });
        let timed_out = done.recv_timeout(PATIENCE);
        release.send(()).unwrap();
        assert_eq!(timed_out, Ok(true), "shutdown waited for the sink's drop");
    });
    logger.shutdown(PATIENCE).unwrap();
    assert_eq!(logger.stats().written, 1);
}

/// A sink whose `Drop` panics with a `Grenade`.
struct PanicsWhenDropped;

impl Write for PanicsWhenDropped {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        std::panic::panic_any(Grenade);
    }
}

/// A refused argument drops the builder and its sink: the sink's panic
/// came out of `capacity` and `filter` instead of their typed errors (a
/// break run; an `install` finding a logger installed drops its builder
/// the same way).
#[test]
fn a_refused_argument_returns_its_error_even_if_the_sinks_drop_panics() {
    let refused = LockFreeLogger::builder(PanicsWhenDropped).capacity(0);
    assert_eq!(refused.unwrap_err().argument(), "capacity");
    let refused = LockFreeLogger::builder(PanicsWhenDropped).filter("app=loud");
    assert!(refused.unwrap_err().to_string().contains("app=loud"));
    // Started, the same sink is dropped by the writer, which survives it.
    let logger = LockFreeLogger::builder(PanicsWhenDropped).start();
    logger.log_str(log::Level::Info, "app", "one");
    logger.shutdown(PATIENCE).unwrap();
    assert_eq!(logger.stats().written, 1);
}

/// The sink's `Drop` panicking, even with a payload whose own `Drop`
/// panics, reaches neither a shutdown's caller nor a thread that drops the
/// logger while unwinding (that aborted the process).
#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn a_sink_whose_drop_panics_never_panics_the_shutdown_or_aborts() {
    const NAME: &str = "a_sink_whose_drop_panics_never_panics_the_shutdown_or_aborts";
    in_child(NAME, || {
        let logger = LockFreeLogger::builder(PanicsWhenDropped).start();
        logger.log_str(log::Level::Info, "app", "one");
        logger.shutdown(PATIENCE).unwrap();
        assert_eq!(logger.stats().written, 1);
        let unwound = std::panic::catch_unwind(|| {
            let _logger = LockFreeLogger::builder(PanicsWhenDropped).start();
            panic!("the caller's own panic, with the logger dropped in the unwind");
        });
        assert!(unwound.is_err());
    });
}
