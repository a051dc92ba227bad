//! Counting the pushes in progress, so that consumers of a closed queue
//! know when no more items can arrive.

use crossbeam_utils::CachePadded;

use crate::sync::{self, fence, AtomicUsize, Ordering};

/// Pushes in progress, one count per shard (a thread uses the shard of its
/// `atomics_kit::thread_index`), so that producers on different threads do
/// not fight over one cache line.
///
/// The protocol, with `SeqCst` fences only (loom checks fences, not
/// `SeqCst` accesses):
///
/// - a producer [`enter`](Self::enter)s (count + fence), then reads the
///   closed flag, pushes if open, and [`leave`](Self::leave)s;
/// - a consumer that read the flag as closed calls [`is_idle`](Self::is_idle)
///   (fence + read every shard).
///
/// If a producer read "open" and a consumer read "closed", the producer's
/// read is coherence-ordered before the consumer's, so the producer's fence
/// precedes the consumer's in the fences' total order, and the consumer's
/// shard reads see the producer's count (or its leaving, whose Release
/// publishes the pushed item to the consumer's Acquire read). So a consumer
/// that finds every shard at zero after seeing "closed" knows every push
/// that saw "open" has landed.
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
        // Relaxed, then the fence: the fence orders this count before the
        // caller's read of the closed flag, pairing with the fence in
        // `is_idle` (see the type's docs).
        self.shards[shard].fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        shard
    }

    /// Ends a push counted by [`enter`](Self::enter).
    pub(crate) fn leave(&self, shard: usize) {
        // Release: the push's item is visible to a consumer whose Acquire
        // read in `is_idle` sees this count drop.
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
