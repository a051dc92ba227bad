//! Hazard pointers (Michael, 2004): how the stack knows when a popped node
//! can be reused.
//!
//! Each thread owns one slot per stack, found by its dense thread index
//! ([`atomics_kit::thread_index`]): a *hazard* (the node it is about to read
//! or compare against) and its private lists of retired and pooled nodes.
//! A thread that unlinks a node *retires* it into its own list; every
//! [`RETIRED_BEFORE_SCAN`] retirements it reads every slot's hazard and moves
//! the retired nodes no hazard names to its pool, for its next pushes. A
//! full pool spills half of itself onto the stack's shared [`FreeList`],
//! from which a thread whose pool is empty pops a chain. Nodes are
//! type-stable: no node is freed while the stack lives (a push stores the
//! head pointer in its node's `next` without protecting it, which is sound
//! only because the node behind it stays allocated); all of them are freed
//! when the stack is dropped, so nothing leaks. The stack keeps its peak
//! node count until then.
//!
//! Why a scan never recycles a node another thread still uses: the reader
//! stores its hazard (`SeqCst`) and then re-reads the head (`SeqCst`); the
//! scanner unlinked the node before a `SeqCst` fence and reads the hazards
//! after it. In the single total order of `SeqCst` operations, either the
//! hazard store comes before the fence, and the scan sees it; or after, and
//! then the reader's re-read of the head comes after the unlink too, sees
//! that the node is gone, and the reader retries without touching it.
//! `docs/treiber.md` has the longer argument.

use std::ptr;

use atomics_kit::sync::{Mutex, MutexGuard};
use atomics_kit::thread_index;
use crossbeam_utils::CachePadded;

use crate::free_list::FreeList;
use crate::node::Node;
use crate::sync::{
    fence, AtomicPtr, Ordering, UnsafeCell, POOL_BYTES, POOL_MIN_NODES, RETIRED_BEFORE_SCAN,
};

/// Slots per block; blocks are chained as more threads show up.
const SLOTS_PER_BLOCK: usize = 8;

/// How many emptied nodes a thread keeps for its next pushes; past that,
/// half of them go to the shared free list.
fn pool_capacity<T>() -> usize {
    (POOL_BYTES / std::mem::size_of::<Node<T>>().max(1)).max(POOL_MIN_NODES)
}

/// Every thread's slot for one stack.
pub(crate) struct Hazards<T> {
    /// The first block of slots, allocated on first use.
    first: AtomicPtr<Block<T>>,
    /// Serializes threads that have no index (those destroying their
    /// thread-locals); they share slot 0.
    no_index: Mutex<()>,
    /// Empty nodes spilled by full pools, for threads whose pool is empty.
    free: FreeList<T>,
}

struct Block<T> {
    slots: [CachePadded<Slot<T>>; SLOTS_PER_BLOCK],
    next: AtomicPtr<Block<T>>,
}

struct Slot<T> {
    /// The node this slot's thread may dereference or compare against, or
    /// null.
    hazard: AtomicPtr<Node<T>>,
    /// Touched only by the slot's thread (or by `Drop`, with `&mut`).
    own: UnsafeCell<Own<T>>,
}

/// A slot's private lists.
struct Own<T> {
    /// Unlinked nodes, emptied, waiting for no hazard to name them.
    retired: Vec<*mut Node<T>>,
    /// Emptied nodes no thread can reach, ready for this thread's pushes.
    pool: Vec<*mut Node<T>>,
    /// Scratch for a scan: the hazards it read.
    hazards_seen: Vec<*mut Node<T>>,
}

/// The calling thread's slot, for the duration of one operation.
pub(crate) struct Participant<'a, T> {
    hazards: &'a Hazards<T>,
    slot: &'a Slot<T>,
    number: usize,
    /// Held by a thread without an index while it uses the shared slot 0.
    _no_index: Option<MutexGuard<'a, ()>>,
}

impl<T> Hazards<T> {
    atomics_kit::const_fn_outside_loom! {
        pub(crate) fn new() -> Hazards<T> {
            Hazards {
                first: AtomicPtr::new(ptr::null_mut()),
                no_index: Mutex::new(()),
                free: FreeList::new(),
            }
        }
    }

