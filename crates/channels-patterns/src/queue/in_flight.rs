//! Counting the pushes in progress, so that consumers of a closed queue
//! know when no more items can arrive.

use crossbeam_utils::CachePadded;

use crate::sync::{self, fence, AtomicUsize, Ordering};

/// Pushes in progress: one flag per thread (indexed by
/// `atomics_kit::thread_index`, written only by its thread, so entering and
/// leaving are plain stores, not read-modify-writes), and a shared count
/// for threads beyond the slots.
///
/// The protocol, with `SeqCst` fences only (loom checks fences, not
/// `SeqCst` accesses):
///
/// - a producer [`enter`](Self::enter)s (flag + fence), then reads the
///   closed flag, pushes if open, and [`leave`](Self::leave)s;
/// - a consumer that read the flag as closed calls [`is_idle`](Self::is_idle)
///   (fence + read every slot).
///
/// If a producer read "open" and a consumer read "closed", the producer's
/// read is coherence-ordered before the consumer's, so the producer's fence
/// precedes the consumer's in the fences' total order, and the consumer's
/// slot reads see the producer's entry (or its leaving, whose Release
/// publishes the pushed item to the consumer's Acquire read). So a consumer
/// that finds every slot clear after seeing "closed" knows every push that
/// saw "open" has landed.
#[derive(Debug)]
pub(crate) struct InFlight {
    /// `slots[i]`: 1 while the thread with index `i` pushes.
    slots: Box<[CachePadded<AtomicUsize>]>,
    /// Pushes in progress on threads without a slot of their own.
    shared: CachePadded<AtomicUsize>,
}

/// Where [`InFlight::enter`] counted a push, for [`InFlight::leave`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry {
    Own(usize),
    Shared,
}

impl InFlight {
    pub(crate) fn new() -> Self {
        Self {
            slots: (0..sync::in_flight_slots())
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            shared: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Counts a push in progress.
    pub(crate) fn enter(&self) -> Entry {
        let entry = match sync::thread_index() {
            Some(index) if index < self.slots.len() => {
                // Relaxed: only this thread writes its slot (indices are
                // unique among live threads); the fence below orders it.
                self.slots[index].store(1, Ordering::Relaxed);
                Entry::Own(index)
            }
            _ => {
                // Relaxed: as above, ordered by the fence below.
                self.shared.fetch_add(1, Ordering::Relaxed);
                Entry::Shared
            }
        };
        // Orders the entry before the caller's read of the closed flag,
        // pairing with the fence in `is_idle` (see the type's docs).
        fence(Ordering::SeqCst);
        entry
    }

    /// Ends a push counted by [`enter`](Self::enter).
    pub(crate) fn leave(&self, entry: Entry) {
        // Release: the push's item is visible to a consumer whose Acquire
        // read in `is_idle` sees the entry gone.
        match entry {
            Entry::Own(index) => self.slots[index].store(0, Ordering::Release),
            Entry::Shared => drop(self.shared.fetch_sub(1, Ordering::Release)),
        }
    }

    /// Whether no push is in progress, each slot read once. Call it after
    /// reading the closed flag as set.
    pub(crate) fn is_idle(&self) -> bool {
        // Orders the caller's read of the closed flag before the slot
        // reads, pairing with the fence in `enter`.
        fence(Ordering::SeqCst);
        // Acquire: pairs with `leave`'s Release, so an entry seen gone means
        // that push's item is visible.
        self.shared.load(Ordering::Acquire) == 0
            && self
                .slots
                .iter()
                .all(|slot| slot.load(Ordering::Acquire) == 0)
    }
}
