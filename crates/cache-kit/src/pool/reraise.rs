//! [`resume_after_dropping`]: re-raises the panic of one part of a pool
//! call after dropping what its other parts returned.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use atomics_kit::drop_panic_payload;

/// Drops `values` (what the other half of a `join`, a scope's body or the
/// other calls of a broadcast returned), then resumes `payload`. Dropped
/// while `payload` unwinds, a value whose `Drop` panics would abort the
/// process; dropped here, its panic is caught and its payload dropped: the
/// first panic is the one re-raised, as when two tasks panic.
pub(crate) fn resume_after_dropping<T>(payload: Box<dyn Any + Send>, values: T) -> ! {
    if let Err(second) = catch_unwind(AssertUnwindSafe(move || drop(values))) {
        drop_panic_payload(second);
    }
    resume_unwind(payload)
}
