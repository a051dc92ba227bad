//! The inputs a `fan_out_fan_in` call shares with its helpers, and the
//! slots for their results: the threads take chunks of indices in turn
//! (one atomic counter), move each input of a chunk out of the shared
//! buffer, and write its result straight into its place in the output, as
//! rayon's `collect` does. No chunk is cut off into a vector of its own,
//! and no result is moved again to be put in order.

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;

use atomics_kit::panic_message;

use super::ItemPanicked;
use crate::sync::{AtomicUsize, Mutex, Ordering};

/// `len` inputs, owned here, and as many result slots in the spare
/// capacity of the output vector it borrows.
///
/// Each index belongs to the one chunk that contains it, and each chunk to
/// the one thread whose [`SharedRun::run_chunks`] took it: that thread alone
/// reads the index's input (once) and writes its slot (at most once).
pub(super) struct SharedRun<'a, T, R> {
    /// The inputs' buffer (a vector's, its length set aside): input `i`
    /// is read once, by the thread that took its chunk, and never dropped
    /// here.
    inputs: NonNull<T>,
    inputs_capacity: usize,
    /// The first of `len` result slots, in the output's spare capacity.
    slots: NonNull<MaybeUninit<R>>,
    len: usize,
    /// The output: its length becomes the slots' end once every slot is
    /// written.
    output: NonNull<Vec<R>>,
    /// The call's index of input 0 (for [`ItemPanicked`]).
    first_index: usize,
    chunk_len: usize,
    /// The next chunk to take.
    next_chunk: AtomicUsize,
    /// The items whose `f` panicked (their slots stay empty).
    panicked: Mutex<Vec<ItemPanicked>>,
    _owns: PhantomData<(T, &'a mut Vec<R>)>,
}

// SAFETY: threads sharing a run move inputs out of it (`T: Send`) and
// write results that the thread calling `finish` takes (`R: Send`); each
// index is touched by the one thread that took its chunk through the
// atomic `next_chunk`, so no two threads access the same input or slot.
unsafe impl<T: Send, R: Send> Sync for SharedRun<'_, T, R> {}

impl<'a, T, R> SharedRun<'a, T, R> {
    /// Shares `inputs` (the call's inputs from index `first_index` on),
    /// whose results go after `output`'s current end, in chunks of
    /// `chunk_len` (at least 1).
    pub(super) fn new(
        inputs: Vec<T>,
        output: &'a mut Vec<R>,
        first_index: usize,
        chunk_len: usize,
    ) -> Self {
        let len = inputs.len();
        output.reserve(len);
        let slots = NonNull::from(&mut output.spare_capacity_mut()[..len]).cast();
        let mut inputs = ManuallyDrop::new(inputs);
        Self {
            inputs: NonNull::new(inputs.as_mut_ptr()).unwrap_or(NonNull::dangling()),
            inputs_capacity: inputs.capacity(),
            slots,
            len,
            output: NonNull::from(output),
            first_index,
            chunk_len: chunk_len.max(1),
            next_chunk: AtomicUsize::new(0),
            panicked: Mutex::new(Vec::new()),
            _owns: PhantomData,
        }
    }

    /// Takes chunks and applies `f` to their inputs until none is left. A
    /// panic in `f` is caught and recorded for its item; the chunk goes on.
    pub(super) fn run_chunks(&self, f: &impl Fn(T) -> R) {
        loop {
            // Relaxed: the counter only hands out chunk numbers (each
            // exactly once, by the RMW's atomicity); the inputs were
            // written before the helpers were posted (the board's lock),
            // and the results are read after the call's wait for its
            // helpers (the job's lock).
            let chunk = self.next_chunk.fetch_add(1, Ordering::Relaxed);
            let start = chunk.saturating_mul(self.chunk_len);
            if start >= self.len {
                return;
            }
            let end = start.saturating_add(self.chunk_len).min(self.len);
            self.run_range(start, end, f);
        }
    }

