//! A result on its way through the results channel, whose drop never
//! unwinds.

use std::mem::ManuallyDrop;

use atomics_kit::drop_caught;

/// Holds a job's result while it travels to a [`Results`](super::Results)
/// handle. Received, it is unwrapped and dropped by the user as usual;
/// dropped unreceived (the last handle went with it still in the channel,
/// and crossbeam-channel drops what is left), a panic of the result's
/// `Drop` is caught there, and the payload dropped (its own `Drop` panics
/// caught too), so the channel goes on to drop the other results and frees
/// its memory, instead of unwinding out of its teardown and leaking them.
/// The same size as the result (a `ManuallyDrop`, not an `Option`).
pub(crate) struct DropCatching<R>(ManuallyDrop<R>);

impl<R> DropCatching<R> {
    pub(crate) fn new(result: R) -> Self {
        Self(ManuallyDrop::new(result))
    }

    /// The result, to be dropped by whoever receives it.
    pub(crate) fn into_inner(self) -> R {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so `Drop::drop` never takes the
        // value too: it is taken exactly once, here.
        unsafe { ManuallyDrop::take(&mut this.0) }
    }
}

impl<R> Drop for DropCatching<R> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and only for a value `into_inner` did
        // not take (it forgets `self`): the value is taken exactly once.
        let result = unsafe { ManuallyDrop::take(&mut self.0) };
        drop_caught(result);
    }
}
