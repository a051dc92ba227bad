//! What the cache's and the pool's test files share: running a test body
//! that may hang on its own thread, so that a deadlock fails that test
//! instead of stalling the whole run, and reading a panic's message (a
//! test that may abort the process runs in a child process through
//! `fearless_test_support`).
// Each test file uses what it needs.
#![allow(dead_code)]

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a test waits for something that should happen at once before
/// calling it a hang: generous, so that a loaded CI machine never turns a
/// slow run into a failure.
pub(crate) const HANG: Duration = Duration::from_secs(30);

/// Runs `f` on its own thread: `Some` of its result if it finishes within
/// `limit`, `None` if it is still running then (the thread is left
/// behind). A panic in `f` is raised again here, so that it is never
/// mistaken for a hang.
pub(crate) fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(panic::catch_unwind(AssertUnwindSafe(f)));
    });
    match finished.recv_timeout(limit) {
        Ok(Ok(value)) => Some(value),
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => None,
    }
}

/// Runs `f` on its own thread and returns its result, failing the test if
/// it has not finished within [`HANG`] (`what` names it in the message).
pub(crate) fn finishes<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    within(HANG, f).unwrap_or_else(|| panic!("{what}: did not finish within {HANG:?} (deadlock)"))
}

/// The message of a panic's payload (`"?"` for a payload that is not a
/// string).
pub(crate) fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("?")
}
