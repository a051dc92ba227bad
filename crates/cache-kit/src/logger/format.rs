//! Formatting a record's text on the logging thread: [`format_exact`] for
//! the `log` path (straight into the record while the text fits there),
//! [`format_caught`] for the tracing layer, both through [`format_into`],
//! which keeps whatever the user's `Display` and `Debug` impls do wrong
//! from reaching the caller.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};

use atomics_kit::drop_panic_payload;

use super::inline_str::InlineStr;
use super::spare_buffers::SpareBuffers;
use super::text::{Text, INLINE};

/// The largest per-thread formatting buffer kept between calls: a huge
/// message's buffer is freed after it is copied out, not kept for the
/// thread's life.
const MAX_KEPT_SCRATCH: usize = 64 * 1024;

/// What [`format_into`]'s marker names when a `Display` (or `Debug`) impl
/// returned an error.
pub(super) const DISPLAY_FAILED: &str = "a Display impl returned an error";

/// A record's key-value pairs, and the panic their source's `count` made
/// (if it did).
pub(super) struct Pairs<'a> {
    pub(super) source: &'a dyn log::kv::Source,
    pub(super) count_panic: Option<String>,
}

/// A record's text, and whether formatting its message failed.
pub(super) struct Formatted {
    pub(super) text: Text,
    pub(super) failed: bool,
}

/// `target` (if any), the formatted message and the key-value pairs (if
/// any, as ` key=value`, string values quoted) in one [`Text`]: formatted
/// straight into the record's inline text while it fits (most messages:
/// no per-thread buffer, no copy), else on in the thread's scratch buffer
/// and then copied into a spare heap buffer (see [`SpareBuffers`]),
/// however the message grows.
///
/// A `Display` impl (in the message or a value) that panics or returns an
/// error never reaches the caller (see [`format_into`]); nor does a
/// panic of the source's `count`, caught before, and marked and counted
/// here as one of the formatting's.
pub(super) fn format_exact(
    spares: &SpareBuffers,
    target: Option<&str>,
    args: fmt::Arguments<'_>,
    pairs: Option<Pairs<'_>>,
) -> Formatted {
    if let (None, Some(literal), None) = (target, args.as_str(), &pairs) {
        return Formatted {
            text: spares.text(literal),
            failed: false,
        };
    }
    let mut text = TextWriter::new();
    let head = |text: &mut TextWriter| {
        if let Some(target) = target {
            // Into a `TextWriter`: never fails.
            let _ = text.write_str(target);
        }
    };
    let (failed, _) = format_into(&mut text, head, |text| {
        let message = text.write_fmt(args).map_err(|_| DISPLAY_FAILED);
        let Some(pairs) = pairs else {
            return message;
        };
        let written = pairs.source.visit(&mut WritePairs(text));
        if let Some(count_panic) = pairs.count_panic {
            // Reported as a panic of the formatting (caught by
            // `format_into`), without running the panic hook again.
            std::panic::resume_unwind(Box::new(count_panic));
        }
        message.and(
            written.map_err(|_| "a key-value pair's Display impl or its source returned an error"),
        )
    });
    Formatted {
        text: text.finish(spares),
        failed,
    }
}

/// [`format_into`] a reused per-thread buffer, which `copy` copies out.
/// Returns the copy, whether `body` failed, and the length of the head in
/// the text.
///
/// The buffer is taken out of its slot while `body` runs: a `Display` impl
/// that logs again (through this logger or another, or a panic hook that
/// logs) finds the slot empty and formats into a fresh buffer of its own,
/// where a borrowed `RefCell` would panic (and abort the process from a
/// panic hook). After the slot's thread-local destructor has run (logging
/// from another thread-local's destructor), a fresh buffer too.
#[cfg(feature = "tracing")]
pub(super) fn format_caught<T>(
    head: impl FnOnce(&mut String),
    body: impl FnOnce(&mut String) -> Result<(), &'static str>,
    copy: impl FnOnce(&str) -> T,
) -> (T, bool, usize) {
    let mut scratch = take_scratch();
    let (failed, start) = format_into(&mut scratch, head, body);
    let text = copy(&scratch);
    put_back_scratch(scratch);
    (text, failed, start)
}

