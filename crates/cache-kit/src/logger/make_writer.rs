//! [`LoggerMakeWriter`]: `tracing_subscriber::fmt`'s lines through the
//! logger's buffer.

use std::fmt;
use std::io;
use std::sync::Arc;

use tracing_subscriber::fmt::MakeWriter;

use super::{Formatted, Shared, Target};

/// A [`MakeWriter`] for users who keep `tracing_subscriber::fmt`'s
/// formatting, from
/// [`LockFreeLogger::make_writer`](crate::LockFreeLogger::make_writer)
/// (cargo feature `tracing`); what `tracing_appender::non_blocking` is,
/// with the logger's accounting.
///
/// `fmt` formats each event on the caller's thread and writes the line to
/// a [`LoggerWriter`]; when `fmt` drops that writer, the line goes into the
/// logger's buffer as one record, written by the writer thread as it is
/// (the logger adds no timestamp or level of its own, and writes the bytes
/// as they are, as `tracing_appender` does). A full buffer drops
/// and counts the line ([`Overflow::DropNewest`], and the "N records
/// dropped" line follows in the logger's own format) or waits for room
/// ([`Overflow::Block`]); each line is counted in [`LoggerStats`]. The
/// logger's level and filter do not apply: the subscriber has chosen the
/// events already. `fmt` runs the fields' `Debug` and `Display` itself and
/// does not catch their panics: a field that panics panics the caller
/// under `fmt`, where [`LoggerLayer`](crate::logger::LoggerLayer) catches
/// and counts it.
///
/// [`Overflow::DropNewest`]: crate::Overflow::DropNewest
/// [`Overflow::Block`]: crate::Overflow::Block
/// [`LoggerStats`]: crate::LoggerStats
///
/// # Examples
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
/// let subscriber = tracing_subscriber::fmt()
///     .with_writer(logger.make_writer())
///     .without_time()
///     .with_ansi(false)
///     .finish();
/// tracing::subscriber::with_default(subscriber, || tracing::info!(user = "ann", "signed in"));
/// logger.flush();
/// let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
/// assert_eq!(text, format!(" INFO {}: signed in user=\"ann\"\n", module_path!()));
/// assert_eq!(logger.stats().written, 1);
/// ```
#[derive(Clone)]
#[must_use = "a writer maker does nothing until a subscriber is built with it"]
pub struct LoggerMakeWriter {
    shared: Arc<Shared>,
}

impl LoggerMakeWriter {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl fmt::Debug for LoggerMakeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerMakeWriter").finish_non_exhaustive()
    }
}

impl<'a> MakeWriter<'a> for LoggerMakeWriter {
    type Writer = LoggerWriter<'a>;

    fn make_writer(&'a self) -> LoggerWriter<'a> {
        LoggerWriter {
            shared: &self.shared,
            line: Vec::new(),
        }
    }
}

/// One line on its way into the logger's buffer, from
/// [`LoggerMakeWriter`]: it collects what is written to it and pushes it
/// as one record when dropped (nothing, if nothing was written). Its
/// `write` and `flush` never fail.
///
/// # Examples
///
/// ```
/// use std::io::Write as _;
/// use tracing_subscriber::fmt::MakeWriter as _;
///
/// let logger = cache_kit::LockFreeLogger::builder(Vec::new()).start();
/// let make_writer = logger.make_writer();
/// let mut writer = make_writer.make_writer();
/// writer.write_all(b"a line formatted elsewhere\n")?;
/// drop(writer); // pushed
/// logger.flush();
/// assert_eq!(logger.stats().written, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LoggerWriter<'a> {
    shared: &'a Shared,
    line: Vec<u8>,
}

impl fmt::Debug for LoggerWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerWriter")
            .field("pending_bytes", &self.line.len())
            .finish_non_exhaustive()
    }
}

impl io::Write for LoggerWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.line.capacity() == 0 && !bytes.is_empty() {
            // A buffer the writer handed back, if there is one.
            self.line = self.shared.spares.take(bytes.len());
        }
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LoggerWriter<'_> {
    fn drop(&mut self) {
        if self.line.is_empty() {
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.shared.logged.increment();
        self.shared.push(
            // Unused for a raw line (the stamp and level are fmt's).
            log::Level::Info,
            Target::Raw,
            Formatted {
                text: self.shared.spares.keep(line),
                failed: false,
            },
        );
    }
}
