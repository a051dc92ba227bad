//! A logger that never blocks the logging thread on I/O:
//! [`LockFreeLogger`], built by [`LoggerBuilder`], counted by
//! [`LoggerStats`].
//!
//! Logging threads push records into a bounded lock-free queue and return;
//! one writer thread formats them (`line.rs`) and writes them in batches. What a full queue does is the [`Overflow`] policy; the errors
//! are [`StartError`], [`ShutdownTimeout`] and [`InstallError`].
//!
//! Records are filtered by level, or per target with `RUST_LOG`'s syntax
//! ([`LoggerBuilder::filter`], a [`FilterError`] if a directive is bad).
//! With the `tracing` feature (off by default), `tracing` events reach the
//! same queue through `LoggerLayer` (`layer.rs`, a tracing-subscriber
//! `Layer`) or `LoggerMakeWriter` (`make_writer.rs`, for `fmt`).
//!
//! Compiled with the `logger` feature (on by default).

mod builder;
mod clock;
mod errors;
mod format;
mod guard;
mod inline_str;
#[cfg(feature = "tracing")]
mod layer;
mod line;
#[cfg(feature = "tracing")]
mod make_writer;
mod overflow;
// Public only for the loom models of the wait for room.
#[allow(unreachable_pub)]
pub(crate) mod room;
mod spare_buffers;
mod stats;
mod text;
mod thread_name;

use std::cell::Cell;
use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use atomics_kit::{drop_caught, drop_panic_payload, AdmissionGate, PerThreadCounter};
use crossbeam_queue::ArrayQueue;

pub use atomics_kit::SizeError;
pub use builder::LoggerBuilder;
pub use errors::{FilterError, InstallError, ShutdownTimeout, StartError};
pub use guard::LoggerGuard;
#[cfg(feature = "tracing")]
pub use layer::LoggerLayer;
#[cfg(feature = "tracing")]
pub use make_writer::{LoggerMakeWriter, LoggerWriter};
pub use overflow::Overflow;
pub use stats::LoggerStats;

use crate::sync::{Backoff, Condvar, Mutex};
use builder::PendingSink;
use clock::{Clock, WallTimes};
use format::{format_exact, Formatted, Pairs};
use line::LineFormat;
use room::Room;
use spare_buffers::SpareBuffers;
use text::Text;
use thread_name::ThreadName;

/// The writer sends a batch to the sink once it holds this many bytes.
const BATCH_BYTES: usize = 64 * 1024;
/// The largest batch buffer the writer keeps after writing it: a line
/// longer than a batch grows the buffer to its size, which is then freed.
const MAX_KEPT_BATCH: usize = 2 * BATCH_BYTES;
/// While logging threads wait for room ([`Overflow::Block`]), the writer
/// wakes them each time it has popped this many records (and after each
/// pass over the queue): often enough that a wait is short, seldom enough
/// that a woken thread pushes many records before the buffer is full
/// again.
const WAKE_EVERY: u32 = 64;
/// The longest the idle writer sleeps before looking at the queue again.
const MAX_IDLE_SLEEP: Duration = Duration::from_millis(10);
/// The writer thread's name, on its own lines (the drop reports).
const WRITER_THREAD: &str = "cache-kit-logger";
/// The target of the logger's own "N records dropped" records.
const DROP_REPORT_TARGET: &str = "cache_kit::logger";