/// What [`format_into`] formats into.
pub(super) trait Buffer: fmt::Write {
    /// The length of the text so far, in bytes.
    fn len(&self) -> usize;
    /// The text so far (only read after a failure, to place the marker).
    fn text(&self) -> &str;
}

#[cfg(feature = "tracing")]
impl Buffer for String {
    fn len(&self) -> usize {
        String::len(self)
    }
    fn text(&self) -> &str {
        self
    }
}

/// The formatting every record's text goes through: `head` (our own text:
/// a target, a span context) and then `body` (which runs the user's
/// `Display` and `Debug` impls, and says which failed, if one did) write
/// into `buffer`. Returns whether `body` failed, and the length of the
/// head.
///
/// A `body` that panics or returns an error never reaches the caller: the
/// text is what was formatted before the failure, followed by a
/// `[formatting panicked: ..]` or `[formatting failed: ..]` marker.
fn format_into<B: Buffer>(
    buffer: &mut B,
    head: impl FnOnce(&mut B),
    body: impl FnOnce(&mut B) -> Result<(), &'static str>,
) -> (bool, usize) {
    head(buffer);
    let start = buffer.len();
    // Unwind safety: after a panic only `buffer` is read, and both kinds
    // are whole whatever panics between their writes.
    let failure = match catch_unwind(AssertUnwindSafe(|| body(buffer))) {
        Ok(Ok(())) => return (false, start),
        Ok(Err(culprit)) => format!("formatting failed: {culprit}"),
        Err(payload) => {
            let what = atomics_kit::panic_text(&*payload).unwrap_or("non-string panic payload");
            let failure = format!("formatting panicked: {what}");
            // The payload's own `Drop` may panic too: caught there.
            drop_panic_payload(payload);
            failure
        }
    };
    let text = buffer.text();
    let space = text.len() > start && !text.ends_with(char::is_whitespace);
    // Neither kind of buffer fails a write.
    let _ = write!(buffer, "{}[{failure}]", if space { " " } else { "" });
    (true, start)
}

/// A record's text as it is formatted: inside the record while it fits
/// ([`Text::Inline`]), in the thread's scratch buffer from the first write
/// that does not. A short message formatted into the scratch buffer and
/// copied out (its thread-local slot, `String`'s growth checks on every
/// piece, the copy) cost a `log::info!` with two integer arguments 1,081
/// instructions a call; straight into the record, 963 (callgrind).
struct TextWriter {
    inline: InlineStr<INLINE>,
    spilled: Option<String>,
}

impl TextWriter {
    fn new() -> Self {
        Self {
            inline: InlineStr::empty(),
            spilled: None,
        }
    }

    /// Appends `piece` in the scratch buffer, moving the text there first
    /// if it is still inline.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, piece: &str) {
        let inline = &self.inline;
        let scratch = self.spilled.get_or_insert_with(|| {
            let mut scratch = take_scratch();
            scratch.push_str(inline.as_str());
            scratch
        });
        scratch.push_str(piece);
    }

    /// The record's text: the inline one, or the scratch buffer's copied
    /// into a spare heap buffer (the scratch buffer goes back to its slot).
    fn finish(self, spares: &SpareBuffers) -> Text {
        match self.spilled {
            None => Text::Inline(self.inline),
            Some(scratch) => {
                let text = spares.text(&scratch);
                put_back_scratch(scratch);
                text
            }
        }
    }
}

impl fmt::Write for TextWriter {
    #[inline]
    fn write_str(&mut self, piece: &str) -> fmt::Result {
        if self.spilled.is_some() || !self.inline.try_push(piece) {
            self.spill(piece);
        }
        Ok(())
    }
}

