//! The one module that chooses between `std` and `loom`.
//!
//! crossbeam-epoch switches itself to loom's atomics under
//! `--cfg crossbeam_loom` (which `cargo xtask loom` passes with `--cfg loom`),
//! so the stack's code is the same in both; only `const fn` differs, because
//! loom's atomics have no `const` constructors.

pub(crate) use crossbeam_epoch as epoch;
pub(crate) use std::sync::atomic::Ordering;

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// std's `UnsafeCell` behind loom's closure API, so that under loom every
/// access to a node's value is checked for a happens-before edge from the
/// write that created it.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Declares `$vis const fn` outside loom and a plain `$vis fn` under loom.
macro_rules! const_fn_outside_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name() -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name() -> $ret $body
    };
}
pub(crate) use const_fn_outside_loom;
