//! [`FreeList`]: the shared list of empty nodes that moves a thread's
//! surplus to the threads that push.
//!
//! A thread whose pool is full pushes a chain of its empty nodes here with
//! one CAS; a thread whose pool is empty takes the whole list with one swap,
//! keeps half a pool of it and puts the rest back (one CAS while the list
//! is still empty).
//! "Take everything" is the only removal, and that is why the list needs no
//! hazard pointers and has no ABA: a push's CAS only checks that the head is
//! still the pointer it stored in its chain's last `next`, and never reads
//! the node behind it, so even if that node was taken and pushed back in
//! between, the list the CAS makes is exactly "our chain, then whatever is
//! there now". No node is ever freed while the stack lives (nodes are
//! type-stable), so the head pointer stored in `next` keeps a live
//! allocation's provenance.

use std::ptr;

use crossbeam_utils::{Backoff, CachePadded};

use crate::node::Node;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering};

pub(crate) struct FreeList<T> {
    /// The top empty node, or null.
    head: CachePadded<AtomicPtr<Node<T>>>,
    /// Refills that took a chain and have not put its rest back yet: while
    /// one has, an empty list is only empty for a moment (see `refill`).
    holding: CachePadded<AtomicUsize>,
}

impl<T> FreeList<T> {
    atomics_kit::const_fn_outside_loom! {
        pub(crate) fn new() -> FreeList<T> {
            FreeList {
                head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                holding: CachePadded::new(AtomicUsize::new(0)),
            }
        }
    }

