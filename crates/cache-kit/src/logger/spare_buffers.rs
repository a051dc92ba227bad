//! [`SpareBuffers`]: the heap buffers of long records, handed back by the
//! writer thread for the logging threads to fill again.
//!
//! A text too long to be kept inside its record ([`Text`]) needs a heap
//! buffer. Allocated by a logging thread and freed by the writer, such
//! buffers made glibc's allocator serve the logging threads from chunks
//! freed on another thread, now and then sorting hundreds of them in one
//! call: `tracing_subscriber::fmt` lines (about 130 bytes each) through
//! `LoggerMakeWriter` (feature `tracing`) measured a caller p99.9
//! of 32-34 µs, and 10-14 µs with mimalloc, in 200k-call runs. So the
//! writer hands each buffer back here once it has copied the text, and a
//! logging thread takes one from here before it allocates.

use crossbeam_queue::ArrayQueue;

use super::text::Text;

/// How many buffers wait here at most; the writer frees the ones beyond
/// (it hands back a whole pass over the queue at once, hundreds of
/// records when the callers run flat out).
const SPARES: usize = 1024;

/// The largest buffer kept, in bytes: with [`SPARES`] of them, at most
/// 1 MiB stays allocated for a logger that once logged long records.
const MAX_SPARE_CAPACITY: usize = 1024;

/// The least a new buffer holds, in bytes: a little more than a typical
/// long line, so that a buffer handed back fits the next one without
/// growing.
const MIN_NEW_CAPACITY: usize = 256;

/// The capacity a buffer gets for `bytes`: up to [`MAX_SPARE_CAPACITY`]
/// (the buffers kept), a power of two and at least [`MIN_NEW_CAPACITY`],
/// so that texts of about one length share a size (a 500-byte `fmt` line
/// and a 503-byte record with its target: exact sizes had the second grow
/// every spare the first left, a break run's 25 reallocations in 50
/// calls); beyond, exactly `bytes` (never kept, so never reused).
fn capacity_for(bytes: usize) -> usize {
    if bytes <= MAX_SPARE_CAPACITY {
        bytes.max(MIN_NEW_CAPACITY).next_power_of_two()
    } else {
        bytes
    }
}

/// The logger's spare heap buffers (see the module's docs).
pub(super) struct SpareBuffers {
    spares: ArrayQueue<Vec<u8>>,
}

impl SpareBuffers {
    pub(super) fn new() -> Self {
        Self {
            spares: ArrayQueue::new(SPARES),
        }
    }

    /// An empty buffer for at least `bytes` bytes ([`capacity_for`]): a
    /// spare if there is one (grown if it is smaller: after a change to
    /// longer texts, each spare grows once), else a new one; one
    /// allocation at most either way.
    pub(super) fn take(&self, bytes: usize) -> Vec<u8> {
        match self.spares.pop() {
            Some(mut spare) => {
                spare.clear();
                if spare.capacity() < bytes {
                    spare.reserve_exact(capacity_for(bytes));
                }
                spare
            }
            None => Vec::with_capacity(capacity_for(bytes)),
        }
    }

    /// `text` as a record's [`Text`]: inline if it is short, else copied
    /// into a buffer from [`take`](Self::take).
    pub(super) fn text(&self, text: &str) -> Text {
        Text::inline(text).unwrap_or_else(|| {
            let mut buffer = self.take(text.len());
            buffer.extend_from_slice(text.as_bytes());
            Text::Heap(buffer)
        })
    }

    #[cfg(any(test, feature = "tracing"))]
    /// `text` (a buffer from [`take`](Self::take), filled) as a record's
    /// [`Text`]: copied inline if it is short, the buffer then handed back.
    pub(super) fn keep(&self, text: Vec<u8>) -> Text {
        match Text::inline_bytes(&text) {
            Some(inline) => {
                self.give_back(text);
                inline
            }
            None => Text::Heap(text),
        }
    }

    /// Hands back the buffer of a record's text, if it has one, for a later
    /// record (freed if there are spares enough, or if it is large).
    pub(super) fn recycle(&self, text: Text) {
        if let Text::Heap(buffer) = text {
            self.give_back(buffer);
        }
    }

    fn give_back(&self, buffer: Vec<u8>) {
        if buffer.capacity() <= MAX_SPARE_CAPACITY {
            // Full: `buffer` comes back and is freed here.
            let _ = self.spares.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_reuse_handed_back_buffers_and_short_ones_stay_inline() {
        let spares = SpareBuffers::new();
        let long = "x".repeat(100);
        let first = spares.text(&long);
        assert_eq!(first.as_bytes(), long.as_bytes());
        let Text::Heap(buffer) = &first else {
            panic!("a long text is on the heap");
        };
        let address = buffer.as_ptr();
        spares.recycle(first);
        let second = spares.text("y".repeat(200).as_str());
        assert_eq!(second.as_bytes(), "y".repeat(200).as_bytes());
        let Text::Heap(buffer) = &second else {
            panic!("a long text is on the heap");
        };
        assert_eq!(buffer.as_ptr(), address, "the spare was not reused");
        assert!(matches!(spares.text("short"), Text::Inline(_)));
        // A short text written into a taken buffer goes inline, and the
        // buffer back to the spares.
        let mut taken = spares.take(5);
        taken.extend_from_slice(b"short");
        assert!(matches!(spares.keep(taken), Text::Inline(_)));
        assert_eq!(spares.spares.len(), 1);
        // Room for what is asked, from a spare or not: powers of two up to
        // the largest spare kept, exact beyond.
        assert!(spares.take(5000).capacity() >= 5000);
        assert!(spares.take(5000).capacity() >= 5000);
        assert_eq!(spares.take(3).capacity(), MIN_NEW_CAPACITY);
        assert_eq!(spares.take(600).capacity(), 1024);
        assert_eq!(capacity_for(257), 512);
        assert_eq!(capacity_for(MAX_SPARE_CAPACITY + 1), MAX_SPARE_CAPACITY + 1);
    }

    #[test]
    fn large_buffers_and_buffers_beyond_the_spares_are_freed() {
        let spares = SpareBuffers::new();
        spares.recycle(Text::Heap(Vec::with_capacity(MAX_SPARE_CAPACITY + 1)));
        assert_eq!(spares.spares.len(), 0, "a large buffer was kept");
        for _ in 0..SPARES + 10 {
            spares.recycle(Text::Heap(Vec::with_capacity(MIN_NEW_CAPACITY)));
        }
        assert_eq!(spares.spares.len(), SPARES);
    }
}
