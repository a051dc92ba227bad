//! [`LoggerGuard`]: shuts the installed logger down when dropped.

use std::fmt;
use std::io::Write;
use std::ops::Deref;
use std::time::Duration;

use crate::LockFreeLogger;

/// The installed logger's guard, from
/// [`LoggerBuilder::install`](crate::LoggerBuilder::install): dropped, it
/// shuts the logger down, waiting up to the builder's
/// [`shutdown_timeout`](crate::LoggerBuilder::shutdown_timeout) for the
/// writer to write everything logged before, as tracing-appender's
/// `WorkerGuard` does. Hold it until the end of `main` (`let _guard = ..`,
/// not `let _ = ..`, which drops it at once); records logged after it is
/// dropped are counted in `stats().dropped`.
///
/// It derefs to the [`LockFreeLogger`] (`guard.stats()`,
/// `guard.shutdown(timeout)` for a shutdown whose timeout you handle; the
/// guard's drop then has nothing left to do). If the writer has not
/// finished in time when the guard drops, the guard says so on stderr, the
/// one place left to say it: `cache-kit logger: logger shutdown timed out
/// with N records not yet written`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let guard = cache_kit::LockFreeLogger::builder(std::io::stderr())
///     .shutdown_timeout(Duration::from_secs(2))
///     .install()?;
/// log::warn!("disk almost full");
/// let logger: &'static cache_kit::LockFreeLogger = guard.logger();
/// drop(guard); // written and the writer stopped
/// assert_eq!(logger.stats().written, 1);
/// log::warn!("too late");
/// assert_eq!(logger.stats().dropped, 1);
/// # Ok::<(), cache_kit::InstallError>(())
/// ```
#[must_use = "dropping the guard shuts the logger down at once: hold it (`let _guard = ..`) until the end of `main`"]
pub struct LoggerGuard {
    pub(crate) logger: &'static LockFreeLogger,
    pub(crate) timeout: Duration,
}

impl LoggerGuard {
    /// The installed logger, which outlives the guard (it is shut down, not
    /// freed, when the guard drops).
    ///
    /// # Examples
    ///
    /// ```
    /// let guard = cache_kit::LockFreeLogger::builder(std::io::sink()).install()?;
    /// let logger: &'static cache_kit::LockFreeLogger = guard.logger();
    /// assert_eq!(logger.stats().logged, 0);
    /// # Ok::<(), cache_kit::InstallError>(())
    /// ```
    #[must_use]
    pub fn logger(&self) -> &'static LockFreeLogger {
        self.logger
    }
}

impl Deref for LoggerGuard {
    type Target = LockFreeLogger;

    fn deref(&self) -> &LockFreeLogger {
        self.logger
    }
}

impl Drop for LoggerGuard {
    /// Shuts the logger down, waiting up to the shutdown timeout, unless a
    /// shutdown was asked for already (`guard.shutdown(timeout)`, whose
    /// outcome its caller handled); never panics (a failed write to stderr
    /// is ignored).
    fn drop(&mut self) {
        if self.logger.is_shut_down() {
            return;
        }
        if let Err(timeout) = self.logger.shutdown(self.timeout) {
            let _ = writeln!(std::io::stderr(), "cache-kit logger: {timeout}");
        }
    }
}

impl fmt::Debug for LoggerGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerGuard")
            .field("logger", self.logger)
            .field("timeout", &self.timeout)
            .finish()
    }
}
