//! [`ThreadName`]: the logging thread's name, carried in each record by
//! value when it is short, so that a log call touches no shared count.
//!
//! Each record used to hold an `Arc<str>` clone of its thread's name: a
//! locked increment on the caller, and a locked decrement when the writer
//! dropped the record, on the same cache line, so that the line crossed
//! between the two cores on every record.

use std::sync::Arc;
use std::thread;

use super::inline_str::InlineStr;

/// The longest name kept inline, in bytes: `ThreadName` is then 32 bytes
/// (an 8-byte tag beside the 24 of the aligned [`InlineStr`]), and `main`,
/// `ThreadId(123456)` and `tokio-runtime-worker` fit.
const INLINE: usize = 23;

/// A thread's name: inline up to [`INLINE`] bytes, shared beyond.
#[derive(Clone)]
pub(super) enum ThreadName {
    Inline(InlineStr<INLINE>),
    Shared(Arc<str>),
}

impl ThreadName {
    /// The calling thread's name (or its id, if it has none): made once
    /// per thread, and made again on each call from a thread-local
    /// destructor that runs after this one's (where `with` would panic,
    /// and a panic in a destructor aborts the process).
    pub(super) fn current() -> Self {
        thread_local! {
            static NAME: ThreadName = ThreadName::of_this_thread();
        }
        NAME.try_with(Self::clone)
            .unwrap_or_else(|_| Self::of_this_thread())
    }

    fn of_this_thread() -> Self {
        // `thread::current` still works in thread-local destructors: std
        // forgets the thread's handle only after they have all run.
        let current = thread::current();
        match current.name() {
            Some(name) => Self::new(name),
            None => Self::new(&format!("{:?}", current.id())),
        }
    }

    /// No name: for a record whose line leaves the thread out.
    pub(super) fn unnamed() -> Self {
        Self::new("")
    }

    fn new(name: &str) -> Self {
        InlineStr::new(name).map_or_else(|| Self::Shared(Arc::from(name)), Self::Inline)
    }

    /// The name's bytes (UTF-8: copied whole from a `&str`), for the
    /// writer to copy into a line.
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline(inline) => inline.as_bytes(),
            Self::Shared(name) => name.as_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_inline_long_ones_shared_and_both_read_back_whole() {
        let exactly = "x".repeat(INLINE);
        let long = "y".repeat(INLINE + 1);
        for (name, inline) in [("", true), ("main", true), (&exactly, true), (&long, false)] {
            let made = ThreadName::new(name);
            assert_eq!(made.as_bytes(), name.as_bytes());
            assert_eq!(matches!(made, ThreadName::Inline(_)), inline, "{name:?}");
        }
        assert_eq!(std::mem::size_of::<ThreadName>(), 32);
    }

    #[test]
    fn a_thread_is_named_by_its_name_or_else_its_id() {
        let named = thread::Builder::new()
            .name("a-named-thread".into())
            .spawn(|| ThreadName::current().as_bytes().to_vec())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(named, b"a-named-thread");
        let (unnamed, id) = thread::spawn(|| {
            (
                ThreadName::current().as_bytes().to_vec(),
                format!("{:?}", thread::current().id()),
            )
        })
        .join()
        .unwrap();
        assert_eq!(unnamed, id.as_bytes());
    }
}