/// A logger whose logging threads never take a lock or wait in
/// [`Overflow::DropNewest`] mode (the one system call they may make is
/// waking a parked writer when they find the buffer full), and never lose
/// a line silently.
///
/// Each call stamps the time, formats the message (kept inside the record
/// when its text takes at most 55 bytes: the message, its key-value pairs,
/// and the target unless it is the module path, as `log`'s macros set it;
/// so a typical call allocates nothing; beyond that, in a heap buffer the
/// writer hands back once it has written the line, so that only a call
/// that finds no spare buffer, or one too small for its text, allocates,
/// once), and pushes the record into
/// a bounded `crossbeam_queue::ArrayQueue`. A writer thread pops records
/// in order, formats the lines
/// (`2026-11-27T23:59:59.123456Z INFO  [main] app: text`) and writes them
/// to the sink in batches. When the buffer is full the record is dropped
/// and counted, and a "N records dropped" line goes into the log as soon
/// as there is room ([`Overflow::DropNewest`], the default), or the
/// logging thread waits ([`Overflow::Block`]).
///
/// It serves the `log` facade ([`LoggerBuilder::install`]) and can be used
/// directly ([`log_str`](Self::log_str), or `log::Log::log`). A record's
/// key-value pairs (`log::info!(user = "ann", attempt = 3; "signed in")`)
/// are written after its message: `signed in user="ann" attempt=3`
/// (string values quoted, others by their `Display`).
///
/// A logging call never panics and never aborts, whatever the user's code
/// it runs does: a `Display` impl in the message may log again (through
/// this logger or another), panic or fail (the record is written with a
/// marker and counted in [`LoggerStats::format_errors`]), and a
/// thread-local's destructor may log. One exception is Rust's, not the
/// logger's: inside a panic hook, any second panic aborts the process
/// before it can be caught, so a hook that logs a message whose `Display`
/// panics aborts (a hook that logs well-behaved messages is fine).
///
/// No buffer grows for good: a huge message's formatting buffer and the
/// writer's batch buffer are freed after use, and at most 1024 spare heap
/// buffers of at most 1 KiB each are kept for long records.
///
/// # Examples
///
/// ```
/// use cache_kit::LockFreeLogger;
///
/// let logger = LockFreeLogger::builder(Vec::new()).start();
/// std::thread::scope(|s| {
///     for worker in 0..4 {
///         let logger = &logger;
///         s.spawn(move || logger.log_str(log::Level::Info, "app", &format!("worker {worker} done")));
///     }
/// });
/// logger.flush();
/// assert_eq!(logger.stats().written, 4);
/// ```
///
/// Key-value pairs, as the `log` macros pass them:
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// #[derive(Clone, Default)]
/// struct Shared(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Shared {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().write(bytes)
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
///
/// let sink = Shared::default();
/// let logger = cache_kit::LockFreeLogger::builder(sink.clone()).start();
/// let pairs: [(&str, log::kv::Value<'_>); 2] = [("user", "ann".into()), ("attempt", 3.into())];
/// log::Log::log(
///     &logger,
///     &log::Record::builder()
///         .args(format_args!("signed in"))
///         .target("app")
///         .key_values(&pairs)
///         .build(),
/// );
/// logger.flush();
/// let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
/// assert!(text.ends_with(" app: signed in user=\"ann\" attempt=3\n"), "{text}");
/// ```
pub struct LockFreeLogger {
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// What the logging threads and the writer share.
pub(crate) struct Shared {
    queue: ArrayQueue<Entry>,
    /// The heap buffers of popped long records, for the next ones.
    spares: SpareBuffers,
    /// Admits records until shutdown, then tells the writer when the last
    /// admitted push has landed (so no record is stranded in the queue).
    gate: AdmissionGate,
    overflow: Overflow,
    /// Where Block-mode logging threads wait for the writer to pop.
    room: Room,
    pub(crate) level: log::LevelFilter,
    /// Per-target directives (`RUST_LOG` syntax), if the builder was given
    /// any; `level` is then their most verbose level.
    filter: Option<env_filter::Filter>,
    logged: PerThreadCounter,
    /// What records are stamped with; the writer converts (`WallTimes`).
    clock: Clock,
    dropped: AtomicU64,
    written: AtomicU64,
    write_errors: AtomicU64,
    format_errors: AtomicU64,
    /// Flush tickets handed out; the writer serves them in order.
    flush_requested: AtomicU64,
    progress: Mutex<Progress>,
    progressed: Condvar,
    writer_thread: OnceLock<thread::Thread>,
}

#[derive(Default)]
struct Progress {
    /// Every flush ticket up to this one is served.
    flushed: u64,
    /// The writer has written everything and exited.
    finished: bool,
}

/// One record on its way to the writer.
struct Entry {
    /// A reading of `Shared::clock` (0 for a whole line, which has none).
    at: u64,
    level: log::Level,
    thread: ThreadName,
    target: Target,
    text: Text,
}

/// Where a record's target is: a `&'static str` (the usual case: the
/// target is the module path), or the first bytes of `text`; or a record
/// that is a whole line already.
enum Target {
    Static(&'static str),
    Prefix(usize),
    /// A `tracing` event: its target, and the length of the span context
    /// (`outer{a=1}:inner`, maybe empty) that `text` starts with.
    #[cfg(feature = "tracing")]
    Spans {
        target: &'static str,
        context: usize,
    },
    /// A `log` record that tracing-log's `LogTracer` made an event: its
    /// target is the record's, not `'static`, so `text` starts with it
    /// (`target` bytes), then the span context (`context` bytes).
    #[cfg(feature = "tracing")]
    Bridged {
        target: usize,
        context: usize,
    },
    /// A line formatted by someone else (`tracing_subscriber::fmt`),
    /// written as it is.
    #[cfg(feature = "tracing")]
    Raw,
}

impl Target {
    /// Whether the record is a whole line already, whose time and thread
    /// the writer does not write (nor the caller look up).
    fn is_raw(&self) -> bool {
        #[cfg(feature = "tracing")]
        return matches!(self, Self::Raw);
        #[cfg(not(feature = "tracing"))]
        false
    }
}

impl LockFreeLogger {
    /// The largest buffer [`LoggerBuilder::capacity`] accepts: 16,777,216
    /// records, whose slots are allocated when the logger starts.
    pub const MAX_CAPACITY: usize = 1 << 24;

