//! [`JobBlocks`]: a worker's spare blocks for heap jobs, so that a task
//! spawned and run on pool threads costs no `malloc` and no `free`.
//!
//! A scope or detached task is a closure moved to the heap, run once on
//! whichever worker takes it, then freed: with the global allocator, half
//! of a tiny task's instructions were its `malloc` and `free` (callgrind,
//! an unbalanced scope tree, on ours and on rayon's alike). A job whose
//! closure fits in [`BLOCK`] goes in a block instead; the worker that runs
//! it moves the closure out and keeps the block for its own next spawn.
//! Blocks all have one layout, so any worker may keep, reuse or free any
//! block, whichever thread allocated it.

use std::alloc::Layout;
use std::cell::RefCell;
use std::ptr::NonNull;

/// The layout of every block: a closure of at most 64 bytes, aligned to at
/// most 16, fits (a scope task capturing a few references does).
pub(crate) const BLOCK: Layout = match Layout::from_size_align(64, 16) {
    Ok(layout) => layout,
    Err(_) => panic!("64 is a multiple of the power of two 16"),
};

/// The most spare blocks a worker keeps; it frees the ones given back
/// beyond that (a worker that runs the jobs of an outside submitter gets
/// every block and spawns none).
const MAX_SPARE: usize = 64;

/// Whether a closure `F` goes in a block: it fits, and it is not
/// zero-sized (a `Box` of one allocates nothing).
pub(crate) const fn fits<F>() -> bool {
    let size = std::mem::size_of::<F>();
    size != 0 && size <= BLOCK.size() && std::mem::align_of::<F>() <= BLOCK.align()
}

/// A worker's spare blocks, used by its own thread only.
pub(crate) struct JobBlocks {
    spare: RefCell<Vec<NonNull<u8>>>,
}

impl JobBlocks {
    /// None spare yet.
    pub(crate) fn new() -> Self {
        Self {
            // Room for every spare block: `give_back` never reallocates.
            spare: RefCell::new(Vec::with_capacity(MAX_SPARE)),
        }
    }

    /// A block of layout [`BLOCK`]: a spare one, or a new one.
    pub(crate) fn take(&self) -> NonNull<u8> {
        // No user code runs while the spares are borrowed.
        self.spare.borrow_mut().pop().unwrap_or_else(allocate)
    }

    /// Keeps `block` for a later [`take`](Self::take), or frees it when
    /// enough are spare.
    ///
    /// # Safety
    ///
    /// `block` was allocated with layout [`BLOCK`] (by [`allocate`], or
    /// handed out by a `take`), holds nothing that needs dropping, and is
    /// used by nobody else from now on.
    pub(crate) unsafe fn give_back(&self, block: NonNull<u8>) {
        let mut spare = self.spare.borrow_mut();
        if spare.len() < MAX_SPARE {
            spare.push(block);
        } else {
            drop(spare);
            // SAFETY: allocated with this layout and unused (the contract).
            unsafe { std::alloc::dealloc(block.as_ptr(), BLOCK) };
        }
    }
}

impl Drop for JobBlocks {
    fn drop(&mut self) {
        for block in self.spare.get_mut().drain(..) {
            // SAFETY: every spare block was allocated with this layout
            // (`give_back`'s contract) and is used by nobody.
            unsafe { std::alloc::dealloc(block.as_ptr(), BLOCK) };
        }
    }
}

/// A new block of layout [`BLOCK`], from the global allocator.
pub(crate) fn allocate() -> NonNull<u8> {
    // SAFETY: `BLOCK` has a non-zero size.
    let block = unsafe { std::alloc::alloc(BLOCK) };
    NonNull::new(block).unwrap_or_else(|| std::alloc::handle_alloc_error(BLOCK))
}