    fn run_range(&self, start: usize, end: usize, f: &impl Fn(T) -> R) {
        let mut next = start;
        while next < end {
            // One `catch_unwind` for the rest of the chunk, not per item.
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                while next < end {
                    // SAFETY: `next` is in this thread's chunk (see
                    // `run_chunks`), below `len`: its input was written by
                    // the vector it came from and is read here once.
                    let item = unsafe { self.inputs.as_ptr().add(next).read() };
                    next += 1;
                    let result = f(item);
                    // SAFETY: slot `next - 1` is in this thread's chunk,
                    // below `len`, inside the output's reserved capacity,
                    // and written once.
                    unsafe {
                        self.slots
                            .as_ptr()
                            .add(next - 1)
                            .write(MaybeUninit::new(result))
                    };
                }
            }));
            if let Err(payload) = caught {
                // Only `f` unwinds in the loop above, on item `next - 1`,
                // whose slot stays empty. The payload is dropped (user
                // code) before the lock is taken.
                let message = panic_message(payload);
                let index = self.first_index + (next - 1);
                self.panicked.lock().push(ItemPanicked::new(index, message));
            }
        }
    }

    /// Once every thread's [`run_chunks`](Self::run_chunks) has returned:
    /// `Ok` if no item panicked, the results then being the output's new
    /// end; otherwise every input's outcome, in order (the output keeps its
    /// length).
    pub(super) fn finish(self) -> Result<(), Vec<Result<R, ItemPanicked>>> {
        let this = ManuallyDrop::new(self);
        debug_assert!(
            this.next_chunk
                .load(Ordering::Relaxed)
                .saturating_mul(this.chunk_len)
                >= this.len,
            "every chunk was taken"
        );
        // SAFETY: `this` is never dropped, so the mutex is moved out once.
        let mut panicked = unsafe { std::ptr::read(&this.panicked) }.into_inner();
        this.free_inputs();
        if panicked.is_empty() {
            // SAFETY: every index's chunk was taken and run to its end with
            // no panic, so each of the `len` slots after the output's end
            // holds a result, and `output` is borrowed for `'a`.
            unsafe {
                let output = &mut *this.output.as_ptr();
                output.set_len(output.len() + this.len);
            }
            return Ok(());
        }
        panicked.sort_unstable_by_key(ItemPanicked::index);
        let mut panicked = panicked.into_iter().peekable();
        let mut outcomes = Vec::with_capacity(this.len);
        for i in 0..this.len {
            if panicked
                .peek()
                .is_some_and(|item| item.index() == this.first_index + i)
            {
                outcomes.extend(panicked.next().map(Err));
            } else {
                // SAFETY: item `i` did not panic, so its slot holds its
                // result; it is read out once, and the output's length
                // leaves the slot out, so nothing else drops it.
                outcomes.push(Ok(unsafe {
                    this.slots.as_ptr().add(i).read().assume_init()
                }));
            }
        }
        Err(outcomes)
    }

    /// Frees the inputs' buffer without dropping an input: each was moved
    /// out (or, after an unwind, is leaked).
    fn free_inputs(&self) {
        // SAFETY: the pointer and capacity are the vector's own (from
        // `new`); length 0 frees the buffer and drops nothing. Called once:
        // from `finish`, which never drops `self`, or from `drop`.
        drop(unsafe { Vec::from_raw_parts(self.inputs.as_ptr(), 0, self.inputs_capacity) });
    }
}

impl<T, R> Drop for SharedRun<'_, T, R> {
    /// Only on an unwind before `finish` (the threads catch `f`'s panics,
    /// so only a fault of our own gets here): the inputs not yet read and
    /// the results written are leaked, never dropped twice.
    fn drop(&mut self) {
        self.free_inputs();
    }
}

impl<T, R> std::fmt::Debug for SharedRun<'_, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRun")
            .field("len", &self.len)
            .field("chunk_len", &self.chunk_len)
            .finish_non_exhaustive()
    }
}
