//! [`MailboxList`]: the unbounded mailbox's queue, a linked list of blocks
//! with many senders and the actor as its one taker, closed by a bit in
//! its tail position.

use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::sync::{
    order_seqcst_accesses, take_eagerly, AtomicBool, AtomicPtr, AtomicUsize, Backoff, Condvar,
    Mutex, Ordering, UnsafeCell, CELLS_NEED_BUILDING,
};

/// Positions per block: `BLOCK_CAP` slots and one position that no message
/// takes (the tail waits there while the next block is linked in). 64, not
/// crossbeam's 32: with one sender, tells went from 33 to 70 M/s on a 2-core
/// AMD EPYC (paired A/B, 4 runs), the block's malloc on the sender and its
/// free on the actor coming half as often. Under
/// loom a block holds one message, so every push links a block in and
/// every take frees one.
#[cfg(not(loom))]
const LAP: usize = 64;
#[cfg(loom)]
const LAP: usize = 2;
/// Slots per block.
const BLOCK_CAP: usize = LAP - 1;
/// A position is stored shifted left by this, above the closed bit.
const SHIFT: usize = 1;
/// One position, as stored.
const ONE: usize = 1 << SHIFT;
/// The bit of the tail that marks the list closed.
const CLOSED: usize = 1;

/// The right to take from one [`MailboxList`]: made once, with the list,
/// and never cloned, so `&mut Taker` proves the caller is the list's one
/// taker.
#[derive(Debug)]
pub(crate) struct Taker {
    list_id: u64,
}

/// Tells lists apart, for their takers. Not a synchronisation point: a
/// plain counter, also under loom.
static NEXT_LIST_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Why [`MailboxList::try_pop`] returned no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nothing {
    /// Open, and no message queued.
    Empty,
    /// Closed, and every message a push put in was taken: final.
    Closed,
}

/// One message's place, written once by the push that claimed it.
struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    /// Set (Release) once `value` is written.
    written: AtomicBool,
}

/// `BLOCK_CAP` slots and the link to the next block.
struct Block<T> {
    /// Set by the push that claims this block's last slot, before it writes
    /// that slot.
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// A block of empty slots, built in place on the heap: a block of large
    /// messages never passes through the stack, in a debug build either.
    fn new() -> Box<Self> {
        let mut block = Box::<Self>::new_uninit();
        let raw = block.as_mut_ptr();
        // SAFETY: `raw` points to the new, unaliased allocation; every field
        // is written in place through raw pointers (no reference to
        // uninitialised memory is made), except a slot's value cell where
        // the cell needs no building (std's: it holds a `MaybeUninit`, valid
        // unwritten). So the block is initialised when `assume_init` runs.
        unsafe {
            ptr::addr_of_mut!((*raw).next).write(AtomicPtr::new(ptr::null_mut()));
            for index in 0..BLOCK_CAP {
                let slot = ptr::addr_of_mut!((*raw).slots[index]);
                ptr::addr_of_mut!((*slot).written).write(AtomicBool::new(false));
                if CELLS_NEED_BUILDING {
                    build_empty_cell(ptr::addr_of_mut!((*slot).value));
                }
            }
            block.assume_init()
        }
    }
}

/// Writes an empty cell at `cell`: out of line, so that `Block::new`'s
/// frame holds no `MaybeUninit<T>` (a debug build reserves a frame's every
/// local, called or not).
///
/// # Safety
///
/// `cell` is valid for a write and aligned.
#[inline(never)]
unsafe fn build_empty_cell<T>(cell: *mut UnsafeCell<MaybeUninit<T>>) {
    // SAFETY: passed on from the caller.
    unsafe { cell.write(UnsafeCell::new(MaybeUninit::uninit())) };
}

/// Where pushes claim: the next position (with the closed bit) and the
/// block it lies in.
struct Tail<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// Where the actor takes: written by the taker alone (the index is read by
/// `len` too).
struct Head<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

/// A block the head has moved past ([`MailboxList::step_head`]): freed
/// when dropped.
struct LeftBlock<T>(*mut Block<T>);

