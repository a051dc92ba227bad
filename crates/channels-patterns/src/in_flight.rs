//! Counting the pushes in progress, so that consumers of a closed queue
//! know when no more items can arrive.

use crossbeam_utils::CachePadded;

use crate::sync::{self, AtomicUsize, Ordering};

/// Pushes in progress, one count per shard (a thread uses the shard of its
/// `atomics_kit::thread_index`), so that producers on different threads do
/// not fight over one cache line.
///
/// A producer [`enter`](Self::enter)s before it reads the closed flag and
/// leaves after its push landed or failed. Once the queue is closed, a
/// consumer that finds every shard at zero knows that every push that read
/// "open" has finished: those pushes entered (`SeqCst`) before the close
/// (`SeqCst`), which came before the consumer's `SeqCst` reads of the
/// shards, so a shard at zero means they left, and their Release on leaving
/// makes their items visible.
#[derive(Debug)]
pub(crate) struct InFlight {
    shards: Box<[CachePadded<AtomicUsize>]>,
}

impl InFlight {
    pub(crate) fn new() -> Self {
        let shards = sync::in_flight_shards();
        Self {
            shards: (0..shards)
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
        }
    }

    /// Counts a push in progress; returns the shard to [`leave`](Self::leave).
    pub(crate) fn enter(&self) -> usize {
        let shard = sync::shard_index(self.shards.len());
        // SeqCst: this entry and the producer's later SeqCst read of the
        // closed flag are ordered against `close`'s SeqCst store and the
        // consumers' SeqCst reads in `is_idle` (see the type's docs).
        self.shards[shard].fetch_add(1, Ordering::SeqCst);
        shard
    }

    /// Ends a push counted by [`enter`](Self::enter).
    pub(crate) fn leave(&self, shard: usize) {
        // Release: the push's item is visible to a consumer whose Acquire
        // (SeqCst) read in `is_idle` sees this count drop.
        self.shards[shard].fetch_sub(1, Ordering::Release);
    }

    /// Whether no push is in progress on any shard, each read once.
    pub(crate) fn is_idle(&self) -> bool {
        // SeqCst: ordered after the consumer's SeqCst read of the closed
        // flag, so pushes that entered before the close are seen.
        self.shards
            .iter()
            .all(|shard| shard.load(Ordering::SeqCst) == 0)
    }
}
