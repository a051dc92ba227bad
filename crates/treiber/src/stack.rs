//! [`TreiberStack`]: Treiber's lock-free stack, with hazard pointers
//! deciding when a popped node may be reused.

use std::fmt;
use std::iter::FromIterator;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;

use atomics_kit::{const_fn_outside_loom, drop_caught};
use crossbeam_utils::{Backoff, CachePadded};

use crate::drop_all::drop_all;
use crate::elimination::Elimination;
use crate::hazard::{Hazards, Participant};
use crate::node::Node;
use crate::pop_all::PopAll;

use crate::sync::{AtomicPtr, Ordering};

/// A lock-free LIFO stack (Treiber, 1986) that any number of threads may
/// push to and pop from at once.
///
/// Every operation is one compare-and-swap on the head, retried with
/// exponential backoff under contention; a push that lost its CAS to
/// another thread first waits a while (about 100–150 µs on our machines,
/// yielding now and then) for a pop to take its value directly (the
/// elimination path: it keeps the head's cache line with one thread at a
/// time, at the price of a p99.99 push latency that long). A thread that
/// is destroying its thread-locals shares one slot behind a lock, so its
/// calls are not lock-free. A popped node is reused only once
/// no thread's hazard pointer names it, which rules out the use-after-free
/// and the ABA of the textbook version (`docs/treiber.md` walks through
/// both). Nodes are never freed while the stack lives: emptied ones are
/// recycled for later pushes (moving between threads through a shared free
/// list), so the stack keeps the most nodes it ever held until it is
/// dropped, and frees them all then.
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
    head: CachePadded<AtomicPtr<Node<T>>>,
    /// Where a push and a pop that both lost a CAS can trade directly.
    elimination: Elimination<T>,
    hazards: Hazards<T>,
}

// SAFETY: the stack hands each `T` to exactly one thread (the one whose pop
// unlinks it) and never gives out `&T`, so sending or sharing the stack only
// ever moves `T` values between threads: `T: Send` is enough, as for
// `Mutex<T>`. The raw node pointers are owned by the stack; the hazard
// protocol makes concurrent access to them sound.
unsafe impl<T: Send> Send for TreiberStack<T> {}
// SAFETY: as above; `&TreiberStack` only allows operations that move `T`s.
unsafe impl<T: Send> Sync for TreiberStack<T> {}

