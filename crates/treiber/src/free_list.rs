//! [`FreeList`]: the shared store of empty nodes that moves a thread's
//! surplus to the threads that push.
//!
//! A few slots, each holding chains of empty nodes or null. A chain is what
//! a full pool spills: its newer half, linked through `next`, whose top node
//! records the chain's last node (in the value's place). A spilling thread
//! places its chain in an empty slot with one CAS, or, when every slot
//! holds chains, links it above one slot's chains. A thread whose pool is
//! empty takes one slot with one swap, places the chains below the top one
//! back at once (one CAS: it finds their start through the top chain's
//! recorded end, without a walk), and only then moves the top chain into
//! its pool.
//!
//! So no thread waits for another here, and a refill hides nothing but the
//! one chain it keeps, and the rest for the few instructions between its
//! swap and its put-back. (The lists this replaced walked nodes before the
//! put-back: half a pool's worth, then `room` of a whole slot. A refill
//! that found the nodes gone during that walk allocated, so threads
//! pushing and popping in step grew the stack without bound: about 20
//! nodes every 200 phases with two threads, 35 a round with eight threads
//! and 1 KiB values.)
//!
//! "Take a slot" is the only removal, and that is why the slots need no
//! hazard pointers and have no ABA: a CAS that links chains above a slot's
//! head only checks that the head is still the pointer it stored in its
//! last chain's last `next`, and never reads the node behind it, so even if
//! that node was taken and placed back in between, the slot the CAS makes
//! holds exactly "our chains, then whatever is there now". No node is ever
//! freed while the stack lives (nodes are type-stable), so the head pointer
//! stored in `next` keeps a live allocation's provenance.

use std::ptr;

use crossbeam_utils::CachePadded;

use crate::node::Node;
use crate::sync::{null_pointers, AtomicPtr, Ordering, FREE_LIST_SLOTS};

pub(crate) struct FreeList<T> {
    /// Each slot: the top node of its first chain (the chains linked one
    /// above the other through their last nodes' `next`), or null. The
    /// slots share a line: a thread touches them once per half a pool of
    /// pushes or pops, not per operation.
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

    /// The slots' numbers in the order a thread starting at `first` tries
    /// them: each thread starts at its own, so threads rarely meet on one.
    fn slots_from(first: usize) -> impl Iterator<Item = usize> {
        (0..FREE_LIST_SLOTS).map(move |offset| (first + offset) % FREE_LIST_SLOTS)
    }

    /// Places the private chain of empty nodes `top ..= bottom` (linked
    /// through `next`) in the list, starting with the slot numbered `hint`.
    ///
    /// # Safety
    ///
    /// Every node of the chain is empty, owned by the caller, and reachable
    /// by no other thread (not linked in the stack, named by no hazard).
    pub(crate) unsafe fn push_chain(&self, top: *mut Node<T>, bottom: *mut Node<T>, hint: usize) {
        // SAFETY: the chain is ours until a CAS below publishes it; `top`
        // is empty.
        // Relaxed: the Release CAS that places the chain publishes it.
        unsafe {
            (*top).set_chain_bottom(bottom);
            (*bottom).next.store(ptr::null_mut(), Ordering::Relaxed);
        }
        if !self.place_in_empty_slot(top, hint) {
            // SAFETY: the caller's contract.
            unsafe { self.link_above(top, bottom, hint) };
        }
    }

