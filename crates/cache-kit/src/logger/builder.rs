//! [`LoggerBuilder`]: a logger's sink, buffer, overflow policy, level and
//! per-target filter.

use std::fmt;
use std::io::Write;

use std::sync::OnceLock;
use std::time::Duration;

use atomics_kit::{drop_caught, SizeError};

use super::LoggerGuard;
use crate::{InstallError, LockFreeLogger, Overflow, StartError};

use super::FilterError;

/// Records the buffer holds unless told otherwise (about 8.9 MB of slots,
/// 136 bytes each; 10.0 MB, 152 bytes, with the `tracing` feature): enough
/// for a thread logging flat out (about 5 M records/s) to ride out a few
/// milliseconds in which the writer does not get a CPU.
const DEFAULT_CAPACITY: usize = 64 * 1024;
/// How long a dropped [`LoggerGuard`] waits for the writer unless told
/// otherwise.
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds a [`LockFreeLogger`]: [`start`](Self::start) it for direct use,
/// or [`install`](Self::install) it as the `log` facade's logger.
///
/// # Examples
///
/// ```
/// use cache_kit::{LockFreeLogger, Overflow};
///
/// let logger = LockFreeLogger::builder(std::io::sink())
///     .capacity(1024)?
///     .overflow(Overflow::Block)
///     .level(log::LevelFilter::Debug)
///     .start();
/// logger.log_str(log::Level::Trace, "app", "filtered out");
/// logger.flush();
/// assert_eq!(logger.stats().logged, 0);
/// # Ok::<(), cache_kit::SizeError>(())
/// ```
#[must_use = "a builder does nothing until `start` or `install` is called"]
pub struct LoggerBuilder {
    sink: PendingSink,
    capacity: usize,
    overflow: Overflow,
    level: log::LevelFilter,
    /// Per-target directives and their text, from `filter`.
    filter: Option<(env_filter::Filter, String)>,
    shutdown_timeout: Duration,
}

