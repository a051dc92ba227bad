//! [`Overflow`]: what logging does when the buffer is full.

/// What [`LockFreeLogger`](crate::LockFreeLogger) does with a record when
/// its buffer is full (the writer is behind).
///
/// # Examples
///
/// ```
/// use cache_kit::{LockFreeLogger, Overflow};
///
/// let logger = LockFreeLogger::builder(Vec::new()).overflow(Overflow::Block).start();
/// logger.log_str(log::Level::Info, "app", "never lost");
/// logger.flush();
/// assert_eq!(logger.stats().dropped, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Drop the new record, count it, and write a "N records dropped"
    /// record (level `WARN`, target `cache_kit::logger`, formatted like
    /// every line) as soon as there is room, so the loss shows in the log
    /// itself. The logging thread never waits.
    #[default]
    DropNewest,
    /// Wait until the writer makes room: nothing is lost, and logging slows
    /// to the sink's pace. The one exception is a sink that logs, on a
    /// writer thread: a full buffer drops and counts the record as
    /// `DropNewest` does. Through its own logger, waiting would hang the
    /// writer for good (it alone makes room); through another logger, it
    /// would hang both writers when that logger's sink logs back into this
    /// one.
    Block,
}
