//! Dense per-thread indices, reused when a thread exits.
//!
//! The scheme crossbeam-utils' `ShardedLock` uses for its per-thread shards:
//! a process-wide registry hands each thread the smallest free index, and the
//! thread gives it back when its thread-locals are destroyed. An index is
//! kept as long as its thread lives, so the indices stay below the largest
//! number of threads ever alive at once: while that is at most N, N shards
//! give every thread a shard of its own.

/// A small index for the calling thread, unique among the threads alive now.
///
/// Each thread gets the smallest index no live thread holds, on its first
/// call, and keeps it until it exits; so every index is below the largest
/// number of threads that ever held indices at once, and while that is at
/// most N, an array of N slots gives each thread one of its own that no
/// other live thread touches. Not "below the number alive now": a thread
/// keeps index 6 after the threads holding 0 to 5 exit, and new threads
/// then take 0, 1, ... beside it. An array sized by the threads alive now
/// must check (or wrap) the index. A thread that exits and a thread that later
/// reuses its index are ordered by the registry's lock: everything the first
/// did happens-before the second's first call returns.
///
/// Returns `None` once the calling thread, destroying its thread-locals,
/// has given its index back (a call from a thread-local destructor that
/// runs after that): the index may already belong to another thread. A
/// destructor that runs before it still gets the thread's index, which is
/// still the thread's alone; and a thread whose first call comes from a
/// thread-local destructor gets an index, given back when the thread ends.
///
/// # Examples
///
/// ```
/// use atomics_kit::thread_index;
///
/// let mine = thread_index().unwrap();
/// let theirs = std::thread::scope(|s| s.spawn(thread_index).join().unwrap().unwrap());
/// assert_eq!(thread_index(), Some(mine), "stable for the thread's lifetime");
/// assert_ne!(mine, theirs, "the other thread was alive at the same time");
/// ```
#[must_use]
#[inline]
pub fn thread_index() -> Option<usize> {
    crate::sync::current_thread_index()
}

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::sync::{claim_index, release_index};

/// Which indices are taken. Locked only when a thread registers or exits,
/// never on a counter's hot path; the lock orders a thread that gives an
/// index back before the thread that takes it next.
#[derive(Debug)]
pub(crate) struct Registry {
    /// The next never-used index.
    next: usize,
    /// Indices given back by exited threads; the smallest is reused first.
    free: BinaryHeap<Reverse<usize>>,
}

impl Registry {
    pub(crate) const fn new() -> Self {
        Registry {
            next: 0,
            free: BinaryHeap::new(),
        }
    }

    /// The smallest index not currently claimed.
    pub(crate) fn claim(&mut self) -> usize {
        match self.free.pop() {
            Some(Reverse(index)) => index,
            None => {
                self.next += 1;
                self.next - 1
            }
        }
    }

    pub(crate) fn release(&mut self, index: usize) {
        self.free.push(Reverse(index));
    }
}

/// One thread's claim on an index; dropping it gives the index back.
#[derive(Debug)]
pub(crate) struct Registration {
    index: usize,
}

impl Registration {
    /// Claims the smallest index no live thread holds.
    pub(crate) fn register() -> Self {
        Registration {
            index: claim_index(),
        }
    }

    /// The claimed index.
    pub(crate) fn index(&self) -> usize {
        self.index
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        release_index(self.index);
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;

    #[test]
    fn claims_are_dense_and_the_smallest_released_index_is_reused_first() {
        let mut registry = Registry::new();
        let claimed: Vec<usize> = (0..4).map(|_| registry.claim()).collect();
        assert_eq!(claimed, [0, 1, 2, 3]);

        registry.release(2);
        registry.release(1);
        assert_eq!(registry.claim(), 1);
        assert_eq!(registry.claim(), 2);
        assert_eq!(registry.claim(), 4);
    }
}