impl<T> Drop for LeftBlock<T> {
    fn drop(&mut self) {
        // SAFETY: every slot of the block was taken (or dropped by
        // `drop_rest`), so every push into it finished (the last one
        // stored `next` before its slot); no pointer to it remains: the
        // tail moved on (it is at or past the next block) and the head
        // points to the next one. Made once per block, by the step past
        // its end.
        drop(unsafe { Box::from_raw(self.0) });
    }
}

/// An unbounded queue of messages with many pushers and one taker, the
/// actor (crossbeam-channel's list flavor, cut down to one taker and
/// closed on demand).
///
/// Messages go in blocks of `BLOCK_CAP` slots. A push claims the position
/// at `tail` with one compare-and-swap, which also reads the closed bit:
/// a push either claimed its slot before [`close`](Self::close) set the
/// bit (it lands, and is taken) or gets its message back. So no count of
/// sends in flight is kept, and a send costs one locked instruction. The
/// taker owns `head` and never contends for it: a take is plain loads and
/// stores. The taker frees each block once it took the block's last slot;
/// every push into that block finished before (the last slot's push links
/// the next block before it writes its slot, and the taker waits for
/// every claimed slot to be written).
///
/// An idle taker sleeps on a condvar, counted in `sleeping`; a push wakes
/// it (see [`wait`](Self::wait)).
pub(crate) struct MailboxList<T> {
    tail: CachePadded<Tail<T>>,
    head: CachePadded<Head<T>>,
    /// Whether the taker is asleep, or about to sleep, waiting for a push
    /// or the close. Changed under `lock` only.
    sleeping: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    /// The id of this list's one [`Taker`].
    taker_id: u64,
}

// SAFETY: messages move between threads through the list (so `T: Send`);
// a slot's value is written by the one push that claimed it and read by the
// taker once, `written` ordering the two; blocks are freed by the taker
// alone, after every push into them finished (see the type).
unsafe impl<T: Send> Send for MailboxList<T> {}
// SAFETY: as above; shared access hands messages out, never `&T`.
unsafe impl<T: Send> Sync for MailboxList<T> {}

impl<T> MailboxList<T> {
    /// An open, empty list (with its first block), and the right to take
    /// from it.
    pub(crate) fn new() -> (Self, Taker) {
        let first = Box::into_raw(Block::new());
        // Relaxed: only uniqueness matters.
        let taker_id = NEXT_LIST_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let list = Self {
            tail: CachePadded::new(Tail {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(first),
            }),
            head: CachePadded::new(Head {
                index: AtomicUsize::new(0),
                block: AtomicPtr::new(first),
            }),
            sleeping: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            taker_id,
        };
        (list, Taker { list_id: taker_id })
    }

