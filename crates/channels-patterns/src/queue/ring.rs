//! [`Ring`]: the bounded lock-free buffer under `BoundedQueue`, with the
//! queue's closed flag inside its tail position.

use std::mem::MaybeUninit;
use std::ptr;

use atomics_kit::FirstPanic;
use crossbeam_utils::CachePadded;

use super::errors::{TryPopError, TryPushError};
use crate::sync::{fence, AtomicUsize, Backoff, Ordering, UnsafeCell, CELLS_NEED_BUILDING};

/// One place in the ring: a value, and a stamp saying whose turn it is.
///
/// The stamp holds the position (lap and index) of the next operation the
/// slot waits for: `tail` when it is free for the push at position `tail`,
/// `head + 1` when it holds the value the pop at position `head` takes.
struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A bounded multi-producer multi-consumer ring of slots, each with a stamp
/// (Dmitry Vyukov's bounded queue, the algorithm behind crossbeam's
/// `ArrayQueue` and the array flavor of crossbeam-channel), written here so
/// that closing rides on the positions themselves.
///
/// A position packs an index into the buffer, a *closed* bit above it (used
/// in `tail` only) and a lap count above that. A push claims the slot at
/// `tail` with one compare-and-swap that also reads the closed bit, so a
/// push either claimed its slot before [`close`](Self::close) set the bit
/// (it lands, and is popped) or fails as closed: no separate flag and no
/// count of pushes in flight. A pop that finds `head`'s slot not yet written
/// and `tail` past `head` knows a claimed push is landing and waits for it;
/// it reports [`TryPopError::Closed`] only when the bit is set and `tail`
/// equals `head`, which is then final.
pub(crate) struct Ring<T> {
    /// The next position to pop from.
    head: CachePadded<AtomicUsize>,
    /// The next position to push to, with the closed bit.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[Slot<T>]>,
    /// The bit of a position that marks the ring closed; the index bits
    /// lie below it.
    closed_bit: usize,
    /// The distance between the same index on two consecutive laps.
    one_lap: usize,
}

// SAFETY: values move between threads through the ring (so `T: Send`), and
// a slot's value is touched only by the one thread that claimed its position,
// the stamps ordering the accesses (see `try_push` and `try_pop`).
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; shared access hands values out, never `&T`.
unsafe impl<T: Send> Sync for Ring<T> {}

// A panic inside a push or pop (a value's move cannot panic; only a
// caller's code around them can) leaves every slot either claimed and
// written or untouched: no broken invariant to observe, as crossbeam's
// `ArrayQueue`, which says the same.
impl<T> std::panic::UnwindSafe for Ring<T> {}
impl<T> std::panic::RefUnwindSafe for Ring<T> {}

impl<T> Ring<T> {
    /// The most slots a ring of `T` may have: the slot array must fit in
    /// `isize::MAX` bytes, as every allocation must.
    pub(crate) const fn max_capacity() -> usize {
        isize::MAX.unsigned_abs() / std::mem::size_of::<Slot<T>>()
    }

