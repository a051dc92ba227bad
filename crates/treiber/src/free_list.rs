//! [`FreeList`]: the shared store of empty nodes that moves a thread's
//! surplus to the threads that push.
//!
//! A few slots, each holding a chain of empty nodes or null. A thread whose
//! pool is full places a chain of its empty nodes in an empty slot with one
//! CAS (or, when every slot is full, links it above one slot's chains); a
//! thread whose pool is empty takes one slot's chains with one swap, keeps
//! what fits its pool and places the rest back.
//!
//! No thread ever waits on another here: a refill takes one slot's chains
//! and walks them in private, while the nodes in the other slots stay
//! where every other thread can take them. (The list this replaced took everything
//! and put back the part it did not keep: a refill that found it empty
//! during that walk either waited for the walker, which a descheduled
//! walker makes unbounded, or allocated, which made two threads pushing
//! and popping in step grow the stack by about 20 nodes every 200 phases,
//! without bound.)
//!
//! "Take a slot" is the only removal, and that is why the slots need no
//! hazard pointers and have no ABA: a CAS that links a chain above a
//! slot's head only checks that the head is still the pointer it stored in
//! its chain's last `next`, and never reads the node behind it, so even if
//! that node was taken and placed back in between, the slot the CAS makes
//! holds exactly "our chain, then whatever is there now". No node is ever
//! freed while the stack lives (nodes are type-stable), so the head pointer
//! stored in `next` keeps a live allocation's provenance.

use std::ptr;

use crossbeam_utils::CachePadded;

use crate::node::Node;
use crate::sync::{null_pointers, AtomicPtr, Ordering, FREE_LIST_SLOTS};

pub(crate) struct FreeList<T> {
    /// Each slot: the top of a chain of empty nodes (several chains, linked
    /// one above the other, once every slot was full), or null. The slots
    /// share a line: a thread touches them once per half a pool of pushes
    /// or pops, not per operation.
    slots: CachePadded<[AtomicPtr<Node<T>>; FREE_LIST_SLOTS]>,
}

impl<T> FreeList<T> {
    atomics_kit::const_fn_outside_loom! {
        pub(crate) fn new() -> FreeList<T> {
            FreeList {
                slots: CachePadded::new(null_pointers()),
            }
        }
    }

    /// The slots in the order a thread numbered `hint` tries them: each
    /// thread starts at its own, so threads rarely meet on one.
    fn slots_from(&self, hint: usize) -> impl Iterator<Item = &AtomicPtr<Node<T>>> {
        let first = hint % FREE_LIST_SLOTS;
        self.slots[first..].iter().chain(&self.slots[..first])
    }

    /// Places the private chain of empty nodes `top ..= bottom` (linked
    /// through `next`) in the list.
    ///
    /// # Safety
    ///
    /// Every node of the chain is empty, owned by the caller, and reachable
    /// by no other thread (not linked in the stack, named by no hazard).
    pub(crate) unsafe fn push_chain(&self, top: *mut Node<T>, bottom: *mut Node<T>, hint: usize) {
        // SAFETY: `bottom` is ours until a CAS below publishes it.
        // Relaxed: the Release CAS that places the chain publishes it.
        unsafe { (*bottom).next.store(ptr::null_mut(), Ordering::Relaxed) };
        if self.place_in_empty_slot(top, hint) {
            return;
        }
        // SAFETY: the caller's contract.
        unsafe { self.link_above(top, bottom, hint) };
    }