    /// The calling thread's slot: slot `index + 1`, or the shared slot 0
    /// (behind a lock) for a thread that has no index.
    ///
    /// Always inlined, the lock in a cold function: out of line, the call
    /// and its register saves were a quarter of a push/pop pair's
    /// instructions (callgrind, 1 thread: 204 before, 151 after).
    #[inline(always)]
    pub(crate) fn participant(&self) -> Participant<'_, T> {
        match thread_index() {
            Some(index) => self.own_participant(index),
            None => self.shared_participant(),
        }
    }

    /// The calling thread's own slot, if it has an index: a participant
    /// that holds no lock, so user code may run while it is held (and use
    /// this stack again).
    #[inline(always)]
    pub(crate) fn indexed_participant(&self) -> Option<Participant<'_, T>> {
        thread_index().map(|index| self.own_participant(index))
    }

    /// The slot of the thread with index `index`: slot `index + 1`.
    #[inline(always)]
    fn own_participant(&self, index: usize) -> Participant<'_, T> {
        Participant {
            hazards: self,
            slot: self.slot(index + 1),
            number: index + 1,
            _no_index: None,
        }
    }

    /// The shared slot 0, for a thread without an index (one destroying
    /// its thread-locals).
    #[cold]
    #[inline(never)]
    fn shared_participant(&self) -> Participant<'_, T> {
        Participant {
            hazards: self,
            number: 0,
            // The slot's lists are only ever touched under the guard.
            _no_index: Some(self.no_index.lock()),
            slot: self.slot(0),
        }
    }

    #[inline]
    fn slot(&self, number: usize) -> &Slot<T> {
        let mut block = Self::block_at(&self.first);
        let mut number = number;
        while number >= SLOTS_PER_BLOCK {
            block = Self::block_at(&block.next);
            number -= SLOTS_PER_BLOCK;
        }
        &block.slots[number]
    }

    /// The block `link` points to, allocating it if nobody has yet.
    #[inline]
    fn block_at(link: &AtomicPtr<Block<T>>) -> &Block<T> {
        // Acquire: pairs with the Release CAS that published the block.
        let existing = link.load(Ordering::Acquire);
        if existing.is_null() {
            return Self::allocate_block(link);
        }
        // SAFETY: blocks are published once and freed only by `Drop` (with
        // `&mut self`), so a published block outlives `&self`.
        unsafe { &*existing }
    }

    /// Publishes a new block at `link`, or returns the one another thread
    /// published first.
    #[cold]
    fn allocate_block(link: &AtomicPtr<Block<T>>) -> &Block<T> {
        let fresh = Box::into_raw(Box::new(Block {
            slots: std::array::from_fn(|_| {
                CachePadded::new(Slot {
                    hazard: AtomicPtr::new(ptr::null_mut()),
                    own: UnsafeCell::new(Own {
                        retired: Vec::new(),
                        pool: Vec::new(),
                        hazards_seen: Vec::new(),
                    }),
                })
            }),
            next: AtomicPtr::new(ptr::null_mut()),
        }));
        // Release: publishes the block's initialisation to the Acquire loads
        // above. Acquire on failure: pairs with the winner's Release.
        match link.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: as above, now published.
            Ok(_) => unsafe { &*fresh },
            Err(winner) => {
                // SAFETY: `fresh` was never published; nobody else has it.
                drop(unsafe { Box::from_raw(fresh) });
                // SAFETY: as above.
                unsafe { &*winner }
            }
        }
    }

    /// Every slot's current hazard, sorted, into `seen`.
    fn read_hazards(&self, seen: &mut Vec<*mut Node<T>>) {
        seen.clear();
        // Acquire: the first block was published with Release.
        let mut block = self.first.load(Ordering::Acquire);
        // SAFETY: published blocks live until `Drop`, as in `block_at`.
        while let Some(current) = unsafe { block.as_ref() } {
            for slot in &current.slots {
                // Ordered after the caller's SeqCst fence, which makes a
                // hazard stored before the fence visible here (module docs).
                // Acquire: pairs with the Release in `clear` (and the SeqCst
                // store of the slot's next hazard), so the slot owner's reads
                // of a node it no longer names happen-before we free it.
                let hazard = slot.hazard.load(Ordering::Acquire);
                if !hazard.is_null() {
                    seen.push(hazard);
                }
            }
            // Acquire: as for the first block.
            block = current.next.load(Ordering::Acquire);
        }
        seen.sort_unstable();
    }
}

