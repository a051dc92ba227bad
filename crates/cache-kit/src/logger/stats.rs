//! [`LoggerStats`]: what a logger has done with the records given to it.

/// Record counts since the logger started, from
/// [`LockFreeLogger::stats`](crate::LockFreeLogger::stats).
///
/// After [`flush`](crate::LockFreeLogger::flush) returns, every record
/// logged before it is accounted for:
/// `logged == written + dropped + write_errors`.
///
/// # Examples
///
/// ```
/// use cache_kit::LockFreeLogger;
///
/// let logger = LockFreeLogger::builder(Vec::new()).start();
/// logger.log_str(log::Level::Info, "app", "hello");
/// logger.flush();
/// let stats = logger.stats();
/// assert_eq!((stats.logged, stats.written, stats.dropped, stats.write_errors), (1, 1, 0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggerStats {
    /// Records the logger was given (enabled by its level filter).
    pub logged: u64,
    /// Records written to the sink.
    pub written: u64,
    /// Records refused: the buffer was full in
    /// [`Overflow::DropNewest`](crate::Overflow::DropNewest) mode, or the
    /// logger was shut down. Each loss while the writer runs is also
    /// reported in the log itself, by a "records dropped" line.
    pub dropped: u64,
    /// Records lost because the sink failed to write or flush them (an
    /// error or a panic in the sink).
    pub write_errors: u64,
}
