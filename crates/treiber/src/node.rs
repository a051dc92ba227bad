//! [`Node`]: one link of the stack, allocated once, recycled, and freed
//! only with the stack.

use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr;

use crate::sync::{AtomicPtr, UnsafeCell};

/// A value and the link below it.
///
/// A node's value is present from the push that fills it until the pop (or
/// `pop_all`) that unlinks the node moves it out; a retired or pooled node
/// holds none. Only the thread that owns the node at that moment (the pusher
/// before publication, the unlinker after) touches the value.
///
/// An empty node at the top of a chain on the free list holds, in the
/// value's place, the chain's last node (see `free_list.rs`).
pub(crate) struct Node<T> {
    payload: UnsafeCell<MaybeUninit<Payload<T>>>,
    /// Written before the node is published; read-only while it is linked.
    pub(crate) next: AtomicPtr<Node<T>>,
    /// Under miri only: a plain (non-atomic) cell that a pop reads after
    /// protecting the node and that recycling writes. Nodes are never freed
    /// while the stack lives, so a node recycled while a hazard still names
    /// it would otherwise show only as a rare ABA; with the canary, miri's
    /// data race detector reports the unordered read and write at once.
    #[cfg(miri)]
    canary: std::cell::UnsafeCell<u8>,
}

/// What a node holds: a value while it is in the stack, or the last node
/// of its chain while it tops a chain on the free list. `repr(C)`: both at
/// offset 0, so the cell is read and written through casts to either. The
/// pointer costs no space unless `T` is smaller than one (every node has a
/// pointer's alignment already, for `next`): only a stack of zero-sized
/// values pays, a word a node.
#[repr(C)]
union Payload<T> {
    value: ManuallyDrop<T>,
    chain_bottom: *mut Node<T>,
}

impl<T> Node<T> {
    /// A fresh heap node holding `value`, as a raw pointer the stack owns.
    pub(crate) fn allocate(value: T) -> *mut Node<T> {
        Box::into_raw(Box::new(Node {
            payload: UnsafeCell::new(MaybeUninit::new(Payload {
                value: ManuallyDrop::new(value),
            })),
            next: AtomicPtr::new(ptr::null_mut()),
            #[cfg(miri)]
            canary: std::cell::UnsafeCell::new(0),
        }))
    }

    /// Under miri, a plain read of the canary: the caller holds a hazard on
    /// the node (or owns it), so no recycling may race with it.
    #[inline]
    pub(crate) fn check_canary(&self) {
        // SAFETY: a plain read; a concurrent `recycled` would be a data
        // race, which is exactly what miri is to report.
        #[cfg(miri)]
        unsafe {
            std::ptr::read_volatile(self.canary.get());
        }
    }

    /// Under miri, a plain write of the canary: the node is being recycled,
    /// so no thread may still read it under a hazard.
    #[inline]
    pub(crate) fn recycled(&self) {
        // SAFETY: the recycling thread owns the node (the caller's
        // contract for `recycle`); see `check_canary`.
        #[cfg(miri)]
        unsafe {
            std::ptr::write_volatile(self.canary.get(), 1);
        }
    }

    /// Puts `value` into an empty node the caller owns.
    ///
    /// # Safety
    ///
    /// The node holds no value, and no other thread accesses its value.
    pub(crate) unsafe fn fill(&self, value: T) {
        // SAFETY: the caller owns the empty cell; `value` is at offset 0 of
        // the `repr(C)` payload, aligned for `T`.
        self.payload
            .with_mut(|cell| unsafe { (*cell).as_mut_ptr().cast::<T>().write(value) });
    }

    /// Moves the value out, leaving the node empty.
    ///
    /// # Safety
    ///
    /// The node holds a value, and the caller is the one thread that
    /// unlinked it (so no other thread accesses the value).
    pub(crate) unsafe fn take(&self) -> T {
        // SAFETY: the caller owns the full cell; the value, at offset 0, is
        // read once.
        self.payload
            .with_mut(|cell| unsafe { (*cell).as_ptr().cast::<T>().read() })
    }

    /// Records `bottom` as the last node of the free-list chain this empty
    /// node tops.
    ///
    /// # Safety
    ///
    /// The node holds no value, and the caller owns it alone (it is not
    /// published yet).
    pub(crate) unsafe fn set_chain_bottom(&self, bottom: *mut Node<T>) {
        // SAFETY: the caller owns the empty cell; the pointer field is at
        // offset 0 of the `repr(C)` payload, which is aligned for it.
        self.payload.with_mut(|cell| unsafe {
            (*cell).as_mut_ptr().cast::<*mut Node<T>>().write(bottom);
        });
    }

    /// The last node of the free-list chain this node tops, as recorded by
    /// [`set_chain_bottom`](Self::set_chain_bottom).
    ///
    /// # Safety
    ///
    /// The node tops a chain on the free list (or taken from it), the
    /// record was published to the caller, and no thread writes the node's
    /// payload meanwhile (the caller's hazard names it: see `free_list.rs`).
    pub(crate) unsafe fn chain_bottom(&self) -> *mut Node<T> {
        // SAFETY: as for `set_chain_bottom`; the field was written there,
        // and only read (shared) while the node is on the list.
        self.payload
            .with(|cell| unsafe { (*cell).as_ptr().cast::<*mut Node<T>>().read() })
    }

    /// Frees an empty node. Only the stack's `Drop` (and the free list's,
    /// which runs within it) frees nodes: while the stack lives they are
    /// type-stable, so a pointer to one never dangles.
    ///
    /// # Safety
    ///
    /// `node` came from [`Node::allocate`], holds no value, and no thread
    /// can reach it any more.
    pub(crate) unsafe fn free(node: *mut Node<T>) {
        // SAFETY: allocated by `Box::into_raw` in `allocate`; `MaybeUninit`
        // drops no value.
        drop(unsafe { Box::from_raw(node) });
    }
}
