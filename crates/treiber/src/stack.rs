//! [`TreiberStack`]: Treiber's lock-free stack, with crossbeam-epoch
//! reclaiming popped nodes once no thread can still be reading them.

use std::fmt;
use std::iter::FromIterator;
use std::mem::ManuallyDrop;
use std::ptr;

use crossbeam_utils::{Backoff, CachePadded};

use crate::pop_all::PopAll;
use crate::sync::epoch::{self, Atomic, Guard, Owned, Shared};
use crate::sync::{const_fn_outside_loom, Ordering, UnsafeCell};

/// A lock-free LIFO stack (Treiber, 1986) that any number of threads may
/// push to and pop from at once.
///
/// Every operation is one compare-and-swap on the head, retried with
/// exponential backoff under contention. Popped nodes are freed through
/// crossbeam-epoch only after every thread that might still read them has
/// moved on, which rules out the use-after-free and ABA of a naive Treiber
/// stack (`docs/treiber.md` walks through both).
///
/// `TreiberStack<T>` is `Send` and `Sync` exactly when `T: Send`: values
/// move between threads but are never shared.
///
/// # Examples
///
/// ```
/// use treiber::TreiberStack;
///
/// let stack = TreiberStack::new();
/// std::thread::scope(|s| {
///     for thread in 0..4 {
///         let stack = &stack;
///         s.spawn(move || {
///             for i in 0..100 {
///                 stack.push(thread * 100 + i);
///             }
///         });
///     }
/// });
/// let mut all: Vec<i32> = stack.pop_all().collect();
/// all.sort_unstable();
/// assert_eq!(all, (0..400).collect::<Vec<_>>());
/// ```
pub struct TreiberStack<T> {
    /// The top node, alone on its cache line: every operation hits it.
    head: CachePadded<Atomic<Node<T>>>,
}

pub(crate) struct Node<T> {
    /// Moved out (with `ptr::read`) by whoever unlinks the node; the node
    /// itself is freed later by the epoch collector, which must not drop it
    /// again.
    pub(crate) value: UnsafeCell<ManuallyDrop<T>>,
    /// Set before the node is published and never changed after.
    pub(crate) next: Atomic<Node<T>>,
}

// SAFETY: the stack hands each `T` to exactly one thread (the one whose pop
// unlinks it) and never gives out `&T`, so sending and sharing the stack only
// ever moves `T` values between threads: `T: Send` is enough, as for
// `Mutex<T>`. The node pointers are managed by crossbeam-epoch, whose guards
// make concurrent access to them sound.
unsafe impl<T: Send> Send for TreiberStack<T> {}
// SAFETY: as above; `&TreiberStack` only allows push/pop, which move `T`s.
unsafe impl<T: Send> Sync for TreiberStack<T> {}

impl<T> TreiberStack<T> {
    const_fn_outside_loom! {
        /// An empty stack. `const`, so a stack can live in a `static`.
        ///
        /// # Examples
        ///
        /// ```
        /// use treiber::TreiberStack;
        ///
        /// static JOBS: TreiberStack<u32> = TreiberStack::new();
        /// JOBS.push(7);
        /// assert_eq!(JOBS.pop(), Some(7));
        /// ```
        #[must_use]
        pub fn new() -> TreiberStack<T> {
            TreiberStack {
                head: CachePadded::new(Atomic::null()),
            }
        }
    }

    /// Pushes `value` on top.
    ///
    /// # Examples
    ///
    /// ```
    /// use treiber::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// stack.push("a");
    /// stack.push("b");
    /// assert_eq!(stack.pop(), Some("b"));
    /// ```
    pub fn push(&self, value: T) {
        // Pinned although push never dereferences the head: the CAS compares
        // against the head pointer and, on success, stores it in our node, so
        // that pointer must still point to a live node (not a freed address
        // the allocator has reused: rust-lang/rust#121950).
        let guard = &epoch::pin();
        let node = Owned::new(Node {
            value: UnsafeCell::new(ManuallyDrop::new(value)),
            next: Atomic::null(),
        })
        .into_shared(guard);
        // SAFETY: we just allocated the node and have not published it.
        self.link(node, unsafe { node.deref() }, guard);
    }