    /// A builder writing to `sink` (a file, `std::io::stderr()`, a `Vec`
    /// in tests: any `Write + Send`).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(std::io::sink()).start();
    /// logger.log_str(log::Level::Warn, "app", "disk almost full");
    /// ```
    pub fn builder(sink: impl Write + Send + 'static) -> LoggerBuilder {
        LoggerBuilder::new(Box::new(sink))
    }

    pub(crate) fn try_start(
        mut sink: PendingSink,
        capacity: usize,
        overflow: Overflow,
        level: log::LevelFilter,
        filter: Option<env_filter::Filter>,
    ) -> Result<Self, StartError> {
        // `ArrayQueue::new` aborts the process if the allocator refuses its
        // slots: ask for the same memory first, fallibly (a slot is an
        // entry and a stamp), and give it back.
        let mut probe = Vec::<(Entry, usize)>::new();
        if probe.try_reserve_exact(capacity).is_err() {
            return Err(StartError::Buffer(SizeError::allocation_failed(
                "capacity", capacity,
            )));
        }
        drop(probe);
        let clock = Clock::new();
        // Before anything can be stamped.
        let wall_times = WallTimes::start(clock);
        let shared = Arc::new(Shared {
            queue: ArrayQueue::new(capacity),
            spares: SpareBuffers::new(),
            gate: AdmissionGate::new(),
            overflow,
            room: Room::new(),
            level,
            filter,
            logged: PerThreadCounter::new(),
            clock,
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            format_errors: AtomicU64::new(0),
            flush_requested: AtomicU64::new(0),
            progress: Mutex::new(Progress::default()),
            progressed: Condvar::new(),
            writer_thread: OnceLock::new(),
        });
        let writer = {
            let shared = Arc::clone(&shared);
            // If the thread does not start, the closure is dropped here
            // with the sink still pending: `PendingSink` catches a panic
            // of its `Drop`.
            thread::Builder::new()
                .name(WRITER_THREAD.into())
                // The sink is user code: at least the workspace's minimum
                // (see `atomics_kit::user_thread_stack`).
                .stack_size(atomics_kit::user_thread_stack())
                .spawn(move || {
                    let sink = sink.0.take().expect("the pending sink is taken once, here");
                    Writer::new(shared, sink, wall_times).run();
                })
                .map_err(StartError::WriterThread)?
        };
        // Set before any logging thread can see the logger.
        let _ = shared.writer_thread.set(writer.thread().clone());
        Ok(Self {
            shared,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Logs `message` at `level` for `target`, as the `log` facade's
    /// `log::log!(target: target, level, "{message}")` would (the level
    /// filter applies).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// logger.log_str(log::Level::Error, "payments", "card declined");
    /// logger.flush();
    /// assert_eq!(logger.stats().written, 1);
    /// ```
    pub fn log_str(&self, level: log::Level, target: &str, message: &str) {
        if self.shared.enabled(level, target) {
            self.shared
                .submit(level, target, None, format_args!("{message}"), None);
        }
    }

    /// A `tracing-subscriber` [`Layer`](tracing_subscriber::Layer) that
    /// logs `tracing` events through this logger: see [`LoggerLayer`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt as _;
    ///
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// let subscriber = tracing_subscriber::Registry::default().with(logger.layer());
    /// tracing::subscriber::with_default(subscriber, || tracing::info!(user = "ann", "signed in"));
    /// logger.flush();
    /// assert_eq!(logger.stats().written, 1);
    /// ```
    #[cfg(feature = "tracing")]
    #[must_use = "a layer does nothing until a subscriber is built with it"]
    pub fn layer(&self) -> LoggerLayer {
        LoggerLayer::new(Arc::clone(&self.shared))
    }

    /// A [`MakeWriter`](tracing_subscriber::fmt::MakeWriter) for
    /// `tracing_subscriber::fmt`: each line it formats goes through this
    /// logger's buffer: see [`LoggerMakeWriter`].
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// let subscriber = tracing_subscriber::fmt().with_writer(logger.make_writer()).finish();
    /// tracing::subscriber::with_default(subscriber, || tracing::warn!("disk almost full"));
    /// logger.flush();
    /// assert_eq!(logger.stats().written, 1);
    /// ```
    #[cfg(feature = "tracing")]
    #[must_use = "a writer maker does nothing until a subscriber is built with it"]
    pub fn make_writer(&self) -> LoggerMakeWriter {
        LoggerMakeWriter::new(Arc::clone(&self.shared))
    }
}

impl Shared {
    /// Whether a record at `level` for `target` passes the level filter
    /// and the per-target directives (if any).
    fn enabled(&self, level: log::Level, target: &str) -> bool {
        level <= self.level
            && self.filter.as_ref().is_none_or(|filter| {
                filter.enabled(&log::Metadata::builder().level(level).target(target).build())
            })
    }

    /// The `log` path: one exact-size `String` for target and text (with
    /// the key-value pairs, if any), one push.
    fn submit(
        &self,
        level: log::Level,
        target: &str,
        static_target: Option<&'static str>,
        args: fmt::Arguments<'_>,
        pairs: Option<Pairs<'_>>,
    ) {
        self.logged.increment();
        // The message's `Display` impls (user code) run before the gate:
        // a shutdown never waits for them.
        let (target, formatted) = match static_target {
            Some(target) => (
                Target::Static(target),
                format_exact(&self.spares, None, args, pairs),
            ),
            None => (
                Target::Prefix(target.len()),
                format_exact(&self.spares, Some(target), args, pairs),
            ),
        };
        self.push(level, target, formatted);
    }

    /// The hot path's end, for every kind of record (already counted in
    /// `logged`): counts a formatting failure, then pushes the record, or
    /// drops and counts it, or waits for room ([`Overflow::Block`]).
    fn push(&self, level: log::Level, target: Target, formatted: Formatted) {
        let shared = self;
        if formatted.failed {
            // Relaxed: a count, read by `stats` only.
            shared.format_errors.fetch_add(1, Ordering::Relaxed);
        }
        let Some(admission) = shared.gate.enter() else {
            // Shut down: counted, never silent (`stats().dropped`).
            // Release: pairs with `stats` (see there).
            shared.dropped.fetch_add(1, Ordering::Release);
            return;
        };
        let text = formatted.text;
        let (at, thread) = if target.is_raw() {
            (0, ThreadName::unnamed())
        } else {
            (shared.clock.now(), ThreadName::current())
        };
        let entry = Entry {
            at,
            level,
            thread,
            target,
            text,
        };
        // The full buffer's handling is out of line: inlined, it cost every
        // call (callgrind, a `log::info!` with two arguments: Block 1,185
        // instructions before, DropNewest 1,144; both 1,125 after).
        let queued = match shared.queue.push(entry) {
            Ok(()) => true,
            Err(refused) => shared.overflowed(refused),
        };
        if queued {
            // The writer counts the records it pops as finished (see
            // `Writer::popped`): one locked instruction fewer per call.
            admission.hand_over();
        } else {
            drop(admission);
        }
    }

    /// The record `refused` found the buffer full: dropped and counted
    /// ([`Overflow::DropNewest`]), or queued once there is room
    /// ([`Overflow::Block`], except on a writer thread, where it is
    /// dropped and counted too). Returns whether it was queued.
    #[cold]
    #[inline(never)]
    fn overflowed(&self, refused: Entry) -> bool {
        let shared = self;
        if shared.overflow == Overflow::DropNewest {
            // Release: pairs with `stats` (see there); the writer reports it
            // in band.
            shared.dropped.fetch_add(1, Ordering::Release);
            shared.wake_writer();
            shared.spares.recycle(refused.text);
            return false;
        }
        let backoff = Backoff::new();
        let mut entry = refused;
        loop {
            if shared.on_writer_thread() || on_some_writer_thread() {
                // A sink that logs, on a writer thread: through its own
                // logger only this thread makes room, so waiting would hang
                // it for good; through another, that one's writer may be
                // waiting on this one (two sinks logging into each other).
                // Dropped and counted instead.
                drop(entry);
                // Release: pairs with `stats` (see there); the writer
                // reports it in band.
                shared.dropped.fetch_add(1, Ordering::Release);
                return false;
            }
            shared.wake_writer();
            if backoff.is_completed() {
                // Wait until the writer pops (see `room.rs`); the push is
                // tried once more after this thread counts as a waiter.
                let mut refused_again = None;
                shared.room.wait_unless(|| match shared.queue.push(entry) {
                    Ok(()) => true,
                    Err(refused) => {
                        refused_again = Some(refused);
                        shared.wake_writer();
                        false
                    }
                });
                match refused_again {
                    Some(refused) => entry = refused,
                    None => return true,
                }
            } else {
                backoff.snooze();
                match shared.queue.push(entry) {
                    Ok(()) => return true,
                    Err(refused) => entry = refused,
                }
            }
        }
    }
}

impl LockFreeLogger {
    /// Returns once every record logged before the call (on any thread
    /// whose log call returned before this call began) is written to the
    /// sink and the sink flushed, or counted lost.
    ///
    /// Called on a logger's writer thread (a sink that flushes this logger
    /// or another), it returns at once: the writer would wait for itself,
    /// or for a writer that may be waiting for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// for n in 0..100 {
    ///     logger.log_str(log::Level::Info, "app", &n.to_string());
    /// }
    /// logger.flush();
    /// assert_eq!(logger.stats().written, 100);
    /// ```
    pub fn flush(&self) {
        let shared = &*self.shared;
        if shared.on_writer_thread() || on_some_writer_thread() {
            // A sink that logged and flushed: its own writer waiting for
            // itself would hang, and so would two writers waiting for each
            // other (sinks that log into each other's logger).
            return;
        }
        // SeqCst: the writer reads the tickets before it drains the queue;
        // this ticket is ordered after this thread's earlier pushes, so a
        // writer that sees it also sees them.
        let ticket = shared.flush_requested.fetch_add(1, Ordering::SeqCst) + 1;
        shared.wake_writer();
        let mut progress = shared.progress.lock();
        while progress.flushed < ticket && !progress.finished {
            progress = shared.progressed.wait(progress);
        }
    }

    /// Stops accepting records, lets the writer write everything already
    /// accepted, and waits for it up to `timeout`. Records logged after
    /// shutdown are counted in `stats().dropped`. Calling it again is
    /// harmless.
    ///
    /// # Errors
    ///
    /// [`ShutdownTimeout`] if the writer has not finished in time (a slow
    /// or stuck sink, in `write` or in `flush`; or, with a very short
    /// timeout, a writer that has written and flushed everything, `pending`
    /// 0, but not yet stopped); it goes on writing in the background.
    /// Called on the writer thread (from the sink, or the last handle
    /// dropped there), it closes the logger and returns this error at once:
    /// the writer cannot finish while it waits for itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// logger.log_str(log::Level::Info, "app", "last words");
    /// logger.shutdown(Duration::from_secs(5))?;
    /// logger.log_str(log::Level::Info, "app", "too late");
    /// let stats = logger.stats();
    /// assert_eq!((stats.written, stats.dropped), (1, 1));
    /// # Ok::<(), cache_kit::ShutdownTimeout>(())
    /// ```
    pub fn shutdown(&self, timeout: Duration) -> Result<(), ShutdownTimeout> {
        self.shutdown_within(Some(timeout))
    }

    /// Whether a shutdown was asked for (by [`shutdown`](Self::shutdown),
    /// a [`LoggerGuard`] or the last handle's drop): records logged from
    /// now on are counted dropped. The writer may still be writing those
    /// logged before.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// assert!(!logger.is_shut_down());
    /// logger.shutdown(Duration::from_secs(5))?;
    /// assert!(logger.is_shut_down());
    /// # Ok::<(), cache_kit::ShutdownTimeout>(())
    /// ```
    #[must_use]
    pub fn is_shut_down(&self) -> bool {
        self.shared.gate.is_closed()
    }

    fn shutdown_within(&self, timeout: Option<Duration>) -> Result<(), ShutdownTimeout> {
        let shared = &*self.shared;
        shared.gate.close();
        shared.wake_writer();
        if shared.on_writer_thread() {
            // The writer stops once this write returns; waiting for it here
            // would wait for itself.
            return Err(self.timed_out());
        }
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let mut progress = shared.progress.lock();
        while !progress.finished {
            progress = match deadline {
                None => shared.progressed.wait(progress),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        drop(progress);
                        return Err(self.timed_out());
                    }
                    shared.progressed.wait_timeout(progress, left).0
                }
            };
        }
        drop(progress);
        if let Some(writer) = self.writer.lock().take() {
            // The writer catches the sink's panics, its drop's included, and
            // has dropped the sink already: it is only returning.
            let _ = writer.join();
        }
        Ok(())
    }

    /// The error of a shutdown that stopped waiting: the records not yet
    /// written or counted lost.
    fn timed_out(&self) -> ShutdownTimeout {
        let stats = self.stats();
        ShutdownTimeout {
            // Saturating, though `stats` never counts a record's fate
            // before counting it logged: an overflow here would panic.
            pending: stats
                .logged
                .saturating_sub(stats.written + stats.dropped + stats.write_errors),
        }
    }

    /// Counts of records logged, written, dropped and lost to sink errors.
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// assert_eq!(logger.stats(), cache_kit::LoggerStats::default());
    /// ```
    #[must_use]
    pub fn stats(&self) -> LoggerStats {
        let shared = &*self.shared;
        // Acquire (the three fates): pairs with their Release increments,
        // each made after the record's `logged` count (on the caller, or
        // on the writer after popping the record), so `logged`, read
        // after them, counts at least every record they count.
        let written = shared.written.load(Ordering::Acquire);
        let dropped = shared.dropped.load(Ordering::Acquire);
        let write_errors = shared.write_errors.load(Ordering::Acquire);
        LoggerStats {
            logged: shared.logged.sum(),
            written,
            dropped,
            write_errors,
            // Relaxed: a tally across the fates, promised nothing against
            // them while calls run.
            format_errors: shared.format_errors.load(Ordering::Relaxed),
        }
    }
}

impl Drop for LockFreeLogger {
    /// Shuts down and waits for everything logged to be written, however
    /// long the sink takes (use [`shutdown`](Self::shutdown) first for a
    /// bounded wait).
    fn drop(&mut self) {
        let _ = self.shutdown_within(None);
    }
}

impl fmt::Debug for LockFreeLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFreeLogger")
            .field("capacity", &self.shared.queue.capacity())
            .field("overflow", &self.shared.overflow)
            .field("level", &self.shared.level)
            .field("stats", &self.stats())
            .finish()
    }
}

impl log::Log for LockFreeLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.shared.enabled(metadata.level(), metadata.target())
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // The same `&'static str` when the macro's target is its module
        // path (the usual case): compared by address first, then bytes.
        let target = record.target();
        let static_target = record.module_path_static().filter(|module| {
            std::ptr::eq(module.as_ptr(), target.as_ptr()) && module.len() == target.len()
                || *module == target
        });
        let source = record.key_values();
        // `count` is user code (a source's own, or one that runs `visit`):
        // a panic there is caught, and reported in the line and counted
        // as the formatting's (see `format_exact`).
        let pairs = match catch_unwind(AssertUnwindSafe(|| source.count() > 0)) {
            Ok(false) => None,
            Ok(true) => Some(Pairs {
                source,
                count_panic: None,
            }),
            Err(payload) => {
                let what = atomics_kit::panic_text(&*payload).unwrap_or("non-string panic payload");
                let count_panic = Some(format!("counting the key-value pairs: {what}"));
                drop_panic_payload(payload);
                Some(Pairs {
                    source,
                    count_panic,
                })
            }
        };
        self.shared.submit(
            record.level(),
            record.target(),
            static_target,
            *record.args(),
            pairs,
        );
    }

    fn flush(&self) {
        LockFreeLogger::flush(self);
    }
}

