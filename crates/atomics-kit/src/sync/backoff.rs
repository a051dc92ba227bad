//! [`Backoff`]: crossbeam-utils' exponential backoff, or a loom stand-in.

/// One step of waiting for another thread: crossbeam-utils' `Backoff`
/// (spin with growing pauses, then yield to the OS scheduler).
///
/// Under `--cfg loom` a stand-in whose every step yields to loom's
/// scheduler, and which reports itself completed at once, so that a caller
/// that parks after backing off parks in the model.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::Backoff;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// let ready = AtomicBool::new(true);
/// let backoff = Backoff::new();
/// while !ready.load(Ordering::Acquire) {
///     backoff.snooze();
/// }
/// ```
#[cfg(not(loom))]
pub type Backoff = crossbeam_utils::Backoff;

/// Under loom: every step yields to loom's scheduler.
#[cfg(loom)]
#[derive(Debug, Default)]
pub struct Backoff;

#[cfg(loom)]
impl Backoff {
    /// A fresh backoff.
    pub fn new() -> Self {
        Self
    }

    /// Lets loom run another thread.
    pub fn spin(&self) {
        loom::thread::yield_now();
    }

    /// Lets loom run another thread.
    pub fn snooze(&self) {
        loom::thread::yield_now();
    }

    /// Always true: under loom a caller that would park next parks now.
    pub fn is_completed(&self) -> bool {
        true
    }

    /// Nothing to reset.
    pub fn reset(&self) {}
}