impl<T> TreiberStack<T> {
    const_fn_outside_loom! {
        /// An empty stack. `const`, so a stack can live in a `static`;
        /// it allocates nothing until a thread first pushes or pops,
        /// `pop_all` included (its first use allocates the block of hazard
        /// slots it needs).
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
                head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                elimination: Elimination::new(),
                hazards: Hazards::new(),
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
    #[inline]
    pub fn push(&self, value: T) {
        let me = self.hazards.participant();
        let node = me.node(value);
        self.link(&me, node, node);
    }

    /// Links the private chain `top ..= bottom` on top of the stack with one
    /// successful CAS. The first try is inline; retries under contention
    /// are out of line ([`link_contended`](Self::link_contended)), which
    /// keeps `push` small enough to inline into the caller.
    #[inline]
    fn link(&self, me: &Participant<'_, T>, top: *mut Node<T>, bottom: *mut Node<T>) {
        // No hazard: push never dereferences the head, and the pointer it
        // stores in `bottom.next` stays a live allocation's (with its
        // provenance, rust-lang/rust#121950) because no node is freed while
        // the stack lives. Nor can ABA hurt a push: its CAS only needs the
        // head to be the pointer it linked below its chain, whatever
        // happened to that node in between.
        if !self.try_link(top, bottom, false) {
            self.link_contended(me, top, bottom);
        }
    }

    /// One try at linking `top ..= bottom` on top of the head read now,
    /// with a weak CAS (which may fail spuriously) unless `strong`.
    #[inline]
    fn try_link(&self, top: *mut Node<T>, bottom: *mut Node<T>, strong: bool) -> bool {
        // Relaxed: a guess, checked by the CAS; we never read its node.
        let head = self.head.load(Ordering::Relaxed);
        // SAFETY: `bottom` is ours until the CAS below publishes it.
        // Relaxed: the Release CAS publishes this store.
        unsafe { (*bottom).next.store(head, Ordering::Relaxed) };
        // Release: publishes the chain's values and links to the loads in
        // `protect` (SeqCst, so Acquire) and `pop_all` (Acquire). Relaxed
        // on failure: the next try reads the head again.
        let (success, failure) = (Ordering::Release, Ordering::Relaxed);
        if strong {
            self.head
                .compare_exchange(head, top, success, failure)
                .is_ok()
        } else {
            self.head
                .compare_exchange_weak(head, top, success, failure)
                .is_ok()
        }
    }

    /// `link` after its first try failed: tries again with a strong CAS,
    /// which fails only if another thread moved the head (the weak one may
    /// also fail spuriously, on LL/SC machines and under miri); then a lone
    /// node waits in the elimination array, where a pop may take it (a
    /// chain from `push_all` always goes to the head), backs off and tries
    /// again. The wait is long
    /// ([`ELIMINATION_WAIT`](crate::sync::ELIMINATION_WAIT) says why): the
    /// thread that won keeps the head to itself meanwhile. All of this is
    /// out of line, so that `push`'s inline path stays one weak CAS.
    #[cold]
    #[inline(never)]
    fn link_contended(&self, me: &Participant<'_, T>, top: *mut Node<T>, bottom: *mut Node<T>) {
        let backoff = Backoff::new();
        loop {
            // The head is read again (it has likely moved).
            if self.try_link(top, bottom, true) {
                return;
            }
            if top == bottom && self.elimination.offer(top, me.number()) {
                return;
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
    #[inline]
    pub fn pop(&self) -> Option<T> {
        let me = self.hazards.participant();
        match self.try_pop(&me) {
            Ok(popped) => popped,
            Err(Contended) => self.pop_contended(&me),
        }
    }

    /// One try at popping: the top value, or `None` if the stack (and the
    /// elimination array) is empty; `Err` if another thread moved the head
    /// first. Leaves no hazard set. Always inlined: when `rustc` chose not
    /// to (after an unrelated change elsewhere in the crate), pairs at one
    /// thread ran 13% slower in the paired benchmark (82 -> 71 M ops/s).
    #[inline(always)]
    fn try_pop(&self, me: &Participant<'_, T>) -> Result<Option<T>, Contended> {
        let head = me.protect(&self.head);
        if head.is_null() {
            me.clear();
            // A push waiting in the elimination array has not happened
            // yet; taking its value linearizes it just before this pop.
            return Ok(self.take_eliminated(me));
        }
        // SAFETY: `protect` returned `head` with our hazard on it, so no
        // scan recycles it before we clear the hazard (and no node is freed
        // while the stack lives); the SeqCst load in `protect` acquired its
        // `next` from the push that published it.
        // Relaxed: `next` never changes while the node is linked.
        let next = unsafe {
            (*head).check_canary();
            (*head).next.load(Ordering::Relaxed)
        };
        // Relaxed on success: the value we take was acquired by the load in
        // `protect`; a later popper of `next` synchronizes with its push
        // through the release sequence this RMW continues.
        if self
            .head
            .compare_exchange_weak(head, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            me.clear();
            return Err(Contended);
        }
        me.clear();
        // SAFETY: our CAS unlinked the node, so we alone may take its value
        // (once) and retire it (once).
        unsafe {
            let value = (*head).take();
            me.retire(head);
            Ok(Some(value))
        }
    }

    /// `pop` after its first try lost the head to another thread: takes a
    /// value from the elimination array if a push waits there, else backs
    /// off and tries again.
    #[cold]
    #[inline(never)]
    fn pop_contended(&self, me: &Participant<'_, T>) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            if let Some(value) = self.take_eliminated(me) {
                return Some(value);
            }
            backoff.spin();
            if let Ok(popped) = self.try_pop(me) {
                return popped;
            }
        }
    }

    /// The value of a push waiting in the elimination array, if any.
    fn take_eliminated(&self, me: &Participant<'_, T>) -> Option<T> {
        let node = self.elimination.take()?;
        // SAFETY: `take` gave us the offered node, full and ours alone: it
        // was never linked, so no hazard can name it and no other thread
        // dereferences it. We take the value once and recycle the node.
        unsafe {
            let value = (*node).take();
            me.recycle(node);
            Some(value)
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
        let me = self.hazards.participant();
        // Acquire: synchronizes with the Release CAS of every push whose node
        // is in the chain (every write to the head is an RMW, so each push
        // heads a release sequence that our swap reads from).
        let mut current = self.head.swap(ptr::null_mut(), Ordering::Acquire);
        let mut values = Vec::new();
        while !current.is_null() {
            // SAFETY: the swap unlinked the whole chain, so its nodes are
            // ours to empty and retire, each once; only we can retire them,
            // so none is recycled while we walk. Threads that protected one
            // before the swap only read its `next`, and their CAS fails.
            unsafe {
                values.push((*current).take());
                // Relaxed: published by the pushes' Release CASes, acquired
                // by our swap.
                let next = (*current).next.load(Ordering::Relaxed);
                me.retire(current);
                current = next;
            }
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
        // Relaxed: a snapshot of the head, which is compared with null and
        // never dereferenced.
        self.head.load(Ordering::Relaxed).is_null()
    }

    /// Pushes every value in order, so the last one ends on top, as that
    /// many `push` calls would; but the values are linked privately first
    /// and published with one CAS, so other threads see all of them or none.
    ///
    /// The iterator runs with no lock held, so it may use this stack too.
    /// If it panics, in `next` or in its own `Drop` once it has ended (where
    /// `Vec::extend` would keep what it produced), nothing is pushed: the
    /// values it already produced are dropped (each once) and the panic
    /// goes on.
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
        let mut values = Some(values.into_iter());
        let Some(first) = next_caught(&mut values) else {
            return;
        };
        // The iterator is user code, run between the node takings: no lock
        // may be held over it (it may use this stack). A thread without an
        // index (destroying its thread-locals) shares slot 0 behind a lock:
        // its chain is built of new nodes, and it takes the slot to link.
        let indexed = self.hazards.indexed_participant();
        let mut chain = Chain {
            me: indexed.as_ref(),
            top: ptr::null_mut(),
            bottom: ptr::null_mut(),
        };
        chain.add(first);
        while let Some(value) = next_caught(&mut values) {
            chain.add(value);
        }
        // Before the chain goes out: a panic of the iterator's `Drop` (the
        // only one then) drops the chain's values, and nothing is pushed.
        drop(values);
        let (top, bottom) = chain.into_ends();
        match indexed {
            Some(me) => self.link(&me, top, bottom),
            None => self.link(&self.hazards.participant(), top, bottom),
        }
    }
}

/// The next value of `values`, the iterator `push_all` was given (`None`
/// once it has ended). Should `next` panic, the iterator is dropped before
/// that panic goes on, a panic of its own `Drop` caught: coming while the
/// first one unwinds, that second panic aborted the process (a break run).
fn next_caught<I: Iterator>(values: &mut Option<I>) -> Option<I::Item> {
    let iterator = values.as_mut()?;
    match catch_unwind(AssertUnwindSafe(|| iterator.next())) {
        Ok(value) => value,
        Err(payload) => {
            drop_caught(values.take());
            resume_unwind(payload)
        }
    }
}

/// The private chain `push_all` builds, top to bottom, before one CAS
/// links it. If the input iterator panics, its drop drops the values
/// already in it (each once, a panicking `Drop` caught) and gives its nodes
/// back: nothing leaks.
struct Chain<'a, 'p, T> {
    /// The thread's own slot, whose pool gives and takes the nodes; `None`
    /// for a thread without an index, whose nodes are new.
    me: Option<&'p Participant<'a, T>>,
    top: *mut Node<T>,
    bottom: *mut Node<T>,
}

impl<T> Chain<'_, '_, T> {
    fn add(&mut self, value: T) {
        let node = match self.me {
            Some(me) => me.node(value),
            None => Node::allocate(value),
        };
        // SAFETY: `node` is ours until `link` publishes the chain.
        // Relaxed: the Release CAS in `link` publishes it.
        unsafe { (*node).next.store(self.top, Ordering::Relaxed) };
        if self.bottom.is_null() {
            self.bottom = node;
        }
        self.top = node;
    }

    /// The chain's ends, for `link`; the chain is no longer this guard's.
    fn into_ends(self) -> (*mut Node<T>, *mut Node<T>) {
        let ends = (self.top, self.bottom);
        std::mem::forget(self);
        ends
    }
}

impl<T> Drop for Chain<'_, '_, T> {
    fn drop(&mut self) {
        let mut current = self.top;
        while !current.is_null() {
            // SAFETY: the chain's nodes are ours alone (never published),
            // each full, each visited once.
            unsafe {
                // Relaxed: our own store, in `add`.
                let next = (*current).next.load(Ordering::Relaxed);
                let value = (*current).take();
                match self.me {
                    // Emptied and unreachable by others: pooled again.
                    Some(me) => me.recycle(current),
                    // New, never published: no thread ever saw it.
                    None => Node::free(current),
                }
                // Dropped while the iterator's panic unwinds: a second
                // panic would abort the process.
                drop_caught(value);
                current = next;
            }
        }
    }
}

/// A try lost the head to another thread's CAS.
struct Contended;

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
    /// Pushes every value in order (the last ends on top), as
    /// [`push_all`](TreiberStack::push_all) does.
    fn extend<I: IntoIterator<Item = T>>(&mut self, values: I) {
        self.push_all(values);
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
    /// Drops the values still on the stack, top first, and frees the nodes.
    /// A value whose `Drop` panics does not stop the others: every value is
    /// dropped and every node freed, then the first panic is resumed (a
    /// later one's payload is dropped). Dropped while a panic unwinds, the
    /// stack resumes none (that would abort the process): the values'
    /// panics are caught and their payloads dropped.
    fn drop(&mut self) {
        // Relaxed: `&mut self` orders every other thread's work before us.
        let mut current = self.head.load(Ordering::Relaxed);
        drop_all(std::iter::from_fn(|| {
            if current.is_null() {
                return None;
            }
            // SAFETY: with `&mut self` no other thread can reach the stack;
            // every linked node holds a value, never retired, so we take its
            // value and free it, each once. Retired, pooled and free-listed
            // nodes are freed by `Hazards::drop`.
            unsafe {
                // Relaxed: as above.
                let next = (*current).next.load(Ordering::Relaxed);
                let value = (*current).take();
                Node::free(current);
                current = next;
                Some(value)
            }
        }));
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
    #[cfg(not(loom))] // the stack's `new` is `const` outside loom only
    fn operations_from_a_thread_local_destructor_still_work() {
        // A destructor that runs after the thread gave its index back uses
        // the shared slot 0 under its lock (or its own slot, if it runs
        // first): either way the values arrive exactly once.
        static STACK: TreiberStack<u32> = TreiberStack::new();
        struct PushOnExit;
        impl Drop for PushOnExit {
            fn drop(&mut self) {
                STACK.push(7);
                STACK.push(8);
                assert_eq!(STACK.pop(), Some(8));
            }
        }
        std::thread_local! {
            static ON_EXIT: PushOnExit = const { PushOnExit };
        }
        std::thread::spawn(|| {
            ON_EXIT.with(|_| {});
            STACK.push(1);
        })
        .join()
        .unwrap();
        let mut left: Vec<u32> = STACK.pop_all().collect();
        left.sort_unstable();
        assert_eq!(left, [1, 7]);
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