    /// Links the private chain `top ..= bottom` on top of the stack with one
    /// successful CAS.
    fn link<'g>(&self, top: Shared<'g, Node<T>>, bottom: &Node<T>, guard: &'g Guard) {
        let backoff = Backoff::new();
        // Relaxed: only a guess for the CAS, which validates it; push never
        // reads through the head.
        let mut head = self.head.load(Ordering::Relaxed, guard);
        loop {
            // Relaxed: the chain is still private; the Release CAS below
            // publishes this store together with the values.
            bottom.next.store(head, Ordering::Relaxed);
            // Release: publishes the chain's values and links to the Acquire
            // loads in `pop`/`pop_all`. Relaxed on failure: the value read is
            // the next guess.
            match self.head.compare_exchange_weak(
                head,
                top,
                Ordering::Release,
                Ordering::Relaxed,
                guard,
            ) {
                Ok(_) => return,
                Err(failure) => head = failure.current,
            }
            backoff.spin();
        }
    }

    /// Removes and returns the top value, or `None` if the stack is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use treiber::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// assert_eq!(stack.pop(), None);
    /// stack.push(1);
    /// assert_eq!(stack.pop(), Some(1));
    /// ```
    #[must_use = "a popped value is removed from the stack; dropping it loses it"]
    pub fn pop(&self) -> Option<T> {
        let guard = &epoch::pin();
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the Release CAS of the push that published
            // this node (directly, or through the release sequence of later
            // CASes on the head), so its value and `next` are visible.
            let head = self.head.load(Ordering::Acquire, guard);
            // SAFETY: we are pinned, and a node is only freed (deferred in
            // this function or `pop_all`) after being unlinked; the collector
            // frees it only once every thread pinned before that has unpinned,
            // so a node we loaded from the head stays allocated while `guard`
            // lives.
            let node = unsafe { head.as_ref() }?;
            // Relaxed: `next` was written before the push's Release CAS,
            // which our Acquire load synchronized with.
            let next = node.next.load(Ordering::Relaxed, guard);
            // Relaxed on success: we read nothing published by others after
            // this point; the next popper synchronizes with the push of
            // `next` through the release sequence this RMW continues.
            if self
                .head
                .compare_exchange_weak(head, next, Ordering::Relaxed, Ordering::Relaxed, guard)
                .is_ok()
            {
                // SAFETY: our CAS unlinked the node, so no other thread can
                // unlink it, read its value or schedule it for freeing: the
                // value is ours to move out, exactly once, and the node ours
                // to hand to the collector. Threads still holding a pointer
                // to it only read `next`, which stays valid until they unpin.
                unsafe {
                    let value = node.value.with(|value| ptr::read(value));
                    guard.defer_destroy(head);
                    return Some(ManuallyDrop::into_inner(value));
                }
            }
            backoff.spin();
        }
    }

    /// Takes every value with one atomic swap of the head, leaving the stack
    /// empty. The values come out in pop order (last pushed first).
    ///
    /// Values pushed concurrently either are in the result or stay in the
    /// stack; none is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use treiber::TreiberStack;
    ///
    /// let stack: TreiberStack<_> = (1..=3).collect();
    /// assert_eq!(stack.pop_all().collect::<Vec<_>>(), [3, 2, 1]);
    /// assert!(stack.is_empty());
    /// ```
    #[must_use = "the values are removed from the stack; dropping the result drops them"]
    pub fn pop_all(&self) -> PopAll<T> {
        let guard = &epoch::pin();
        // Acquire: synchronizes with the Release CAS of every push whose node
        // is in the chain (all writes to the head are RMWs, so each push
        // heads a release sequence our swap reads from).
        let mut current = self.head.swap(Shared::null(), Ordering::Acquire, guard);
        let mut values = Vec::new();
        // SAFETY: pinned, as in `pop`; the swap unlinked the whole chain, so
        // every node in it is ours alone to empty and to hand to the
        // collector. Concurrent poppers that loaded a node before the swap
        // only read its `next` and then fail their CAS.
        while let Some(node) = unsafe { current.as_ref() } {
            // SAFETY: as above; each value is moved out exactly once.
            let value = node.value.with(|value| unsafe { ptr::read(value) });
            values.push(ManuallyDrop::into_inner(value));
            // Relaxed: published before the pushes' Release CASes.
            let next = node.next.load(Ordering::Relaxed, guard);
            // SAFETY: unlinked by our swap, scheduled once, value moved out.
            unsafe { guard.defer_destroy(current) };
            current = next;
        }
        PopAll::new(values)
    }

    /// `true` if the stack held no value at the moment of the check (other
    /// threads may push or pop right after).
    ///
    /// # Examples
    ///
    /// ```
    /// use treiber::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// assert!(stack.is_empty());
    /// stack.push(());
    /// assert!(!stack.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        // SAFETY: the unprotected guard is only used to load the pointer,
        // which is compared with null and never dereferenced.
        let guard = unsafe { epoch::unprotected() };
        // Relaxed: a snapshot of the head that reads nothing through it.
        self.head.load(Ordering::Relaxed, guard).is_null()
    }
}

impl<T> Default for TreiberStack<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for TreiberStack<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreiberStack")
            .field("is_empty", &self.is_empty())
            .finish_non_exhaustive()
    }
}

impl<T> Extend<T> for TreiberStack<T> {
    /// Pushes every value in order (the last ends on top), linking them
    /// privately first and publishing the whole chain with one CAS.
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        self.push_all(values);
    }
}

