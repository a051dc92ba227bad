//! [`resume_after_dropping`]: re-raises the panic of one part of a pool
//! call after dropping what its other parts returned; and
//! [`panic_after_dropping`]: a refused call's own panic, raised after
//! dropping the closures it was given.

use std::any::Any;
use std::panic::resume_unwind;

use atomics_kit::{drop_caught, FirstPanic};

/// Drops `values` (what the other half of a `join`, a scope's body or the
/// other calls of a broadcast returned), then resumes `payload`. Dropped
/// while `payload` unwinds, a value whose `Drop` panics would abort the
/// process; dropped here, its panic is caught and its payload dropped: the
/// first panic is the one re-raised, as when two tasks panic.
pub(crate) fn resume_after_dropping<T>(payload: Box<dyn Any + Send>, values: T) -> ! {
    drop_caught(values);
    resume_unwind(payload)
}

/// Drops `values` (the closures a refused call was given: after shutdown,
/// or a free function outside a pool thread), then panics with `message`.
/// Dropped while that panic unwinds, a closure whose capture's `Drop`
/// panics would abort the process (a break run: `broadcast`, `join`,
/// `install` and `scope` on a shut-down pool, 5 of 5 runs each); dropped
/// here, its panic is caught and its payload dropped, and the refusal is
/// the panic raised.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn panic_after_dropping<T>(values: T, message: std::fmt::Arguments<'_>) -> ! {
    drop_caught(values);
    panic!("{message}")
}

/// Two values (a refused `join`'s closures) that drop one at a time: as a
/// tuple, a panic of the first one's `Drop` went on to drop the second
/// while unwinding, and a second panic there aborted the process (a break
/// run: `pool::join` outside a pool, `join` after `shutdown`). Dropped,
/// it drops both, each `Drop`'s panic caught, and then resumes the first.
pub(crate) struct DropsApart<A, B>(pub(crate) Option<A>, pub(crate) Option<B>);

impl<A, B> DropsApart<A, B> {
    pub(crate) fn new(a: A, b: B) -> Self {
        Self(Some(a), Some(b))
    }

    /// Both values, taken out (nothing is left to drop).
    pub(crate) fn take(&mut self) -> (A, B) {
        let both = self.0.take().zip(self.1.take());
        both.expect("taken once")
    }
}

impl<A, B> Drop for DropsApart<A, B> {
    fn drop(&mut self) {
        let mut panics = FirstPanic::new();
        panics.drop_value(self.0.take());
        panics.drop_value(self.1.take());
        panics.resume();
    }
}