    /// Puts the private chain of empty nodes `top ..= bottom` (linked
    /// through `next`) on the list.
    ///
    /// # Safety
    ///
    /// Every node of the chain is empty, owned by the caller, and reachable
    /// by no other thread (not linked in the stack, named by no hazard).
    pub(crate) unsafe fn push_chain(&self, top: *mut Node<T>, bottom: *mut Node<T>) {
        // Relaxed: a first guess; the CAS checks it, and we never read the
        // node behind it.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            // SAFETY: `bottom` is ours until the CAS below publishes it.
            // Relaxed: the Release CAS publishes this store.
            unsafe { (*bottom).next.store(head, Ordering::Relaxed) };
            // Release: publishes the chain's links (and that the nodes are
            // empty) to the Acquire swap in `take_all`. Relaxed on failure:
            // we only retry with the head we read.
            match self
                .head
                .compare_exchange_weak(head, top, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }

    /// Moves up to `keep` nodes of the list into `pool` and puts the rest
    /// back at once. Keeping everything let one thread hoard the surplus
    /// while another, finding the list empty, allocated: two threads
    /// pushing and popping in step grew a stack by thousands of nodes a
    /// second without bound (a break run). A refill that finds the list
    /// empty while another holds a chain waits a moment (a bounded
    /// backoff, so it never waits for a thread that is not running) for
    /// the rest to come back rather than leave its caller to allocate.
    ///
    /// Every node moved to `pool` is empty and the caller's alone.
    pub(crate) fn refill(&self, pool: &mut Vec<*mut Node<T>>, keep: usize) {
        let mut current = self.take_all();
        if current.is_null() {
            let backoff = Backoff::new();
            // Relaxed: a hint; a stale read costs one allocation at most.
            while self.holding.load(Ordering::Relaxed) > 0 && !backoff.is_completed() {
                backoff.snooze();
                current = self.take_all();
                if !current.is_null() {
                    break;
                }
            }
            if current.is_null() {
                return;
            }
        }
        // Relaxed: a hint for other refills, as above.
        self.holding.fetch_add(1, Ordering::Relaxed);
        while !current.is_null() && pool.len() < keep {
            pool.push(current);
            // SAFETY: `take_all` made the chain ours alone, and nodes are
            // never freed while the stack lives.
            // Relaxed: acquired by the swap in `take_all`.
            current = unsafe { (*current).next.load(Ordering::Relaxed) };
        }
        if !current.is_null() {
            // SAFETY: the rest of the chain taken: empty nodes, ours
            // alone, ending in null.
            unsafe { self.push_rest(current) };
        }
        // Relaxed: as above.
        self.holding.fetch_sub(1, Ordering::Relaxed);
    }

    /// Puts back the chain from `top` to its end (the rest of a chain
    /// [`take_all`](Self::take_all) gave): in one CAS if the list is
    /// still empty (the usual case: the caller emptied it a moment ago),
    /// else after a walk to the chain's last node, as a `push_chain`.
    ///
    /// # Safety
    ///
    /// As for [`push_chain`](Self::push_chain), for every node from `top`
    /// through the null-terminated `next` links.
    unsafe fn push_rest(&self, top: *mut Node<T>) {
        // Release: publishes the chain's links, as in `push_chain`.
        // Relaxed on failure: we fall back to `push_chain`, which reads
        // the head again.
        if self
            .head
            .compare_exchange(ptr::null_mut(), top, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        let mut bottom = top;
        loop {
            // SAFETY: the chain is ours alone (the caller's contract).
            // Relaxed: our own chain, acquired when it was taken.
            let next = unsafe { (*bottom).next.load(Ordering::Relaxed) };
            if next.is_null() {
                break;
            }
            bottom = next;
        }
        // SAFETY: the caller's contract, for `top ..= bottom`.
        unsafe { self.push_chain(top, bottom) };
    }

    /// Takes every node on the list, as a chain linked through `next` and
    /// ending in null; the caller owns all of them.
    pub(crate) fn take_all(&self) -> *mut Node<T> {
        // Relaxed: a cheap look first, so an empty list costs no locked
        // instruction; the swap below is what takes.
        if self.head.load(Ordering::Relaxed).is_null() {
            return ptr::null_mut();
        }
        // Acquire: synchronizes with the Release CAS of every `push_chain`
        // whose chain we take (each write to the head is an RMW, so every
        // push heads a release sequence our swap reads from).
        self.head.swap(ptr::null_mut(), Ordering::Acquire)
    }
}

impl<T> Drop for FreeList<T> {
    fn drop(&mut self) {
        // Relaxed: `&mut self` orders every other thread's work before us.
        let mut current = self.head.load(Ordering::Relaxed);
        while !current.is_null() {
            // SAFETY: with `&mut self` no thread can reach the list; its
            // nodes are empty and on it once, so each is freed once.
            unsafe {
                // Relaxed: as above.
                let next = (*current).next.load(Ordering::Relaxed);
                Node::free(current);
                current = next;
            }
        }
    }
}

/// The free list's protocol, exposed for the loom model in `tests/loom.rs`
/// (a node lost or handed out twice shows as a value missing or repeated).
#[cfg(loom)]
#[doc(hidden)]
pub mod model {
    use super::FreeList;
    use crate::node::Node;
    use crate::sync::Ordering;

    /// A free list whose nodes carry an id, so a model can follow them.
    pub struct Model {
        list: FreeList<u32>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Model").finish_non_exhaustive()
        }
    }

    impl Default for Model {
        fn default() -> Self {
            Model {
                list: FreeList::new(),
            }
        }
    }

    impl Model {
        /// Pushes a chain of fresh nodes holding `ids` (first on top).
        pub fn push(&self, ids: &[u32]) {
            let mut top: *mut Node<u32> = std::ptr::null_mut();
            let mut bottom = std::ptr::null_mut();
            for &id in ids.iter().rev() {
                let node = Node::allocate(id);
                if top.is_null() {
                    bottom = node;
                } else {
                    // SAFETY: `node` is ours and unpublished.
                    // Relaxed: published by `push_chain`'s Release CAS.
                    unsafe { (*node).next.store(top, Ordering::Relaxed) };
                }
                top = node;
            }
            // SAFETY: the chain is fresh and ours alone. (The model keeps a
            // value in each node so it can follow it; the stack's nodes are
            // empty here, which the list never looks at.)
            unsafe { self.list.push_chain(top, bottom) };
        }

        /// Refills a pool of up to `keep` nodes (the rest goes back on the
        /// list) and returns the ids it kept, freeing those nodes.
        pub fn refill(&self, keep: usize) -> Vec<u32> {
            let mut pool = Vec::new();
            self.list.refill(&mut pool, keep);
            pool.into_iter()
                .map(|node| {
                    // SAFETY: `refill` gave us these nodes alone; each holds
                    // an id, taken once, and is freed once.
                    unsafe {
                        let id = (*node).take();
                        Node::free(node);
                        id
                    }
                })
                .collect()
        }

        /// Takes the whole list and returns the ids it held, freeing nodes.
        pub fn take_all(&self) -> Vec<u32> {
            let mut current = self.list.take_all();
            let mut ids = Vec::new();
            while !current.is_null() {
                // SAFETY: `take_all` made the chain ours alone; each node
                // holds an id, taken once, and is freed once.
                unsafe {
                    ids.push((*current).take());
                    // Relaxed: acquired by the swap in `take_all`.
                    let next = (*current).next.load(Ordering::Relaxed);
                    Node::free(current);
                    current = next;
                }
            }
            ids
        }
    }
}
