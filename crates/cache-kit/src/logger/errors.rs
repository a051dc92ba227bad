//! The logger's errors: [`ShutdownTimeout`], [`StartError`], [`InstallError`] and
//! [`FilterError`].

use std::{fmt, io};

use atomics_kit::SizeError;

/// [`LockFreeLogger::shutdown`](crate::LockFreeLogger::shutdown) ran out of
/// time before the writer had written and flushed everything and stopped
/// (the sink is slow or stuck, in `write` or in `flush`), or was called on
/// the writer thread itself. The writer goes on in the background; `stats`
/// shows how far.
///
/// # Examples
///
/// ```
/// use cache_kit::{LockFreeLogger, ShutdownTimeout};
/// use std::time::Duration;
///
/// fn stop(logger: &LockFreeLogger) {
///     if let Err(ShutdownTimeout { pending, .. }) = logger.shutdown(Duration::from_secs(1)) {
///         eprintln!("the sink is stuck: {pending} records not written");
///     }
/// }
/// # stop(&LockFreeLogger::builder(Vec::new()).start());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownTimeout {
    /// Records logged but not yet written or counted lost when time ran
    /// out. A record counts as written once the sink's `flush` after it
    /// returned, so a sink stuck in `flush` leaves its whole last batch
    /// pending although `write` took the bytes. 0 when everything was
    /// written but the writer had not stopped yet (a very short timeout).
    pub pending: u64,
}

impl fmt::Display for ShutdownTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "logger shutdown timed out with {} records not yet written",
            self.pending
        )
    }
}

impl std::error::Error for ShutdownTimeout {}

/// [`LoggerBuilder::try_start`](crate::LoggerBuilder::try_start) (or
/// [`install`](crate::LoggerBuilder::install)) could not start the logger:
/// the allocator refused its record buffer, or the operating system refused
/// its writer thread. Nothing is left running; the sink was dropped (a
/// panic in its `Drop` caught).
///
/// # Examples
///
/// ```
/// use cache_kit::{LockFreeLogger, StartError};
///
/// match LockFreeLogger::builder(std::io::sink()).try_start() {
///     Ok(logger) => logger.log_str(log::Level::Info, "app", "started"),
///     Err(StartError::Buffer(size)) => eprintln!("no memory for the log buffer: {size}"),
///     Err(error) => eprintln!("{error}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The allocator refused the buffer's slots
    /// ([`SizeError::is_allocation_failure`]; the error names the
    /// capacity asked for).
    Buffer(SizeError),
    /// The operating system refused to start the writer thread.
    WriterThread(io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Buffer(error) => write!(f, "could not start the logger: {error}"),
            Self::WriterThread(error) => {
                write!(f, "could not start the logger's writer thread: {error}")
            }
        }
    }
}

/// No `source`: the message already holds the cause's text, which a
/// printer walking the chain (anyhow's `{:#}`) would show twice.
impl std::error::Error for StartError {}

/// [`LoggerBuilder::install`](crate::LoggerBuilder::install) could not make
/// its logger the `log` facade's.
///
/// # Examples
///
/// ```
/// use cache_kit::{InstallError, LockFreeLogger};
///
/// let _guard = LockFreeLogger::builder(std::io::sink()).install()?;
/// let again = LockFreeLogger::builder(std::io::sink()).install();
/// assert!(matches!(again, Err(InstallError::AlreadyInstalled)));
/// assert_eq!(
///     again.unwrap_err().to_string(),
///     "a logger is already installed for the `log` facade"
/// );
/// # Ok::<(), InstallError>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum InstallError {
    /// Another logger (ours or another crate's) is already set for the
    /// `log` facade: there is one per process.
    AlreadyInstalled,
    /// The logger could not start (see [`StartError`]).
    Start(StartError),
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyInstalled => {
                f.write_str("a logger is already installed for the `log` facade")
            }
            Self::Start(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// No `source`, as [`StartError`].
impl std::error::Error for InstallError {}

/// [`LoggerBuilder::filter`](crate::LoggerBuilder::filter) (or
/// [`filter_from_env`](crate::LoggerBuilder::filter_from_env)) could not
/// use its directives: one does not parse (the `env_filter` crate's
/// error's text ends this error's message, so that printing the error
/// alone tells the whole story; [`source`](std::error::Error::source) is
/// `None`), it has a message pattern (`info/text`), or `RUST_LOG` is not
/// valid Unicode.
///
/// # Examples
///
/// ```
/// let error = cache_kit::LockFreeLogger::builder(std::io::sink())
///     .filter("app=loud")
///     .unwrap_err();
/// assert_eq!(error.directives(), "app=loud");
/// assert!(std::error::Error::source(&error).is_none()); // its text is in the message
/// println!("{error}"); // invalid log filter "app=loud": error parsing logger filter: ..
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    directives: String,
    kind: FilterErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FilterErrorKind {
    Parse(env_filter::ParseError),
    MessagePattern,
    NotUnicode,
}

impl FilterError {
    pub(crate) fn parse(directives: &str, error: env_filter::ParseError) -> Self {
        Self {
            directives: directives.to_owned(),
            kind: FilterErrorKind::Parse(error),
        }
    }

    pub(crate) fn message_pattern(directives: &str) -> Self {
        Self {
            directives: directives.to_owned(),
            kind: FilterErrorKind::MessagePattern,
        }
    }

    pub(crate) fn not_unicode() -> Self {
        Self {
            directives: String::new(),
            kind: FilterErrorKind::NotUnicode,
        }
    }

    /// The directives refused (empty if `RUST_LOG` was not Unicode).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = cache_kit::LockFreeLogger::builder(std::io::sink())
    ///     .filter("info/needle")
    ///     .unwrap_err();
    /// assert_eq!(error.directives(), "info/needle");
    /// ```
    #[must_use]
    pub fn directives(&self) -> &str {
        &self.directives
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            FilterErrorKind::Parse(error) => {
                write!(f, "invalid log filter {:?}: {error}", self.directives)
            }
            FilterErrorKind::MessagePattern => write!(
                f,
                "invalid log filter {:?}: message patterns (`/text`) are not supported",
                self.directives
            ),
            FilterErrorKind::NotUnicode => f.write_str("RUST_LOG is not valid Unicode"),
        }
    }
}

/// No `source`: the message already holds the parser's text, which a
/// printer walking the chain (anyhow's `{:#}`) would show twice.
impl std::error::Error for FilterError {}
