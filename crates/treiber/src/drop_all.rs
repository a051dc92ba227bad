//! [`drop_all`]: drops a series of the user's values, each one, whatever
//! their `Drop` does.

use atomics_kit::FirstPanic;

/// Drops every value `values` yields, even past a `Drop` that panics, and
/// then resumes the first panic (a later one's payload is dropped,
/// caught). A second panic while the first unwinds would abort the
/// process; this never lets two overlap. Called while the thread already
/// unwinds (the owner dropped during a panic), it resumes nothing: that
/// panic too is dropped, caught.
pub(crate) fn drop_all<T>(values: impl Iterator<Item = T>) {
    let mut panics = FirstPanic::new();
    for value in values {
        panics.drop_value(value);
    }
    // Nothing resumed while the thread already unwinds (see `resume`).
    panics.resume();
}