impl LoggerBuilder {
    pub(crate) fn new(sink: Box<dyn Write + Send>) -> Self {
        Self {
            sink: PendingSink(Some(sink)),
            capacity: DEFAULT_CAPACITY,
            overflow: Overflow::default(),
            level: log::LevelFilter::Info,
            filter: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    /// How many records the buffer holds (default 65536; its slots are
    /// allocated when the logger starts).
    ///
    /// # Errors
    ///
    /// [`SizeError`] if `records` is 0 or above
    /// [`LockFreeLogger::MAX_CAPACITY`]; the builder is then dropped (a panic
    /// in the sink's `Drop` is caught, never the caller's).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = cache_kit::LockFreeLogger::builder(std::io::sink());
    /// let logger = builder.capacity(1)?.start();
    /// # drop(logger);
    /// let refused = cache_kit::LockFreeLogger::builder(std::io::sink()).capacity(0);
    /// assert_eq!(refused.unwrap_err().argument(), "capacity");
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn capacity(mut self, records: usize) -> Result<Self, SizeError> {
        self.capacity = SizeError::check("capacity", records, LockFreeLogger::MAX_CAPACITY)?;
        Ok(self)
    }

    /// What to do when the buffer is full (default
    /// [`Overflow::DropNewest`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(std::io::sink())
    ///     .overflow(cache_kit::Overflow::Block)
    ///     .start();
    /// # drop(logger);
    /// ```
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The most verbose level logged (default `Info`).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(std::io::sink())
    ///     .level(log::LevelFilter::Warn)
    ///     .start();
    /// logger.log_str(log::Level::Info, "app", "not logged");
    /// assert_eq!(logger.stats().logged, 0);
    /// ```
    ///
    /// It replaces a [`filter`](Self::filter) set before (the last of the
    /// two called decides).
    pub fn level(mut self, level: log::LevelFilter) -> Self {
        self.level = level;
        self.filter = None;
        self
    }

    /// Filters records by target and level with `RUST_LOG`'s syntax, as
    /// env_logger does (the `env_filter` crate parses it): comma-separated
    /// directives `target=level`, `target` (every level) or `level` (the
    /// default for other targets), the longest directive that is a prefix
    /// of the record's target deciding (a plain string prefix, as in
    /// env_logger: `app` covers `application` too);
    /// `"warn,app=debug,app::db=trace"`. Without a bare level, other
    /// targets log nothing; an empty string logs errors only. It applies to every record: the
    /// `log` facade's ([`log::Log::enabled`] answers by it, and a record
    /// it refuses is not formatted), [`LockFreeLogger::log_str`]
    /// and, with the `tracing` feature, the events of
    /// `LockFreeLogger::layer` (a `tracing` target is its module path
    /// too).
    ///
    /// It replaces a [`level`](Self::level) set before (the last of the
    /// two called decides); [`install`](Self::install) sets the facade's
    /// maximum level to the filter's most verbose one.
    ///
    /// # Errors
    ///
    /// [`FilterError`] if a directive does not parse (an unknown level,
    /// `a=b=c`), or has a message pattern (`info/text`), which this
    /// logger does not support; the builder is then dropped (a panic in the
    /// sink's `Drop` is caught, never the caller's).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(std::io::sink())
    ///     .filter("warn,app::db=trace")?
    ///     .start();
    /// logger.log_str(log::Level::Trace, "app::db::pool", "logged: app::db allows trace");
    /// logger.log_str(log::Level::Info, "app::http", "filtered out: warn elsewhere");
    /// assert_eq!(logger.stats().logged, 1);
    ///
    /// let refused = cache_kit::LockFreeLogger::builder(std::io::sink()).filter("app=loud");
    /// assert!(refused.unwrap_err().to_string().contains("app=loud"));
    /// # Ok::<(), cache_kit::logger::FilterError>(())
    /// ```
    pub fn filter(mut self, directives: &str) -> Result<Self, FilterError> {
        if directives.contains('/') {
            return Err(FilterError::message_pattern(directives));
        }
        let filter = env_filter::Builder::new()
            .try_parse(directives)
            .map_err(|error| FilterError::parse(directives, error))?
            .build();
        self.level = filter.filter();
        self.filter = Some((filter, directives.to_owned()));
        Ok(self)
    }

    /// [`filter`](Self::filter) with the `RUST_LOG` environment variable's
    /// directives, if it is set (otherwise the builder is unchanged).
    ///
    /// # Errors
    ///
    /// [`FilterError`] if `RUST_LOG` is not valid Unicode, or as
    /// [`filter`](Self::filter); the builder is then dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// // With RUST_LOG unset: the builder's level (`Info` by default).
    /// let logger = cache_kit::LockFreeLogger::builder(std::io::sink())
    ///     .filter_from_env()?
    ///     .start();
    /// # drop(logger);
    /// # Ok::<(), cache_kit::logger::FilterError>(())
    /// ```
    pub fn filter_from_env(self) -> Result<Self, FilterError> {
        match std::env::var("RUST_LOG") {
            Ok(directives) => self.filter(&directives),
            Err(std::env::VarError::NotPresent) => Ok(self),
            Err(std::env::VarError::NotUnicode(_)) => Err(FilterError::not_unicode()),
        }
    }

    /// How long the [`LoggerGuard`] that [`install`](Self::install)
    /// returns waits, when dropped, for the writer to write what is left
    /// (default 5 s; a stuck sink cannot hang the process's exit longer).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let builder = cache_kit::LockFreeLogger::builder(std::io::stderr())
    ///     .shutdown_timeout(Duration::from_secs(1));
    /// # drop(builder);
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Starts the writer thread and returns the logger.
    ///
    /// # Panics
    ///
    /// If the allocator refuses the buffer or the operating system refuses
    /// to start a thread, with [`StartError`]'s message (as
    /// `std::thread::spawn` panics where `Builder::spawn` returns the
    /// error): [`try_start`](Self::try_start) returns it instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
    /// logger.log_str(log::Level::Info, "app", "started");
    /// ```
    pub fn start(self) -> LockFreeLogger {
        self.try_start()
            .unwrap_or_else(|error| panic!("cache-kit: {error}"))
    }

    /// Starts the writer thread and returns the logger, or the reason it
    /// could not start.
    ///
    /// # Errors
    ///
    /// [`StartError::Buffer`] if the allocator refuses the buffer's slots
    /// (about 2.4 GB at [`LockFreeLogger::MAX_CAPACITY`], 2.7 GB with the
    /// `tracing` feature; where `Vec::with_capacity` would abort the
    /// process), and
    /// [`StartError::WriterThread`] if the operating system refuses the
    /// writer thread. The sink is then dropped, a panic in its `Drop`
    /// caught. The buffer's memory is asked for once before the buffer is
    /// built: only what the allocator refuses is caught (on a system that
    /// overcommits memory a grant may still end in the process being killed
    /// later, and memory taken by another thread between that request and
    /// the buffer's own still aborts).
    ///
    /// # Examples
    ///
    /// ```
    /// let logger = cache_kit::LockFreeLogger::builder(Vec::new())
    ///     .capacity(1024)?
    ///     .try_start()?;
    /// logger.log_str(log::Level::Info, "app", "started");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_start(mut self) -> Result<LockFreeLogger, StartError> {
        let sink = PendingSink(self.sink.0.take());
        LockFreeLogger::try_start(
            sink,
            self.capacity,
            self.overflow,
            self.level,
            self.filter.take().map(|(filter, _)| filter),
        )
    }

    /// Starts the logger and makes it the `log` facade's, with the
    /// facade's maximum level set to this builder's. The logger lives for
    /// the rest of the process; the returned [`LoggerGuard`] shuts it down
    /// when dropped (writing everything logged before, within the
    /// [`shutdown_timeout`](Self::shutdown_timeout)): hold it until the
    /// end of `main`.
    ///
    /// # Errors
    ///
    /// [`InstallError::AlreadyInstalled`] if a logger is already installed,
    /// ours or another crate's: this builder then starts nothing, and its
    /// sink is dropped on the calling thread, a panic in its `Drop` caught.
    /// (Only if another `install` wins a race with this one has this one
    /// started its logger; that logger is then shut down and freed at
    /// once.) [`InstallError::Start`] if the logger could not start, as
    /// [`try_start`](Self::try_start); no logger is installed then, and a
    /// later `install` may succeed.
    ///
    /// # Examples
    ///
    /// ```
    /// fn main() -> Result<(), cache_kit::InstallError> {
    ///     let _guard = cache_kit::LockFreeLogger::builder(std::io::stderr()).install()?;
    ///     log::info!("served by cache-kit");
    ///     Ok(())
    /// } // `_guard` dropped: the line is written before the process exits
    /// ```
    pub fn install(self) -> Result<LoggerGuard, InstallError> {
        if INSTALLED.get().is_some() || !facade_claimed() {
            // Ours was installed before, or another crate's logger holds
            // the facade: start nothing.
            return Err(InstallError::AlreadyInstalled);
        }
        let (level, timeout) = (self.level, self.shutdown_timeout);
        let started = self.try_start().map_err(InstallError::Start)?;
        if let Err(started) = INSTALLED.set(started) {
            // Another `install` set its logger in the meantime: stop and
            // free ours (dropping it shuts its writer down).
            drop(started);
            return Err(InstallError::AlreadyInstalled);
        }
        let logger = INSTALLED.get().expect("set just above");
        log::set_max_level(level);
        Ok(LoggerGuard { logger, timeout })
    }
}

/// The installed logger. It lives in a static, so it is never leaked: one
/// per process, like the facade's own slot.
static INSTALLED: OnceLock<LockFreeLogger> = OnceLock::new();

/// Whether the `log` facade's slot holds [`Facade`] (set by the first
/// `install` that found it free): claimed before any logger starts, so an
/// `install` that finds another crate's logger there starts nothing.
fn facade_claimed() -> bool {
    static CLAIMED: OnceLock<bool> = OnceLock::new();
    *CLAIMED.get_or_init(|| log::set_logger(&Facade).is_ok())
}

/// What the `log` facade calls: the installed logger, once there is one.
/// Until then (and after an `install` whose logger could not start) the
/// facade's maximum level is still its default, `Off`, so the logging
/// macros do not call it.
struct Facade;

impl log::Log for Facade {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        INSTALLED
            .get()
            .is_some_and(|logger| log::Log::enabled(logger, metadata))
    }

    fn log(&self, record: &log::Record<'_>) {
        if let Some(logger) = INSTALLED.get() {
            log::Log::log(logger, record);
        }
    }

    fn flush(&self) {
        if let Some(logger) = INSTALLED.get() {
            log::Log::flush(logger);
        }
    }
}

/// The builder's sink, until the writer thread takes it. A builder
/// dropped with it (after a refused argument, or by an `install` that
/// found a logger already installed), or a start that failed, drops the
/// sink here, catching a panic of its `Drop` (user code): the caller gets
/// the typed error, never that panic.
pub(crate) struct PendingSink(pub(crate) Option<Box<dyn Write + Send>>);

impl Drop for PendingSink {
    fn drop(&mut self) {
        if let Some(sink) = self.0.take() {
            drop_caught(sink);
        }
    }
}

impl fmt::Debug for LoggerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerBuilder")
            .field("capacity", &self.capacity)
            .field("overflow", &self.overflow)
            .field("level", &self.level)
            .field("filter", &self.filter.as_ref().map(|(_, text)| text))
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}
