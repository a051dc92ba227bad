//! [`FreeList`]: the shared store of empty nodes that moves a thread's
//! surplus to the threads that push.
//!
//! A few slots, each a Treiber stack of *chains*. A chain is what a full
//! pool spills: its newer half, linked through `next`, whose top node
//! records the chain's last node (in the value's place). A spilling thread
//! places its chain in an empty slot with one CAS, or, when every slot
//! holds chains, links it above one slot's chains. A thread whose pool is
//! empty pops one chain: it reads a slot's top node under its hazard
//! pointer, finds the chain below through the recorded last node (no
//! walk), and swings the slot to it with one CAS.
//!
//! So a node is always in the stack, a pool, a retired list or a slot
//! (or in the hands of the one push or pop using it): no refill hides any
//! surplus, not even for an instant, and no
//! thread waits for another. (The lists this replaced took a whole list or
//! a whole slot and put back the part they did not keep: a refill
//! preempted before its put-back hid that part, others allocated meanwhile,
//! and stacks grew without bound: by about 20 nodes every 200 phases with
//! two threads in step, to 149,065 nodes for at most 3,864 values with
//! eight, to 6,128 nodes for 1,000 in flight with three producers and two
//! consumers.)
//!
//! The pop is Treiber's, and the stack's hazard pointers keep it from ABA:
//! while a thread's hazard names a slot's top node, that node cannot leave
//! a taker's retired list (the taker retires the top node of every chain it
//! pops, instead of pooling it), so it cannot be filled, and cannot top a
//! slot again: a CAS that finds it still there is right about the chain
//! below it. Pushes need no hazard: a CAS that links a chain above a slot's
//! head only checks that the head is still the pointer it stored in its
//! chain's last `next`, and never reads the node behind it. No node is ever
//! freed while the stack lives (nodes are type-stable), so a head pointer
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

    /// The slots in the order a thread starting at number `first` tries
    /// them: each thread starts at its own, so threads rarely meet on one.
    fn slots_from(&self, first: usize) -> impl Iterator<Item = &AtomicPtr<Node<T>>> {
        let first = first % FREE_LIST_SLOTS;
        self.slots[first..].iter().chain(&self.slots[..first])
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
        if self.place_in_empty_slot(top, hint) {
            return;
        }
        let slot = &self.slots[hint % FREE_LIST_SLOTS];
        // Relaxed: a first guess; the CAS checks it, and we never read the
        // node behind it.
        let mut head = slot.load(Ordering::Relaxed);
        loop {
            // SAFETY: `bottom` is ours until the CAS below publishes it.
            // Relaxed: the Release CAS publishes this store.
            unsafe { (*bottom).next.store(head, Ordering::Relaxed) };
            // Release: as in `place_in_empty_slot`. Relaxed on failure: we
            // only retry with the head we read.
            match slot.compare_exchange_weak(head, top, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }

    /// Tries to place the chain from `top` (ending in null) in an empty
    /// slot, from the slot numbered `first` on; false if every slot held
    /// chains when tried.
    fn place_in_empty_slot(&self, top: *mut Node<T>, first: usize) -> bool {
        self.slots_from(first).any(|slot| {
            // Relaxed: a cheap look first; the CAS decides. Release on the
            // CAS: publishes the chain's links, recorded end and empty
            // cells to the loads in `pop_chain` (SeqCst, so Acquire, in
            // `protect`), through the release sequence every later RMW on
            // the slot continues. Relaxed on failure: the slot filled
            // meanwhile, we try the next.
            slot.load(Ordering::Relaxed).is_null()
                && slot
                    .compare_exchange(ptr::null_mut(), top, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
        })
    }

    /// Pops the top chain of the first slot (from the slot numbered `hint`
    /// on) that holds one: its top and last nodes, the chain linked through
    /// `next` from one to the other, or `None` if every slot is empty.
    ///
    /// `protect` reads a slot and announces the node it read (the caller's
    /// hazard pointer, as [`Participant::protect`] does) before returning
    /// it. The chain is then the caller's, except that the top node may
    /// still be named by other threads' hazards: the caller clears its own
    /// and retires the top node (reused only once no hazard names it), and
    /// may reuse every other node of the chain at once.
    ///
    /// [`Participant::protect`]: crate::hazard::Participant::protect
    pub(crate) fn pop_chain(
        &self,
        hint: usize,
        mut protect: impl FnMut(&AtomicPtr<Node<T>>) -> *mut Node<T>,
    ) -> Option<(*mut Node<T>, *mut Node<T>)> {
        self.slots_from(hint).find_map(|slot| {
            // Relaxed: a cheap look first, so an empty slot costs no hazard
            // store; `protect` reads it again.
            if slot.load(Ordering::Relaxed).is_null() {
                return None;
            }
            loop {
                let top = protect(slot);
                if top.is_null() {
                    return None;
                }
                // SAFETY: nodes are never freed while the stack lives.
                // Under miri: a top node recycled while our hazard names it
                // shows as a data race here.
                unsafe { (*top).check_canary() };
                // SAFETY: the hazard keeps `top` on a retired list or a
                // slot, so nothing writes its payload; the placing CAS
                // published the record, and `protect`'s SeqCst load
                // acquired it.
                let bottom = unsafe { (*top).chain_bottom() };
                // SAFETY: nodes are never freed while the stack lives; if
                // `bottom` was taken and reused meanwhile, the CAS below
                // fails.
                // Relaxed: written before the placing CAS that `protect`
                // acquired, and checked by the CAS below.
                let below = unsafe { (*bottom).next.load(Ordering::Relaxed) };
                // Acquire on success: the chains below `top` were placed
                // before, in the slot's release sequence; and this CAS is
                // the unlink the taker's later scan fence orders before its
                // hazard reads. Relaxed on failure: we protect again.
                if slot
                    .compare_exchange(top, below, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    return Some((top, bottom));
                }
            }
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

        /// Pops one chain, as a refill does, and returns its ids, top
        /// first. (No hazard: the model never reuses a node, so a top node
        /// popped never tops a slot again.)
        pub fn refill(&self) -> Vec<u32> {
            let Some((top, bottom)) = self.list.pop_chain(0, |slot| slot.load(Ordering::SeqCst))
            else {
                return Vec::new();
            };
            let mut ids = Vec::new();
            let mut current = top;
            loop {
                ids.push(self.hand_out(current));
                if current == bottom {
                    return ids;
                }
                // SAFETY: the popped chain is ours, and the model frees no
                // node while it runs.
                // Relaxed: acquired by the pop.
                current = unsafe { (*current).next.load(Ordering::Relaxed) };
            }
        }

        /// Pops chains until the list is empty and returns their ids.
        pub fn take_all(&self) -> Vec<u32> {
            let mut ids = Vec::new();
            loop {
                let chain = self.refill();
                if chain.is_empty() {
                    return ids;
                }
                ids.extend(chain);
            }
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
