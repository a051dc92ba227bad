//! [`Elimination`]: a side array where a push and a pop that collide can
//! trade a value without touching the head (Hendler, Shavit and Yerushalmi,
//! "A scalable lock-free stack algorithm", SPAA 2004).
//!
//! Only a push that just lost a CAS on the head *offers* its node in a slot,
//! and waits a little; a pop that lost a CAS (or found the stack empty)
//! looks through the slots and *claims* an offer. An eliminated pair is
//! linearized at the claim, as a push immediately followed by a pop, so the
//! stack itself never sees it.
//!
//! A slot is a pointer with three states: null (free), a node (an offer),
//! or [`taken`] (claimed, and not free again until its pusher clears it).
//! Only the pusher whose node was claimed moves a slot from taken to free,
//! so while it still looks at the slot no other offer can appear there:
//! the comparison in its withdrawal cannot be fooled by a recycled node
//! at the same address (no ABA).

use std::ptr;

use crossbeam_utils::CachePadded;

use crate::node::Node;
use crate::sync::{spin_hint, yield_now, AtomicPtr, Ordering, ELIMINATION_WAIT, YIELD_EVERY};

/// Slots in the array. Pushers pick one by thread index; pops look at all.
const SLOTS: usize = 4;

pub(crate) struct Elimination<T> {
    slots: [CachePadded<AtomicPtr<Node<T>>>; SLOTS],
}

/// The claimed state: the type's dangling address (its alignment), with no
/// provenance to misuse. No node is there for alignments up to 64 KiB on
/// Linux, whose lowest 64 KiB are never mapped; should an allocator place
/// one there all the same, the collision is harmless: pops skip that offer
/// as claimed, and its pusher withdraws it (a break run's reading).
fn taken<T>() -> *mut Node<T> {
    ptr::dangling_mut()
}

impl<T> Elimination<T> {
    atomics_kit::const_fn_outside_loom! {
        pub(crate) fn new() -> Elimination<T> {
            Elimination {
                slots: [
                    CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                    CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                    CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                    CachePadded::new(AtomicPtr::new(ptr::null_mut())),
                ],
            }
        }
    }

    /// Offers `node` (full, owned by the caller) in the slot for
    /// `thread_index`, and waits up to [`ELIMINATION_WAIT`] steps (spin
    /// hints, every [`YIELD_EVERY`]th a yield of the core) for a pop to take
    /// it. Returns `true` if one did: the node and its value now belong to
    /// that pop. On `false` the node is still the caller's.
    pub(crate) fn offer(&self, node: *mut Node<T>, thread_index: usize) -> bool {
        let slot = &self.slots[thread_index % SLOTS];
        // Release: publishes the node's value to the claiming pop's Acquire.
        // Relaxed on failure: the slot is busy and we go back to the head.
        if slot
            .compare_exchange(ptr::null_mut(), node, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        for step in 1..=ELIMINATION_WAIT {
            // Relaxed: we only learn whether the offer is still there; the
            // node no longer needs anything from us once claimed.
            if slot.load(Ordering::Relaxed) != node {
                return self.finish_taken(slot);
            }
            if step % YIELD_EVERY == 0 {
                yield_now();
            } else {
                spin_hint();
            }
        }
        // Withdraw. Relaxed: the node was never claimed, so nobody read it.
        match slot.compare_exchange(node, ptr::null_mut(), Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => false,
            Err(_) => self.finish_taken(slot),
        }
    }

    /// Frees the slot after a pop claimed our offer (only we may: see the
    /// module docs).
    fn finish_taken(&self, slot: &AtomicPtr<Node<T>>) -> bool {
        // Relaxed: the slot carries no data of ours any more; the next
        // offer publishes its own node with its Release CAS.
        slot.store(ptr::null_mut(), Ordering::Relaxed);
        true
    }

    /// Claims an offered node, if any slot holds one. The returned node is
    /// full and belongs to the caller, which must take its value and then
    /// recycle it (no other thread can dereference it).
    pub(crate) fn take(&self) -> Option<*mut Node<T>> {
        for slot in &self.slots {
            // Relaxed: a guess, checked by the CAS.
            let offer = slot.load(Ordering::Relaxed);
            if offer.is_null() || offer == taken() {
                continue;
            }
            // Acquire: pairs with the pusher's Release offer, so its value
            // is visible. The pointer returned by the CAS (not our guess)
            // carries the provenance of the node there now.
            if let Ok(claimed) =
                slot.compare_exchange(offer, taken(), Ordering::Acquire, Ordering::Relaxed)
            {
                return Some(claimed);
            }
        }
        None
    }
}