impl<T> Participant<'_, T> {
    /// Reads `source`, announcing the node read as in use, and returns it
    /// once the announcement is known to have come in time: until
    /// [`clear`](Self::clear), no scan frees the returned node.
    pub(crate) fn protect(&self, source: &AtomicPtr<Node<T>>) -> *mut Node<T> {
        // Relaxed: a first guess, validated below.
        let mut guess = source.load(Ordering::Relaxed);
        loop {
            // SeqCst: the store must precede, in the SeqCst order, the re-read
            // below, and be seen by any scan whose fence follows it.
            self.slot.hazard.store(guess, Ordering::SeqCst);
            // SeqCst: see above. It also acquires the node's contents from
            // the push that published it (SeqCst loads are Acquire).
            let current = source.load(Ordering::SeqCst);
            if current == guess {
                // The loaded pointer, not the guess: same address, but the
                // provenance of what is in the head now.
                return current;
            }
            guess = current;
        }
    }

    /// The slot's number: distinct for every thread alive now.
    pub(crate) fn number(&self) -> usize {
        self.number
    }

    /// Withdraws the hazard.
    pub(crate) fn clear(&self) {
        // Release: our reads of the protected node happen-before a scan that
        // sees the slot empty and frees it.
        self.slot.hazard.store(ptr::null_mut(), Ordering::Release);
    }

    /// A node holding `value`: recycled from this thread's pool, or else
    /// from the shared free list (a chain popped into the pool), or else
    /// new.
    #[inline]
    pub(crate) fn node(&self, value: T) -> *mut Node<T> {
        let recycled = self.slot.own.with_mut(|own| {
            // SAFETY: only the slot's thread touches its lists.
            let own = unsafe { &mut *own };
            if own.pool.is_empty() {
                self.refill(own);
            }
            own.pool.pop()
        });
        match recycled {
            Some(node) => {
                // SAFETY: pooled nodes are empty and unreachable by others.
                unsafe { (*node).fill(value) };
                node
            }
            None => Node::allocate(value),
        }
    }

    /// Hands an unlinked, emptied node to the reclaimer.
    ///
    /// # Safety
    ///
    /// The caller's CAS or swap unlinked `node` from the stack, its value
    /// has been moved out, and it is retired once.
    #[inline]
    pub(crate) unsafe fn retire(&self, node: *mut Node<T>) {
        self.slot.own.with_mut(|own| {
            // SAFETY: only the slot's thread touches its lists; the caller
            // vouches for the node.
            unsafe { self.retire_into(&mut *own, node) };
        });
    }

    /// [`retire`](Self::retire), given the thread's lists.
    ///
    /// # Safety
    ///
    /// As for `retire`.
    #[inline]
    // Under loom `RETIRED_BEFORE_SCAN` is `usize::MAX` on purpose: no scan.
    #[cfg_attr(loom, allow(clippy::absurd_extreme_comparisons))]
    unsafe fn retire_into(&self, own: &mut Own<T>, node: *mut Node<T>) {
        own.retired.push(node);
        if own.retired.len() >= RETIRED_BEFORE_SCAN {
            self.scan(own);
        }
    }

    /// Refills the empty pool with one chain (one spill) from the shared
    /// free list, the rest left to other threads. The chain's top node,
    /// which other refills may still read under their hazards, is retired
    /// instead (`free_list.rs` says why).
    #[cold]
    fn refill(&self, own: &mut Own<T>) {
        let popped = self
            .hazards
            .free
            .pop_chain(self.number(), |slot| self.protect(slot));
        self.clear();
        let Some((top, bottom)) = popped else {
            return;
        };
        if top != bottom {
            // SAFETY: the popped chain is ours; nodes are never freed while
            // the stack lives.
            // Relaxed: acquired by the pop.
            let mut current = unsafe { (*top).next.load(Ordering::Relaxed) };
            loop {
                own.pool.push(current);
                if current == bottom {
                    break;
                }
                // SAFETY: as above.
                // Relaxed: as above.
                current = unsafe { (*current).next.load(Ordering::Relaxed) };
            }
        }
        // A chain is a spill: half a full pool and one node, so it fits.
        debug_assert!(own.pool.len() <= pool_capacity::<T>());
        // SAFETY: `top` is empty, unlinked from the list by our pop, and
        // retired once; a scan pools it once no hazard names it.
        unsafe { self.retire_into(own, top) };
    }

    /// Pools every retired node that no hazard names. Once every
    /// `RETIRED_BEFORE_SCAN` pops: out of line.
    #[cold]
    #[inline(never)]
    fn scan(&self, own: &mut Own<T>) {
        // SeqCst: orders the CASes that unlinked our retired nodes before
        // the hazard reads below (module docs).
        fence(Ordering::SeqCst);
        self.hazards.read_hazards(&mut own.hazards_seen);
        let Own {
            retired,
            pool,
            hazards_seen,
            ..
        } = own;
        let room = pool_capacity::<T>().saturating_sub(pool.len());
        if hazards_seen.is_empty() && retired.len() <= room {
            // No hazard at all (one thread, or none in a pop right now),
            // and room for all: every retired node goes to the pool in one
            // move, instead of a search and a push each (callgrind, one
            // thread: the scan was a sixth of a push/pop pair).
            for &node in retired.iter() {
                // SAFETY: as below: unlinked, emptied, and no hazard names
                // it. (A check that only miri builds make.)
                unsafe { (*node).recycled() };
            }
            pool.append(retired);
            return;
        }
        retired.retain(|&node| {
            if hazards_seen.binary_search(&node).is_ok() {
                return true;
            }
            // SAFETY: unlinked and emptied (retire's contract), and no
            // hazard names it, so no thread can reach it any more.
            unsafe { recycle(pool, &self.hazards.free, node, self.number()) };
            false
        });
    }

    /// Keeps an emptied node that no other thread can reach for this
    /// thread's next push (spilling half the pool to the shared free list if
    /// it is full).
    ///
    /// # Safety
    ///
    /// `node` holds no value and no other thread can dereference it.
    pub(crate) unsafe fn recycle(&self, node: *mut Node<T>) {
        // SAFETY: only the slot's thread touches its lists; the caller
        // vouches for the node.
        self.slot.own.with_mut(|own| unsafe {
            recycle(&mut (*own).pool, &self.hazards.free, node, self.number())
        });
    }
}

