//! [`Text`]: a record's text, kept inside the record when it is short, so
//! that a typical log call allocates nothing.
//!
//! A heap allocation per record was the logging thread's largest tail
//! cost: the writer thread frees what the callers allocate, and glibc's
//! allocator then serves the callers' allocations from chunks freed on
//! another thread, now and then consolidating them in one long call (a
//! caller's p99.9 of 30 µs, 0.6 µs p99 with mimalloc, in a 200k-call
//! profile). Short texts never reach the allocator; long ones reuse the
//! buffers the writer hands back (`spare_buffers.rs`).

/// The longest text kept inline, in bytes: `Text` is then 64 bytes (an
/// 8-byte tag beside the 56 of the aligned [`InlineStr`]), and most log
/// messages ("request 1234 served in 56 µs", a target prefix,
/// a few key-value pairs) fit.
pub(super) const INLINE: usize = 55;

use super::inline_str::InlineStr;

/// A record's text: inline up to [`INLINE`] bytes, on the heap beyond
/// (in a buffer from [`SpareBuffers`](super::spare_buffers::SpareBuffers)).
/// Bytes, not a `String`: a raw line from
/// `LoggerMakeWriter` (feature `tracing`) is written as it is, with
/// no UTF-8 check on the caller (the check of a `fmt` line, about 130
/// bytes with a `µ`, cost the caller some 140 instructions of its 6,500).
pub(super) enum Text {
    Inline(InlineStr<INLINE>),
    Heap(Vec<u8>),
}

impl Text {
    /// `text` copied inline, if it is at most [`INLINE`] bytes long.
    pub(super) fn inline(text: &str) -> Option<Self> {
        InlineStr::new(text).map(Self::Inline)
    }

    /// `text` copied inline, if it is at most [`INLINE`] bytes long (a
    /// raw line's bytes, UTF-8 or not).
    #[cfg(any(test, feature = "tracing"))]
    pub(super) fn inline_bytes(text: &[u8]) -> Option<Self> {
        InlineStr::from_bytes(text).map(Self::Inline)
    }

    /// The text's bytes, without the UTF-8 check `as_str` makes: what
    /// the writer copies into its lines (the check cost it more than a
    /// hundred instructions a record for a message with a `µ`).
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline(inline) => inline.as_bytes(),
            Self::Heap(text) => text,
        }
    }

    /// The text as a `&str` (empty if it is not UTF-8), for tests (the
    /// writer takes [`as_bytes`](Self::as_bytes)).
    #[cfg(test)]
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_inline_long_ones_on_the_heap_and_both_read_back_whole() {
        let short = "request 1234 served in 56 µs";
        let exactly = "x".repeat(INLINE);
        let long = "y".repeat(INLINE + 1);
        for (text, inline) in [("", true), (short, true), (&exactly, true), (&long, false)] {
            let made = Text::inline(text).unwrap_or_else(|| Text::Heap(text.as_bytes().to_vec()));
            assert_eq!(made.as_str(), text);
            assert_eq!(made.as_bytes(), text.as_bytes());
            assert_eq!(matches!(made, Text::Inline(_)), inline, "{text:?}");
        }
        assert_eq!(std::mem::size_of::<Text>(), 64);
    }
}