    /// Puts `message` in, unless the list is closed (then it comes back).
    pub(crate) fn push(&self, message: T) -> Result<(), T> {
        let backoff = Backoff::new();
        // Acquire (both loads, here and below): pairs with the Release
        // `fetch_add` that moved the tail into a new block, so the block
        // pointer read after it is that block or a later one.
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut block = self.tail.block.load(Ordering::Acquire);
        let mut next_block = None;
        loop {
            if tail & CLOSED != 0 {
                return Err(message);
            }
            let offset = (tail >> SHIFT) % LAP;
            if offset == BLOCK_CAP {
                // The push of the last slot is linking the next block.
                backoff.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }
            if offset + 1 == BLOCK_CAP && next_block.is_none() {
                // Allocated before the claim, so that no push waits on an
                // allocation made while holding the tail at `BLOCK_CAP`.
                next_block = Some(Block::new());
            }
            // SeqCst: the claim is the change of condition that the taker's
            // sleep re-checks (see `wait`); on x86 a locked CAS costs the
            // same with any ordering. A set closed bit makes `tail` differ,
            // so a claim never succeeds on a closed list.
            match self.tail.index.compare_exchange_weak(
                tail,
                tail.wrapping_add(ONE),
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if offset + 1 == BLOCK_CAP {
                        let next = Box::into_raw(next_block.take().expect("allocated above"));
                        // Release (block, then index): a push that reads the
                        // index past this block reads this block pointer.
                        self.tail.block.store(next, Ordering::Release);
                        // `fetch_add`, not a store: keeps a closed bit set
                        // meanwhile.
                        self.tail.index.fetch_add(ONE, Ordering::Release);
                        // SAFETY: `block` is live: the taker frees it only
                        // after taking this push's slot, written below.
                        // Release: the taker's Acquire load of `next`
                        // follows its read of this slot, written after.
                        unsafe { (*block).next.store(next, Ordering::Release) };
                    }
                    // SAFETY: the CAS gave this push position `tail`, in
                    // `block` (the block moves only while the tail waits at
                    // `BLOCK_CAP`, which no claim succeeds at), and the block
                    // is live until the taker took this slot; no other
                    // thread touches the value until `written` is set.
                    let slot = unsafe { &(*block).slots[offset] };
                    // SAFETY: as above: this push alone writes the slot.
                    slot.value
                        .with_mut(|cell| unsafe { (*cell).write(message) });
                    // Release: publishes the value to the taker's Acquire
                    // load of `written`.
                    slot.written.store(true, Ordering::Release);
                    break;
                }
                Err(current) => {
                    tail = current;
                    block = self.tail.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
        self.wake_taker();
        Ok(())
    }

    /// Sets the closed bit and wakes the taker; `true` if this call set it.
    pub(crate) fn close(&self) -> bool {
        // SeqCst: a push's claim either precedes this in the tail's order
        // (and lands) or sees the bit; and it is a change of condition that
        // the taker's sleep re-checks.
        let closed = self.tail.index.fetch_or(CLOSED, Ordering::SeqCst) & CLOSED == 0;
        self.wake_taker();
        closed
    }

    /// Takes the oldest message, waiting for a claimed push still landing.
    ///
    /// # Panics
    ///
    /// If `taker` is another list's.
    pub(crate) fn try_pop(&self, taker: &mut Taker) -> Result<T, Nothing> {
        self.check(taker);
        // SAFETY: `&mut` to this list's one taker: no other take runs.
        unsafe { self.take() }
    }

    /// Takes the oldest message, sleeping while the list is open and empty;
    /// `None` once closed and every message was taken.
    ///
    /// # Panics
    ///
    /// If `taker` is another list's.
    pub(crate) fn pop(&self, taker: &mut Taker) -> Option<T> {
        self.check(taker);
        loop {
            // SAFETY: `&mut` to this list's one taker: no other take runs.
            let taken = take_eagerly(None, || match unsafe { self.take() } {
                Err(Nothing::Empty) => None,
                outcome => Some(outcome),
            });
            match taken {
                Some(Ok(message)) => return Some(message),
                Some(Err(_)) => return None,
                None => self.wait(),
            }
        }
    }

    fn check(&self, taker: &Taker) {
        assert_eq!(taker.list_id, self.taker_id, "a taker of another list");
    }

    /// [`try_pop`](Self::try_pop)'s body.
    ///
    /// # Safety
    ///
    /// Only one thread at a time may take: the head is the taker's alone.
    unsafe fn take(&self) -> Result<T, Nothing> {
        // Relaxed (head): written by the taker alone, which the caller is.
        let head = self.head.index.load(Ordering::Relaxed);
        let block = self.head.block.load(Ordering::Relaxed);
        // Never `BLOCK_CAP`: the head steps over it.
        let offset = (head >> SHIFT) % LAP;
        // SAFETY: the head's block is live until this taker frees it below.
        let slot = unsafe { &(*block).slots[offset] };
        // Acquire: pairs with the push's Release store of `written`.
        if !slot.written.load(Ordering::Acquire) {
            // SeqCst: read in the same order as the claims and the close
            // (and, in `wait`, as the taker's `sleeping`).
            let tail = self.tail.index.load(Ordering::SeqCst);
            if tail >> SHIFT == head >> SHIFT {
                return Err(if tail & CLOSED == 0 {
                    Nothing::Empty
                } else {
                    Nothing::Closed
                });
            }
            // A push claimed this slot and is writing it: a moment.
            let backoff = Backoff::new();
            // Acquire: as above.
            while !slot.written.load(Ordering::Acquire) {
                backoff.snooze();
            }
        }
        // SAFETY: `written` (read with Acquire after the push's Release)
        // says the value is in; this taker alone reads it, once (the head
        // moves past it below).
        let message = slot
            .value
            .with(|cell| unsafe { (*cell).assume_init_read() });
        // SAFETY: the taker's own head, past a slot this take has read
        // (whose push, if the block's last, linked the next block).
        let left = unsafe { self.step_head(head, block, offset) };
        // Frees the block if the head left it: after the read above.
        drop(left);
        Ok(message)
    }

    /// Moves the head (at `head`, in `block`, on slot `offset`) past that
    /// slot, and past the block's end if it was the last: then the block
    /// is returned as [`LeftBlock`], freed when the caller drops it, once
    /// done with the slot.
    ///
    /// # Safety
    ///
    /// Only the taker (or `drop`) moves the head, with its current values,
    /// and the slot's push has written it (so a block's last slot's push
    /// has linked the next block).
    unsafe fn step_head(
        &self,
        head: usize,
        block: *mut Block<T>,
        offset: usize,
    ) -> Option<LeftBlock<T>> {
        if offset + 1 == BLOCK_CAP {
            // SAFETY: the head's block is live (only a `LeftBlock` frees
            // it). Acquire: pairs with the Release store of the push that
            // claimed this slot, which linked the next block before
            // writing the slot.
            let next = unsafe { (*block).next.load(Ordering::Acquire) };
            debug_assert!(!next.is_null(), "the last slot's push links the next block");
            // Relaxed: the taker's own.
            self.head.block.store(next, Ordering::Relaxed);
            // Release: `len` on another thread reads a head no further
            // than what was taken (a plain store on x86).
            self.head
                .index
                .store(head.wrapping_add(2 * ONE), Ordering::Release);
            Some(LeftBlock(block))
        } else {
            // Release: as above.
            self.head
                .index
                .store(head.wrapping_add(ONE), Ordering::Release);
            None
        }
    }

    /// Sleeps until a push or the close may have changed the list (or
    /// spuriously). The taker counts itself in `sleeping`, then re-checks
    /// the tail; a push or close changes the tail, then reads `sleeping`.
    /// All four are `SeqCst` accesses (the tail's changes read-modify-writes),
    /// so they fall in one total order: the re-check sees the change, or
    /// the pusher sees the sleeper and wakes it under the lock (which it
    /// cannot take between the re-check and the sleep).
    fn wait(&self) {
        let guard = self.lock.lock();
        // SeqCst: see above (a locked instruction on x86, paid only on the
        // way to sleep).
        self.sleeping.store(true, Ordering::SeqCst);
        order_seqcst_accesses();
        // Relaxed (head): the taker's own. SeqCst (tail): see above.
        let head = self.head.index.load(Ordering::Relaxed);
        let tail = self.tail.index.load(Ordering::SeqCst);
        let _guard = if tail == head {
            self.wake.wait(guard)
        } else {
            guard
        };
        // Relaxed: under the lock, as every change of `sleeping`.
        self.sleeping.store(false, Ordering::Relaxed);
    }

    /// Wakes the taker if it sleeps; after a change of the tail.
    fn wake_taker(&self) {
        order_seqcst_accesses();
        // SeqCst: see `wait` (a plain load on x86: a push that finds no
        // sleeper pays nothing more).
        if self.sleeping.load(Ordering::SeqCst) {
            let _guard = self.lock.lock();
            // Relaxed: under the lock. Cleared here, so the pushes that
            // come while the taker wakes up find no sleeper.
            if self.sleeping.swap(false, Ordering::Relaxed) {
                self.wake.notify_one();
            }
        }
    }

    /// The messages queued now (claimed pushes still landing included). A
    /// snapshot.
    pub(crate) fn len(&self) -> usize {
        loop {
            // SeqCst: the three loads read one moment's positions, as in
            // crossbeam's list flavor.
            let tail = self.tail.index.load(Ordering::SeqCst) & !CLOSED;
            let head = self.head.index.load(Ordering::SeqCst);
            if self.tail.index.load(Ordering::SeqCst) & !CLOSED == tail {
                // Positions from head to tail, less those that hold no
                // message (one per block end passed).
                let positions = tail.wrapping_sub(head) >> SHIFT;
                let block_ends = ((head >> SHIFT) % LAP + positions) / LAP;
                return positions - block_ends;
            }
        }
    }
}

impl<T> Drop for MailboxList<T> {
    fn drop(&mut self) {
        self.drop_rest();
    }
}

impl<T> MailboxList<T> {
    /// From `drop` only: drops the messages still queued, in place (a
    /// message never passes through the dropping thread's stack: the last
    /// handle of an actor of 1 MiB messages may be dropped on any thread),
    /// and frees the blocks. If a message's `Drop` panics, the rest are
    /// still dropped while the panic unwinds (as `Vec` does; a second panic
    /// then aborts, as there).
    fn drop_rest(&self) {
        /// On unwind from one message's drop: the messages after it.
        struct Rest<'a, T>(&'a MailboxList<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                self.0.drop_rest();
            }
        }
        // Relaxed (the loads below): `drop` has `&mut` access, and every
        // push has returned, so every slot from the head to the tail is
        // written and the tail rests inside a block.
        let tail = self.tail.index.load(Ordering::Relaxed) & !CLOSED;
        loop {
            let head = self.head.index.load(Ordering::Relaxed);
            if head == tail {
                break;
            }
            let block = self.head.block.load(Ordering::Relaxed);
            let offset = (head >> SHIFT) % LAP;
            // The head moves past the slot before its message is dropped,
            // so that `Rest` carries on after it; a block left is freed
            // after its last message's drop, also when that drop panics.
            // SAFETY: `drop` is the only taker left; every slot up to the
            // tail is written (see above).
            let left = unsafe { self.step_head(head, block, offset) };
            let rest = Rest(self);
            // SAFETY: a slot between the head and the tail holds a message
            // that no take read, and the head has moved past it: it is
            // dropped here, once. The block is live: `left` frees it after.
            unsafe {
                (*block).slots[offset]
                    .value
                    .with_mut(|cell| (*cell).assume_init_drop());
            }
            std::mem::forget(rest);
            drop(left);
        }
        let last = self.head.block.load(Ordering::Relaxed);
        // SAFETY: the head's block, which nothing else frees; this is the
        // `drop_rest` that found the list empty, so it is freed once.
        drop(unsafe { Box::from_raw(last) });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn len_counts_messages_across_block_ends() {
        let (list, mut taker) = MailboxList::new();
        for n in 0..3 * LAP {
            assert_eq!(list.len(), n);
            list.push(n).unwrap();
        }
        for n in 0..3 * LAP {
            assert_eq!(list.try_pop(&mut taker), Ok(n));
            assert_eq!(list.len(), 3 * LAP - n - 1);
        }
        assert_eq!(list.try_pop(&mut taker), Err(Nothing::Empty));
    }

    #[test]
    fn a_closed_list_refuses_pushes_and_hands_out_what_it_holds() {
        let (list, mut taker) = MailboxList::new();
        list.push(1).unwrap();
        assert!(list.close());
        assert!(!list.close());
        assert_eq!(list.push(2), Err(2));
        assert_eq!(list.pop(&mut taker), Some(1));
        assert_eq!(list.pop(&mut taker), None);
        assert_eq!(list.len(), 0);
    }

    #[test]
    fn dropping_the_list_drops_what_is_left_once_even_past_a_panicking_drop() {
        use std::sync::atomic::AtomicUsize as Count;
        use std::sync::Arc;
        struct Counted(Arc<Count>, bool);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                assert!(!self.1, "a message whose drop panics");
            }
        }
        let drops = Arc::new(Count::new(0));
        let (list, mut taker) = MailboxList::new();
        // Across three blocks, one taken, the one that panics at a block's end.
        for n in 0..2 * LAP + 5 {
            list.push(Counted(Arc::clone(&drops), n == BLOCK_CAP - 1))
                .ok()
                .unwrap();
        }
        drop(list.try_pop(&mut taker));
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(list)));
        assert!(unwound.is_err(), "the panic is passed on");
        assert_eq!(
            drops.load(std::sync::atomic::Ordering::Relaxed),
            2 * LAP + 5,
            "each message dropped once, the one taken included"
        );
    }

    #[test]
    #[should_panic(expected = "a taker of another list")]
    fn a_taker_of_another_list_is_refused() {
        let (list, _taker) = MailboxList::<u8>::new();
        let (_other, mut other_taker) = MailboxList::<u8>::new();
        let _ = list.try_pop(&mut other_taker);
    }
}