    /// An open, empty ring of `capacity` slots (at least 1, at most
    /// [`max_capacity`](Self::max_capacity); the caller bounds it well
    /// below `usize::MAX / 4`, which the position layout needs), or `None`
    /// if the allocator refuses the slots (where `Box::new_uninit_slice`
    /// would abort the process).
    pub(crate) fn try_new(capacity: usize) -> Option<Self> {
        assert!(
            capacity > 0 && capacity <= usize::MAX / 4,
            "ring capacity {capacity} out of range"
        );
        let closed_bit = (capacity + 1).next_power_of_two();
        let mut slots = Vec::<Slot<T>>::new();
        slots.try_reserve_exact(capacity).ok()?;
        // Built in place on the heap: a slot of a large value never passes
        // through the stack, in a debug build either.
        for (index, slot) in slots.spare_capacity_mut()[..capacity]
            .iter_mut()
            .enumerate()
        {
            let slot = slot.as_mut_ptr();
            // SAFETY: `slot` points into the new, unaliased allocation; each
            // field is written in place through raw pointers (no reference
            // to uninitialised memory is made), except the value cell where
            // it needs no building (std's: it holds a `MaybeUninit`, valid
            // unwritten).
            unsafe {
                // Lap 0: slot `index` waits for the push at position `index`.
                ptr::addr_of_mut!((*slot).stamp).write(AtomicUsize::new(index));
                if CELLS_NEED_BUILDING {
                    build_empty_cell(ptr::addr_of_mut!((*slot).value));
                }
            }
        }
        // SAFETY: the first `capacity` slots, reserved above, were each
        // initialised above.
        unsafe { slots.set_len(capacity) };
        Some(Self {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            // Reserved exactly: no reallocation here in practice.
            slots: slots.into_boxed_slice(),
            closed_bit,
            one_lap: closed_bit * 2,
        })
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The position after `position` (same lap, next index; or index 0 of
    /// the next lap).
    fn next(&self, position: usize) -> usize {
        let index = position & (self.closed_bit - 1);
        if index + 1 < self.slots.len() {
            position + 1
        } else {
            (position & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Pushes `value` if there is room and the ring is open.
    pub(crate) fn try_push(&self, value: T) -> Result<(), TryPushError<T>> {
        let backoff = Backoff::new();
        // Relaxed: a guess, checked against the slot's stamp and by the CAS.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.closed_bit != 0 {
                // Acquire fence: the bit was read (Relaxed) from `close`'s
                // SeqCst `fetch_or`; the fence makes what the closer did
                // before closing happen before this refusal (an actor's
                // stop request, seen by the handler whose send it refused).
                fence(Ordering::Acquire);
                return Err(TryPushError::Closed(value));
            }
            let slot = &self.slots[tail & (self.closed_bit - 1)];
            // Acquire: pairs with the Release store of the pop that emptied
            // this slot on the previous lap, so its read of the old value
            // happens before this push's write.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                // SeqCst: the claim is the change of condition that
                // `WaitSet`'s protocol orders against a consumer's count
                // (and, as in crossbeam's queues, joins the fences of the
                // full and empty checks); on x86 a locked CAS costs the same
                // with any ordering. A set closed bit makes `tail` differ,
                // so a claim never succeeds on a closed ring.
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the CAS gave this thread position `tail`,
                        // and the stamp says its slot is empty: no other
                        // thread touches the value until the stamp below
                        // hands it to the pop at this position.
                        slot.value.with_mut(|cell| unsafe { (*cell).write(value) });
                        // Release: publishes the value to the pop whose
                        // Acquire load of the stamp reads `tail + 1`.
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) == tail + 1 {
                // The slot still holds last lap's value: full, unless a pop
                // has moved `head` since. SeqCst fence: orders the stamp
                // read before the `head` read, as the empty check in
                // `try_pop` orders its reads.
                fence(Ordering::SeqCst);
                // Relaxed: the fence orders it.
                let head = self.head.load(Ordering::Relaxed);
                if head.wrapping_add(self.one_lap) == tail {
                    return Err(TryPushError::Full(value));
                }
                backoff.spin();
                // Relaxed: a fresh guess, as above.
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another push claimed this position and is landing, or
                // `tail` is stale: wait a moment.
                backoff.snooze();
                // Relaxed: a fresh guess, as above.
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Pops the oldest value; [`TryPopError::Closed`] once the ring is
    /// closed and drained.
    pub(crate) fn try_pop(&self) -> Result<T, TryPopError> {
        let backoff = Backoff::new();
        // Relaxed: a guess, checked against the slot's stamp and by the CAS.
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let slot = &self.slots[head & (self.closed_bit - 1)];
            // Acquire: pairs with the Release store of the push that wrote
            // this slot's value.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                // SeqCst: as the claim in `try_push`.
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the CAS gave this thread position `head`,
                        // and the stamp (read with Acquire after the push's
                        // Release) says the value is written: this thread
                        // alone moves it out, once.
                        let value = slot
                            .value
                            .with(|cell| unsafe { (*cell).assume_init_read() });
                        // Release: hands the empty slot to the push of the
                        // next lap, ordering this read before its write.
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        return Ok(value);
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // The slot waits for this lap's push: empty, unless `tail`
                // has moved past `head` (a push claimed it and is landing).
                // SeqCst fence: orders the stamp read before the `tail` read.
                fence(Ordering::SeqCst);
                // Relaxed: the fence orders it.
                let tail = self.tail.load(Ordering::Relaxed);
                if tail & !self.closed_bit == head {
                    if tail & self.closed_bit != 0 {
                        // Acquire fence: as for a refused push.
                        fence(Ordering::Acquire);
                        return Err(TryPopError::Closed);
                    }
                    return Err(TryPopError::Empty);
                }
                backoff.spin();
                // Relaxed: a fresh guess, as above.
                head = self.head.load(Ordering::Relaxed);
            } else {
                // Another pop took this position, or `head` is stale.
                backoff.snooze();
                // Relaxed: a fresh guess, as above.
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// Sets the closed bit; `true` if this call set it.
    pub(crate) fn close(&self) -> bool {
        // SeqCst: a push's claim either precedes this in `tail`'s order (and
        // lands) or sees the bit; and it is the change of condition that
        // `WaitSet`'s protocol orders against the waiters' counts.
        self.tail.fetch_or(self.closed_bit, Ordering::SeqCst) & self.closed_bit == 0
    }

    pub(crate) fn is_closed(&self) -> bool {
        // SeqCst: `WaitSet`'s re-check reads the condition in the total
        // order of `SeqCst` accesses (plain load on x86).
        self.tail.load(Ordering::SeqCst) & self.closed_bit != 0
    }

    /// The number of values in the ring now, from a consistent pair of
    /// positions.
    pub(crate) fn len(&self) -> usize {
        loop {
            // SeqCst: the three loads read one moment's positions, as in
            // crossbeam's `ArrayQueue::len`, and serve as `WaitSet`'s
            // re-check of the condition.
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) == tail {
                return self.distance(head, tail & !self.closed_bit);
            }
        }
    }

    /// Values between positions `head` and `tail` (closed bit clear).
    fn distance(&self, head: usize, tail: usize) -> usize {
        let mask = self.closed_bit - 1;
        let (head_index, tail_index) = (head & mask, tail & mask);
        if head_index < tail_index {
            tail_index - head_index
        } else if head_index > tail_index {
            self.slots.len() - head_index + tail_index
        } else if tail == head {
            0
        } else {
            self.slots.len()
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() == self.slots.len()
    }
}

/// Writes an empty cell at `cell`: out of line, so that `Ring::try_new`'s frame
/// holds no `MaybeUninit<T>` (a debug build reserves a frame's every local,
/// called or not).
///
/// # Safety
///
/// `cell` is valid for a write and aligned.
#[inline(never)]
unsafe fn build_empty_cell<T>(cell: *mut UnsafeCell<MaybeUninit<T>>) {
    // SAFETY: passed on from the caller.
    unsafe { cell.write(UnsafeCell::new(MaybeUninit::uninit())) };
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // `&mut self`: every push and pop has returned, so the positions
        // are final and every claimed slot is written.
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Relaxed) & !self.closed_bit;
        let left = self.distance(head, tail);
        self.drop_values(head & (self.closed_bit - 1), left);
    }
}

impl<T> Ring<T> {
    /// Drops the values of the `left` slots from index `next` on, wrapping:
    /// each one even if an earlier one's `Drop` panicked, and then resumes
    /// the first panic (none while the thread already unwinds: a second
    /// panic would abort the process, as it does for a `Vec` of two such
    /// values). The slots are left uninitialised.
    fn drop_values(&self, mut next: usize, left: usize) {
        let mut panics = FirstPanic::new();
        for _ in 0..left {
            let index = next;
            next = (next + 1) % self.slots.len();
            // Dropped in place (a value of hundreds of KiB never crosses
            // the stack), its panic caught.
            self.slots[index].value.with_mut(|cell| {
                // SAFETY: called from `drop` only, with the slots from
                // `head` up to `tail`, which hold values no pop took; each
                // index comes up once, so each value is dropped once, and
                // never read again (a panicking `Drop` leaves it dropped:
                // its fields are dropped while that panic unwinds).
                panics.catch(|| unsafe { (*cell).assume_init_drop() });
            });
        }
        // Nothing resumed while the thread already unwinds (see `resume`).
        panics.resume();
    }
}