impl<T> TreiberStack<T> {
    /// Pushes every value in order, so the last one ends on top, as that
    /// many `push` calls would; but the values are linked privately first
    /// and published with one CAS, under one pin, so other threads see all
    /// of them or none.
    ///
    /// # Examples
    ///
    /// ```
    /// use treiber::TreiberStack;
    ///
    /// let stack = TreiberStack::new();
    /// stack.push_all([1, 2, 3]);
    /// assert_eq!(stack.pop(), Some(3));
    /// ```
    pub fn push_all<I: IntoIterator<Item = T>>(&self, values: I) {
        let guard = &epoch::pin();
        let mut values = values.into_iter();
        let Some(first) = values.next() else { return };
        let bottom = Owned::new(Node {
            value: UnsafeCell::new(ManuallyDrop::new(first)),
            next: Atomic::null(),
        })
        .into_shared(guard);
        let mut top = bottom;
        for value in values {
            let node = Owned::new(Node {
                value: UnsafeCell::new(ManuallyDrop::new(value)),
                next: Atomic::from(top),
            });
            top = node.into_shared(guard);
        }
        // SAFETY: `bottom` is a node we allocated above and have not
        // published; nothing can free it while we hold it.
        self.link(top, unsafe { bottom.deref() }, guard);
    }
}

impl<T> FromIterator<T> for TreiberStack<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        let stack = Self::new();
        stack.push_all(values);
        stack
    }
}

impl<T> Drop for TreiberStack<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no other thread can reach the stack, and
        // every node still linked was never handed to the collector, so we
        // may free each one at once and drop its value exactly once.
        unsafe {
            let guard = epoch::unprotected();
            let mut current = self.head.load(Ordering::Relaxed, guard);
            while !current.is_null() {
                let node = current.into_owned();
                current = node.next.load(Ordering::Relaxed, guard);
                node.value.with_mut(|value| ManuallyDrop::drop(&mut *value));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts its drops in a shared counter.
    struct Counted<'a>(&'a AtomicUsize);

    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn pops_in_last_in_first_out_order_then_none() {
        let stack = TreiberStack::new();
        for i in 0..5 {
            stack.push(i);
        }
        let popped: Vec<_> = std::iter::from_fn(|| stack.pop()).collect();
        assert_eq!(popped, [4, 3, 2, 1, 0]);
        assert_eq!(stack.pop(), None);
        assert!(stack.is_empty());
    }

    #[test]
    fn push_all_extend_and_collect_keep_push_order() {
        let mut stack: TreiberStack<i32> = (0..3).collect();
        stack.push_all(3..5);
        stack.extend([5, 6]);
        stack.push_all(std::iter::empty());
        assert_eq!(stack.pop_all().collect::<Vec<_>>(), [6, 5, 4, 3, 2, 1, 0]);
    }

    #[test]
    fn pop_all_takes_everything_and_leaves_the_stack_usable() {
        let stack: TreiberStack<_> = (0..4).collect();
        let mut taken = stack.pop_all();
        assert_eq!(taken.len(), 4);
        assert_eq!(taken.next_back(), Some(0));
        assert!(stack.is_empty());
        stack.push(9);
        assert_eq!(stack.pop(), Some(9));
        assert_eq!(stack.pop_all().len(), 0);
    }

    #[test]
    fn every_value_is_dropped_exactly_once() {
        let drops = AtomicUsize::new(0);
        {
            let stack = TreiberStack::new();
            for _ in 0..10 {
                stack.push(Counted(&drops));
            }
            drop(stack.pop()); // 1 dropped here
            let mut taken = stack.pop_all(); // 9 taken
            drop(taken.next()); // 1 more
            stack.push(Counted(&drops));
            stack.push(Counted(&drops));
            drop(taken); // 8 left in the iterator
            assert_eq!(drops.load(Ordering::Relaxed), 10);
        } // the stack drops the last 2
        assert_eq!(drops.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn debug_says_whether_it_is_empty() {
        let stack = TreiberStack::new();
        assert_eq!(format!("{stack:?}"), "TreiberStack { is_empty: true, .. }");
        stack.push(1);
        assert_eq!(format!("{stack:?}"), "TreiberStack { is_empty: false, .. }");
        assert_eq!(format!("{:?}", stack.pop_all()), "PopAll { remaining: 1 }");
    }

    #[test]
    fn concurrent_push_pop_pairs_lose_and_duplicate_nothing() {
        // At least 50 pairs per thread even under miri: a use-after-free in
        // pop hides from miri at a handful of pairs (shared/anchors.md).
        const PAIRS: usize = if cfg!(miri) { 60 } else { 20_000 };
        let stack = TreiberStack::new();
        let popped: Vec<Vec<usize>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..3)
                .map(|thread| {
                    let stack = &stack;
                    s.spawn(move || {
                        let mut popped = Vec::new();
                        for i in 0..PAIRS {
                            stack.push(thread * PAIRS + i);
                            popped.extend(stack.pop());
                        }
                        popped
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut all: Vec<usize> = popped
            .into_iter()
            .flatten()
            .chain(stack.pop_all())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..3 * PAIRS).collect::<Vec<_>>());
    }
}