/// Pools `node`; if the pool is full, first moves its newer half and `node`
/// to `free` as one chain, so that threads that only push find the nodes
/// that threads that only pop emptied.
///
/// # Safety
///
/// As for [`Participant::recycle`].
unsafe fn recycle<T>(
    pool: &mut Vec<*mut Node<T>>,
    free: &FreeList<T>,
    node: *mut Node<T>,
    hint: usize,
) {
    // SAFETY: the caller's contract: `node` is ours alone.
    unsafe { (*node).recycled() };
    let capacity = pool_capacity::<T>();
    if pool.len() < capacity {
        pool.push(node);
        return;
    }
    let mut bottom = node;
    for &below in &pool[capacity / 2..] {
        // SAFETY: `bottom` is `node` or a pooled node: empty and ours alone
        // (the caller's contract; pooled nodes no other thread can reach).
        // Relaxed: `push_chain`'s Release CAS publishes the links.
        unsafe { (*bottom).next.store(below, Ordering::Relaxed) };
        bottom = below;
    }
    pool.truncate(capacity / 2);
    // SAFETY: the chain `node ..= bottom` is `node` and the nodes just
    // removed from the pool: empty, ours alone, each once.
    unsafe { free.push_chain(node, bottom, hint) };
}

impl<T> Drop for Hazards<T> {
    fn drop(&mut self) {
        // `&mut self`: the stack is being dropped, so no thread can hold a
        // hazard or reach a retired or pooled node; free them all (the
        // free list frees its own nodes when it is dropped after this).
        // Relaxed: `&mut self` orders everything before us.
        let mut block = self.first.load(Ordering::Relaxed);
        while !block.is_null() {
            // SAFETY: blocks are only freed here, each once.
            let mut owned = unsafe { Box::from_raw(block) };
            for slot in &mut owned.slots {
                slot.own.with_mut(|own| {
                    // SAFETY: exclusive access (`&mut self`).
                    let own = unsafe { &mut *own };
                    for node in own.retired.drain(..).chain(own.pool.drain(..)) {
                        // SAFETY: retired and pooled nodes are empty and,
                        // with the stack gone, unreachable.
                        unsafe { Node::free(node) };
                    }
                });
            }
            // Relaxed: as above.
            block = owned.next.load(Ordering::Relaxed);
        }
    }
}