    /// Tries to place the chain from `top` (ending in null) in an empty
    /// slot; false if every slot held nodes when tried.
    fn place_in_empty_slot(&self, top: *mut Node<T>, hint: usize) -> bool {
        self.slots_from(hint).any(|slot| {
            // Relaxed: a cheap look first; the CAS decides. Release on the
            // CAS: publishes the chain's links (and that its nodes are
            // empty) to the Acquire swap in `take`. Relaxed on failure: the
            // slot filled meanwhile, we try the next.
            slot.load(Ordering::Relaxed).is_null()
                && slot
                    .compare_exchange(ptr::null_mut(), top, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
        })
    }

    /// Links the chain `top ..= bottom` above whatever the slot numbered
    /// `hint` holds, with one successful CAS.
    ///
    /// # Safety
    ///
    /// As for [`push_chain`](Self::push_chain).
    unsafe fn link_above(&self, top: *mut Node<T>, bottom: *mut Node<T>, hint: usize) {
        let slot = &self.slots[hint % FREE_LIST_SLOTS];
        // Relaxed: a first guess; the CAS checks it, and we never read the
        // node behind it.
        let mut head = slot.load(Ordering::Relaxed);
        loop {
            // SAFETY: `bottom` is ours until the CAS below publishes it.
            // Relaxed: the Release CAS publishes this store.
            unsafe { (*bottom).next.store(head, Ordering::Relaxed) };
            // Release: as in `place_in_empty_slot`; and since every write
            // to a slot is an RMW, the chains already below stay in the
            // release sequences the taker's Acquire swap reads from.
            // Relaxed on failure: we only retry with the head we read.
            match slot.compare_exchange_weak(head, top, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }

    /// Moves nodes of one slot into `pool` until it holds `room` nodes, and
    /// places the rest back. Leaves `pool` as it was if every slot is empty
    /// (the caller then allocates).
    ///
    /// Every node moved to `pool` is empty and the caller's alone.
    pub(crate) fn refill(&self, pool: &mut Vec<*mut Node<T>>, room: usize, hint: usize) {
        let mut current = self.take(hint);
        while !current.is_null() && pool.len() < room {
            pool.push(current);
            // SAFETY: `take` made the chain ours alone, and nodes are never
            // freed while the stack lives.
            // Relaxed: acquired by the swap in `take`.
            current = unsafe { (*current).next.load(Ordering::Relaxed) };
        }
        if !current.is_null() && !self.place_in_empty_slot(current, hint) {
            let mut bottom = current;
            loop {
                // SAFETY: the rest of the chain taken is ours alone.
                // Relaxed: our own chain, acquired when it was taken.
                let next = unsafe { (*bottom).next.load(Ordering::Relaxed) };
                if next.is_null() {
                    break;
                }
                bottom = next;
            }
            // SAFETY: the rest of the chain taken: empty nodes, ours
            // alone, `current ..= bottom`.
            unsafe { self.link_above(current, bottom, hint) };
        }
    }

    /// Takes the chains of the first slot (from `hint` on) that holds any,
    /// as one chain linked through `next` and ending in null, or null if
    /// every slot is empty; the caller owns every node of it.
    pub(crate) fn take(&self, hint: usize) -> *mut Node<T> {
        for slot in self.slots_from(hint) {
            // Relaxed: a cheap look first, so an empty slot costs no
            // locked instruction; the swap below is what takes.
            if slot.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // Acquire: synchronizes with the Release CAS of every push
            // whose chain we take (each write to a slot is an RMW, so
            // every push heads a release sequence our swap reads from).
            let taken = slot.swap(ptr::null_mut(), Ordering::Acquire);
            if !taken.is_null() {
                return taken;
            }
        }
        ptr::null_mut()
    }
}

impl<T> Drop for FreeList<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            // Relaxed: `&mut self` orders every other thread's work before us.
            let mut current = slot.load(Ordering::Relaxed);
            while !current.is_null() {
                // SAFETY: with `&mut self` no thread can reach the list; its
                // nodes are empty and in it once, so each is freed once.
                unsafe {
                    // Relaxed: as above.
                    let next = (*current).next.load(Ordering::Relaxed);
                    Node::free(current);
                    current = next;
                }
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
            unsafe { self.list.push_chain(top, bottom, 0) };
        }

        /// Refills a pool of up to `keep` nodes (the rest goes back on the
        /// list) and returns the ids it kept, freeing those nodes.
        pub fn refill(&self, keep: usize) -> Vec<u32> {
            let mut pool = Vec::new();
            self.list.refill(&mut pool, keep, 0);
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

        /// Takes slot after slot until one is found empty and returns the
        /// ids they held, freeing nodes.
        pub fn take_all(&self) -> Vec<u32> {
            let mut ids = Vec::new();
            loop {
                let mut current = self.list.take(0);
                if current.is_null() {
                    return ids;
                }
                while !current.is_null() {
                    // SAFETY: `take` made the chain ours alone; each node
                    // holds an id, taken once, and is freed once.
                    unsafe {
                        ids.push((*current).take());
                        // Relaxed: acquired by the swap in `take`.
                        let next = (*current).next.load(Ordering::Relaxed);
                        Node::free(current);
                        current = next;
                    }
                }
            }
        }
    }
}
