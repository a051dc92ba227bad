//! [`UnsafeCell`]: `std`'s, behind loom's closure API.

/// `std::cell::UnsafeCell` behind the closure API of loom's `UnsafeCell`
/// (the pointer is handed to a closure, not returned), so that a crate's
/// unsafe code reads the same with and without loom; under `--cfg loom`
/// it is loom's, which checks that every access happens after the previous
/// write. Getting the pointer is safe; using it is the caller's `unsafe`.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::UnsafeCell;
///
/// let cell = UnsafeCell::new(1);
/// // SAFETY: no other reference to the cell's value exists.
/// cell.with_mut(|value| unsafe { *value += 1 });
/// // SAFETY: as above.
/// assert_eq!(cell.with(|value| unsafe { *value }), 2);
/// ```
#[cfg(not(loom))]
#[derive(Debug)]
pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer for reading the value.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer for writing the value.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub use loom::cell::UnsafeCell;

/// Whether an [`UnsafeCell`] must be built before it is used. Loom's keeps
/// state for its checks; std's holds only its value, so one holding a
/// `MaybeUninit` is valid left unwritten (and building it would pass the
/// value, however large, through the stack in a debug build). A buffer of
/// cells allocated uninitialised (`Box::new_uninit_slice`) builds each one
/// only when this is true.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::{UnsafeCell, CELLS_NEED_BUILDING};
/// use std::mem::MaybeUninit;
///
/// let mut slots = Box::<[UnsafeCell<MaybeUninit<u64>>]>::new_uninit_slice(4);
/// if CELLS_NEED_BUILDING {
///     for slot in slots.iter_mut() {
///         slot.write(UnsafeCell::new(MaybeUninit::uninit()));
///     }
/// }
/// // SAFETY: every cell is built, or (outside loom) a cell of an
/// // uninitialised value is itself valid uninitialised.
/// let slots = unsafe { slots.assume_init() };
/// assert_eq!(slots.len(), 4);
/// ```
pub const CELLS_NEED_BUILDING: bool = cfg!(loom);
