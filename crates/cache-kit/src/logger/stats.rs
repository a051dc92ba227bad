//! [`LoggerStats`]: what a logger has done with the records given to it.

/// Record counts since the logger started, from
/// [`LockFreeLogger::stats`](crate::LockFreeLogger::stats).
///
/// After [`flush`](crate::LockFreeLogger::flush) returns, every record
/// whose logging call returned before it is accounted for:
/// `logged == written + dropped + write_errors` once no logging call is
/// still running (`logged` counts a call as it starts, before its message
/// is formatted or, in Block mode, finds room), whatever formatting its
/// message did (a `Display` impl that panics is counted in
/// `format_errors` too). A snapshot taken while calls run never counts a
/// record's fate before the record: `written + dropped + write_errors <=
/// logged` in every snapshot.
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
///
/// struct Broken;
/// impl std::fmt::Display for Broken {
///     fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         panic!("a bug in a Display impl")
///     }
/// }
/// // The panic hook reports the panic; the logging call returns.
/// log::Log::log(&logger, &log::Record::builder().args(format_args!("{}", Broken)).build());
/// logger.flush();
/// let stats = logger.stats();
/// assert_eq!((stats.logged, stats.written, stats.format_errors), (2, 2, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggerStats {
    /// Records the logger was given: `log` records, `log_str` calls and
    /// `tracing` events its level and filter let through, and lines from
    /// its `tracing` `MakeWriter` (feature `tracing`).
    pub logged: u64,
    /// Records written to the sink and flushed: a record counts here once
    /// the sink's `flush` after its batch returned `Ok` (a batch whose
    /// `write` or `flush` failed counts in `write_errors` instead).
    pub written: u64,
    /// Records refused: the buffer was full in
    /// [`Overflow::DropNewest`](crate::Overflow::DropNewest) mode, or the
    /// logger was shut down. Each loss while the writer runs is also
    /// reported in the log itself, by a `WARN` record for the target
    /// `cache_kit::logger`: "N records dropped (buffer full or logger shut
    /// down)" (the logger's own line, not counted here).
    pub dropped: u64,
    /// Records lost because the sink failed to write or flush them (an
    /// error or a panic in the sink).
    pub write_errors: u64,
    /// Records whose message failed to format: a `Display` impl in it
    /// panicked or returned an error (for a `tracing` event, a field's
    /// `Debug` or `Display`, its own or one of its spans'). Not a fourth fate but a tally across
    /// the other three: such a record is still written (or dropped, or
    /// lost to the sink) like any other, with the text formatted before
    /// the failure and a `[formatting panicked: <panic message>]` or
    /// `[formatting failed: ..]` marker after it. The panic is caught
    /// (the panic hook has seen it) and never reaches the logging call;
    /// its payload is dropped, a payload whose own `Drop` panics included.
    pub format_errors: u64,
}
