//! The logger's errors: [`ShutdownTimeout`] and [`InstallError`].

use std::fmt;

/// [`LockFreeLogger::shutdown`](crate::LockFreeLogger::shutdown) ran out of
/// time before the writer had written everything (the sink is slow or
/// stuck). The writer goes on in the background; `stats` shows how far.
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
    /// Records logged but not yet written or counted lost when time ran out.
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

/// [`LoggerBuilder::install`](crate::LoggerBuilder::install) found another
/// logger already set for the `log` facade (there is one per process).
///
/// # Examples
///
/// ```
/// assert_eq!(
///     cache_kit::InstallError.to_string(),
///     "a logger is already installed for the `log` facade"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallError;

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a logger is already installed for the `log` facade")
    }
}

impl std::error::Error for InstallError {}