thread_local! {
    /// Set on every logger's writer thread, for the whole of its run.
    static ON_A_WRITER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is some logger's writer: a sink calling
/// into a logger. Such a call never waits on a writer (see `flush` and
/// [`Overflow::Block`]).
fn on_some_writer_thread() -> bool {
    // `Cell<bool>` has no destructor: readable in every thread-local
    // destructor too.
    ON_A_WRITER_THREAD.try_with(Cell::get).unwrap_or(false)
}

impl Shared {
    /// Whether the calling thread is this logger's writer (a sink that
    /// logs).
    fn on_writer_thread(&self) -> bool {
        self.writer_thread.get().map(thread::Thread::id) == Some(thread::current().id())
    }

    fn wake_writer(&self) {
        if let Some(writer) = self.writer_thread.get() {
            writer.unpark();
        }
    }
}

/// The writer thread's state.
struct Writer {
    shared: Arc<Shared>,
    sink: Box<dyn Write + Send>,
    batch: Vec<u8>,
    line: LineFormat,
    wall_times: WallTimes,
    records_in_batch: u64,
    drops_reported: u64,
    /// Records popped so far: each was pushed by a call that handed its
    /// admission over (`Shared::push`), so they count as finished calls
    /// in the shutdown's `try_wait_for_admitted_with`.
    popped: u64,
}

impl Writer {
    fn new(shared: Arc<Shared>, sink: Box<dyn Write + Send>, wall_times: WallTimes) -> Self {
        Self {
            shared,
            sink,
            batch: Vec::with_capacity(BATCH_BYTES),
            line: LineFormat::default(),
            wall_times,
            records_in_batch: 0,
            drops_reported: 0,
            popped: 0,
        }
    }

    fn run(mut self) {
        ON_A_WRITER_THREAD.with(|flag| flag.set(true));
        let mut idle_sleep = Duration::ZERO;
        loop {
            // SeqCst: pairs with `flush`'s ticket (see there). Read before
            // draining, as is the gate: once the gate is closed and every
            // admitted call has either finished without queueing or had
            // its record popped, nothing more can arrive and this pass ends
            // the writer.
            let tickets = self.shared.flush_requested.load(Ordering::SeqCst);
            let all_admitted_popped = self
                .shared
                .gate
                .try_wait_for_admitted_with(self.popped)
                .is_some();
            let mut found = false;
            let mut since_wake: u32 = 0;
            while let Some(entry) = self.shared.queue.pop() {
                found = true;
                self.popped += 1;
                since_wake += 1;
                if since_wake == WAKE_EVERY {
                    since_wake = 0;
                    self.shared.room.notify();
                }
                self.format(&entry);
                self.shared.spares.recycle(entry.text);
                if self.batch.len() >= BATCH_BYTES {
                    self.write_batch();
                }
            }
            self.shared.room.notify();
            self.report_drops();
            self.write_batch();
            self.serve_flushes(tickets);
            if all_admitted_popped {
                break;
            }
            if found {
                idle_sleep = Duration::ZERO;
            } else {
                idle_sleep = (idle_sleep * 2).clamp(Duration::from_micros(100), MAX_IDLE_SLEEP);
                thread::park_timeout(idle_sleep);
            }
        }
        self.report_drops();
        self.write_batch();
        // The sink's `Drop` is user code (an encoder writing its trailer, a
        // socket closing): run before the shutdown hears that the writer
        // finished, so that its time counts against the shutdown's timeout,
        // and caught, payload and all, so that its panic never reaches the
        // thread that joins the writer.
        let sink = std::mem::replace(&mut self.sink, Box::new(std::io::sink()));
        drop_caught(sink);
        let mut progress = self.shared.progress.lock();
        progress.finished = true;
        self.shared.progressed.notify_all();
    }

    fn format(&mut self, entry: &Entry) {
        let text = entry.text.as_bytes();
        let (context, target, message): (&[u8], &[u8], &[u8]) = match entry.target {
            Target::Static(target) => (b"", target.as_bytes(), text),
            Target::Prefix(length) => {
                let (target, message) = text.split_at(length);
                (b"", target, message)
            }
            #[cfg(feature = "tracing")]
            Target::Spans { target, context } => {
                let (context, message) = text.split_at(context);
                (context, target.as_bytes(), message)
            }
            #[cfg(feature = "tracing")]
            Target::Bridged { target, context } => {
                let (target, rest) = text.split_at(target);
                let (context, message) = rest.split_at(context);
                (context, target, message)
            }
            #[cfg(feature = "tracing")]
            Target::Raw => {
                self.batch.extend_from_slice(text);
                self.records_in_batch += 1;
                return;
            }
        };
        self.line.write_line(
            &mut self.batch,
            self.wall_times.wall(entry.at),
            entry.level,
            entry.thread.as_bytes(),
            context,
            target,
            message,
        );
        self.records_in_batch += 1;
    }

    /// Puts a "N records dropped" record in the log for drops not yet
    /// reported, so that a loss is visible where the lines are missing:
    /// a `WARN` line from this thread for the target `cache_kit::logger`,
    /// stamped when the writer saw the drops. It is the logger's own line,
    /// not one of the records `stats` counts.
    fn report_drops(&mut self) {
        // Relaxed: a count (see `submit`).
        let dropped = self.shared.dropped.load(Ordering::Relaxed);
        if dropped > self.drops_reported {
            let count = dropped - self.drops_reported;
            let message = format!(
                "{count} record{} dropped (buffer full or logger shut down)",
                if count == 1 { "" } else { "s" }
            );
            self.line.write_line(
                &mut self.batch,
                clock::nanos_since_epoch(crate::sync::wall_clock()),
                log::Level::Warn,
                WRITER_THREAD.as_bytes(),
                b"",
                DROP_REPORT_TARGET.as_bytes(),
                message.as_bytes(),
            );
            self.drops_reported = dropped;
        }
    }

    /// Writes and flushes the batch; a sink error or panic loses the
    /// batch's records, counted in `write_errors`.
    fn write_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let (sink, batch) = (&mut self.sink, &self.batch);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            sink.write_all(batch)?;
            sink.flush()
        }));
        let counter = match outcome {
            Ok(Ok(())) => &self.shared.written,
            Ok(Err(_)) => &self.shared.write_errors,
            Err(payload) => {
                // The sink's panic payload may panic when dropped too; the
                // writer thread must survive it.
                drop_panic_payload(payload);
                &self.shared.write_errors
            }
        };
        // Release: pairs with `stats`' Acquire load, so that a snapshot
        // that counts these records also sees them counted logged (each was
        // counted before its push, which this thread's pop acquired).
        counter.fetch_add(self.records_in_batch, Ordering::Release);
        self.batch.clear();
        self.records_in_batch = 0;
        if self.batch.capacity() > MAX_KEPT_BATCH {
            // A huge line grew the batch: not kept for the logger's life.
            self.batch = Vec::with_capacity(BATCH_BYTES);
        }
    }

    fn serve_flushes(&self, tickets: u64) {
        let mut progress = self.shared.progress.lock();
        if tickets > progress.flushed {
            progress.flushed = tickets;
            self.shared.progressed.notify_all();
        }
    }
}
