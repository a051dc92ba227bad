//! [`drop_all`]: drops a series of the user's values, each one, whatever
//! their `Drop` does.

use std::panic::resume_unwind;

use atomics_kit::{drop_panic_payload, try_drop};

/// Drops every value `values` yields, even past a `Drop` that panics, and
/// then resumes the first panic (a later one's payload is dropped,
/// caught). A second panic while the first unwinds would abort the
/// process; this never lets two overlap. Called while the thread already
/// unwinds (the owner dropped during a panic), it resumes nothing: that
/// panic too is dropped, caught.
pub(crate) fn drop_all<T>(values: impl Iterator<Item = T>) {
    let mut first_panic = None;
    for value in values {
        if let Err(payload) = try_drop(value) {
            if first_panic.is_none() {
                first_panic = Some(payload);
            } else {
                drop_panic_payload(payload);
            }
        }
    }
    if let Some(payload) = first_panic {
        if std::thread::panicking() {
            drop_panic_payload(payload);
        } else {
            resume_unwind(payload);
        }
    }
}
