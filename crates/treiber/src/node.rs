//! [`Node`]: one link of the stack, allocated once, recycled, and freed
//! only with the stack.

use std::mem::MaybeUninit;
use std::ptr;

use crate::sync::{AtomicPtr, UnsafeCell};

/// A value and the link below it.
///
/// A node's value is present from the push that fills it until the pop (or
/// `pop_all`) that unlinks the node moves it out; a retired or pooled node
/// holds none. Only the thread that owns the node at that moment (the pusher
/// before publication, the unlinker after) touches the value.
pub(crate) struct Node<T> {
    value: UnsafeCell<MaybeUninit<T>>,
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

impl<T> Node<T> {
    /// A fresh heap node holding `value`, as a raw pointer the stack owns.
    pub(crate) fn allocate(value: T) -> *mut Node<T> {
        Box::into_raw(Box::new(Node {
            value: UnsafeCell::new(MaybeUninit::new(value)),
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
        // SAFETY: the caller owns the empty value cell.
        self.value.with_mut(|cell| unsafe { (*cell).write(value) });
    }

    /// Moves the value out, leaving the node empty.
    ///
    /// # Safety
    ///
    /// The node holds a value, and the caller is the one thread that
    /// unlinked it (so no other thread accesses the value).
    pub(crate) unsafe fn take(&self) -> T {
        // SAFETY: the caller owns the full value cell; it is read once.
        self.value
            .with_mut(|cell| unsafe { (*cell).assume_init_read() })
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
