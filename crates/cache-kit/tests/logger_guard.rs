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
use logger_support::{in_child, SharedSink};

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