    /// Tries to place the chains from `top` (ending in null) in an empty
    /// slot, from the slot numbered `first` on; false if every slot held
    /// chains when tried.
    fn place_in_empty_slot(&self, top: *mut Node<T>, first: usize) -> bool {
        Self::slots_from(first).any(|index| {
            let slot = &self.slots[index];
            // Relaxed: a cheap look first; the CAS decides. Release on the
            // CAS: publishes the chains' links, recorded ends and empty
            // cells to the Acquire swap in `take`. Relaxed on failure: the
            // slot filled meanwhile, we try the next.
            slot.load(Ordering::Relaxed).is_null()
                && slot
                    .compare_exchange(ptr::null_mut(), top, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
        })
    }

    /// Links the private chains `top ..= bottom` above whatever the slot
    /// numbered `index` holds, with one successful CAS.
    ///
    /// # Safety
    ///
    /// As for [`push_chain`](Self::push_chain); `bottom` is the last node
    /// of the chains.
    unsafe fn link_above(&self, top: *mut Node<T>, bottom: *mut Node<T>, index: usize) {
        let slot = &self.slots[index % FREE_LIST_SLOTS];
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

    /// Moves the top chain of one slot (from the slot numbered `hint` on)
    /// into `pool`, after placing the chains below it back. Leaves `pool`
    /// as it was if every slot is empty (the caller then allocates).
    ///
    /// Every node moved to `pool` is empty and the caller's alone. A chain
    /// is what one spill made (see `push_chain`'s callers), so the caller
    /// knows how many nodes it can hold.
    pub(crate) fn refill(&self, pool: &mut Vec<*mut Node<T>>, hint: usize) {
        let Some((index, top)) = self.take(hint) else {
            return;
        };
        // SAFETY: `take` made the chains ours alone; `top` tops the first,
        // whose end its placer recorded, published by the swap.
        let bottom = unsafe { (*top).chain_bottom() };
        // SAFETY: as above: `bottom` is in the chains taken.
        // Relaxed: acquired by the swap in `take`.
        let rest = unsafe { (*bottom).next.load(Ordering::Relaxed) };
        if !rest.is_null() {
            // SAFETY: the chains below the first, ours alone, ending in
            // null.
            unsafe { self.place_back(rest, index) };
        }
        let mut current = top;
        loop {
            pool.push(current);
            if current == bottom {
                break;
            }
            // SAFETY: the first chain is ours alone, and nodes are never
            // freed while the stack lives.
            // Relaxed: acquired by the swap in `take`.
            current = unsafe { (*current).next.load(Ordering::Relaxed) };
        }
    }

    /// Places the chains from `rest` back, in the slot numbered `index`
    /// (just emptied) or any other empty one with one CAS; if every slot
    /// filled meanwhile, chain by chain above the slot numbered `index`.
    ///
    /// # Safety
    ///
    /// The chains from `rest` (ending in null) are empty nodes, the
    /// caller's alone, each topped by a node that records its end.
    unsafe fn place_back(&self, rest: *mut Node<T>, index: usize) {
        if self.place_in_empty_slot(rest, index) {
            return;
        }
        let mut top = rest;
        while !top.is_null() {
            // SAFETY: the caller's contract: `top` tops one of our chains.
            let bottom = unsafe { (*top).chain_bottom() };
            // SAFETY: as above; read before `link_above` overwrites it.
            // Relaxed: our own chains.
            let next = unsafe { (*bottom).next.load(Ordering::Relaxed) };
            // SAFETY: `top ..= bottom` is one of our chains.
            unsafe { self.link_above(top, bottom, index) };
            top = next;
        }
    }

    /// Takes every chain of the first slot (from the slot numbered `hint`
    /// on) that holds any: the slot's number and its first chain's top
    /// node, the chains linked through `next` and ending in null, all of
    /// them the caller's. `None` if every slot is empty.
    pub(crate) fn take(&self, hint: usize) -> Option<(usize, *mut Node<T>)> {
        Self::slots_from(hint).find_map(|index| {
            let slot = &self.slots[index];
            // Relaxed: a cheap look first, so an empty slot costs no
            // locked instruction; the swap below is what takes.
            if slot.load(Ordering::Relaxed).is_null() {
                return None;
            }
            // Acquire: synchronizes with the Release CAS of every placing
            // whose chains we take (each write to a slot is an RMW, so
            // every placing heads a release sequence our swap reads from).
            let taken = slot.swap(ptr::null_mut(), Ordering::Acquire);
            (!taken.is_null()).then_some((index, taken))
        })
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
    use std::sync::atomic::AtomicPtr as StdAtomicPtr;
    use std::sync::Mutex;

    use super::FreeList;
    use crate::node::Node;
    use crate::sync::Ordering;

    /// A free list of empty nodes, each known to the model by an id (the
    /// list writes into empty nodes, so the ids are kept beside them).
    /// Nodes handed out are freed only with the model, so no address is
    /// reused while it runs.
    pub struct Model {
        list: FreeList<u32>,
        /// Bookkeeping outside the model (std locks, no loom scheduling
        /// points): every node made, by address, with its id; and every
        /// node the list handed out.
        ids: Mutex<Vec<(usize, u32)>>,
        handed_out: Mutex<Vec<StdAtomicPtr<Node<u32>>>>,
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
                ids: Mutex::new(Vec::new()),
                handed_out: Mutex::new(Vec::new()),
            }
        }
    }

    impl Model {
        /// Places a chain of fresh empty nodes with ids `ids` (first on
        /// top), as a full pool spills one.
        pub fn push(&self, ids: &[u32]) {
            let mut top: *mut Node<u32> = std::ptr::null_mut();
            let mut bottom = std::ptr::null_mut();
            for &id in ids.iter().rev() {
                let node = Node::allocate(0);
                // SAFETY: `node` is fresh and ours; emptied, as the stack
                // empties nodes before they reach the list.
                unsafe { (*node).take() };
                self.ids.lock().unwrap().push((node.addr(), id));
                if top.is_null() {
                    bottom = node;
                } else {
                    // SAFETY: `node` is ours and unpublished.
                    // Relaxed: published by `push_chain`'s Release CAS.
                    unsafe { (*node).next.store(top, Ordering::Relaxed) };
                }
                top = node;
            }
            // SAFETY: the chain is fresh, empty and ours alone.
            unsafe { self.list.push_chain(top, bottom, 0) };
        }

        /// Refills an empty pool (one chain; the rest goes back on the
        /// list) and returns the ids it kept, in chain order.
        pub fn refill(&self) -> Vec<u32> {
            let mut pool = Vec::new();
            self.list.refill(&mut pool, 0);
            pool.into_iter().map(|node| self.hand_out(node)).collect()
        }

        /// Takes slot after slot until one is found empty and returns the
        /// ids they held, in chain order.
        pub fn take_all(&self) -> Vec<u32> {
            let mut ids = Vec::new();
            while let Some((_, mut current)) = self.list.take(0) {
                while !current.is_null() {
                    // SAFETY: `take` made the chains ours alone, and the
                    // model frees no node while it runs.
                    // Relaxed: acquired by the swap in `take`.
                    let next = unsafe { (*current).next.load(Ordering::Relaxed) };
                    ids.push(self.hand_out(current));
                    current = next;
                }
            }
            ids
        }

        /// The id of a node the list handed out, kept to be freed with the
        /// model.
        fn hand_out(&self, node: *mut Node<u32>) -> u32 {
            self.handed_out
                .lock()
                .unwrap()
                .push(StdAtomicPtr::new(node));
            let ids = self.ids.lock().unwrap();
            ids.iter()
                .find(|(address, _)| *address == node.addr())
                .map(|&(_, id)| id)
                .expect("a node the model made")
        }
    }

    impl Drop for Model {
        fn drop(&mut self) {
            // The list frees what it still holds; we free what it handed
            // out, once each (a node handed out twice, a defect the models
            // report by its repeated id, is not freed twice).
            let mut handed_out: Vec<*mut Node<u32>> = self
                .handed_out
                .get_mut()
                .unwrap()
                .iter_mut()
                .map(|node| *node.get_mut())
                .collect();
            handed_out.sort_unstable();
            handed_out.dedup();
            for node in handed_out {
                // SAFETY: made by `push`, empty, handed out by the list (so
                // no longer on it), and freed once here.
                unsafe { Node::free(node) };
            }
        }
    }
}