impl Buffer for TextWriter {
    fn len(&self) -> usize {
        self.spilled
            .as_ref()
            .map_or_else(|| self.inline.len(), String::len)
    }
    fn text(&self) -> &str {
        self.spilled
            .as_deref()
            .unwrap_or_else(|| self.inline.as_str())
    }
}

thread_local! {
    /// The thread's formatting buffer for texts that do not fit a record,
    /// taken out while in use (see [`format_caught`]).
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// The thread's scratch buffer, emptied; a fresh one if another call on
/// this thread holds it, or after its thread-local destructor ran.
fn take_scratch() -> String {
    let mut scratch = SCRATCH.try_with(Cell::take).unwrap_or_default();
    scratch.clear();
    scratch
}

/// Puts `scratch` back in its slot: the larger of it and one a re-entrant
/// call put back (the slot is empty but for re-entrant calls), unless a
/// huge message grew it. Written out: an iterator over the two took 63
/// instructions of a call's 1,230 (callgrind).
fn put_back_scratch(scratch: String) {
    let _ = SCRATCH.try_with(|slot| {
        let other = slot.take();
        let keep = |buffer: &String| buffer.capacity() <= MAX_KEPT_SCRATCH;
        let kept = match (keep(&scratch), keep(&other)) {
            (true, true) if other.capacity() > scratch.capacity() => other,
            (true, _) => scratch,
            (false, true) => other,
            (false, false) => String::new(),
        };
        slot.set(kept);
    });
}

/// Writes a record's key-value pairs after its message: ` key=value` for
/// each, a string value quoted and escaped (`user="ann lee"`), any other
/// value by its `Display`.
struct WritePairs<'a, W>(&'a mut W);

impl<'kvs, W: fmt::Write> log::kv::VisitSource<'kvs> for WritePairs<'_, W> {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let written = match value.to_borrowed_str() {
            Some(text) => write!(self.0, " {key}={text:?}"),
            None => write!(self.0, " {key}={value}"),
        };
        written.map_err(|fmt::Error| log::kv::Error::msg("a value's Display impl failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Formats `args` with `target` as the log path does, returning the
    /// text and whether it stayed inline.
    fn formatted(target: Option<&str>, args: fmt::Arguments<'_>) -> (String, bool) {
        let spares = SpareBuffers::new();
        let Formatted { text, failed } = format_exact(&spares, target, args, None);
        assert!(!failed);
        let inline = matches!(text, Text::Inline(_));
        (text.as_str().to_owned(), inline)
    }

    #[test]
    fn texts_on_both_sides_of_the_inline_bound_come_out_whole() {
        // Pieces that cross the bound at every offset: the text moves to
        // the scratch buffer mid-way and goes on there.
        for len in 0..3 * INLINE {
            let word = "é".repeat(len % 5);
            let filler = "x".repeat(len);
            let expected = format!("{filler}{}{word}", len);
            for target in [None, Some("app::module")] {
                let (text, inline) = formatted(target, format_args!("{filler}{}{word}", len));
                let whole = format!("{}{expected}", target.unwrap_or_default());
                assert_eq!(text, whole);
                assert_eq!(inline, whole.len() <= INLINE, "{whole:?}");
            }
        }
    }

    /// A `Display` that panics after writing `before`.
    struct PanicsAfter(&'static str);

    impl fmt::Display for PanicsAfter {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)?;
            panic!("late")
        }
    }

    #[test]
    fn a_panic_before_or_after_the_text_spills_keeps_what_was_written_and_marks_it() {
        let spares = SpareBuffers::new();
        for before in [
            "short",
            "long enough to leave the record's inline text behind it",
        ] {
            let Formatted { text, failed } =
                format_exact(&spares, None, format_args!("{}", PanicsAfter(before)), None);
            assert!(failed);
            assert_eq!(
                text.as_str(),
                format!("{before} [formatting panicked: late]")
            );
        }
    }
}
