//! What the fearless crates' test binaries share: running one test in a
//! child process, for a test whose failure would abort the process (a
//! panic while another unwinds) or that installs something once per
//! process (the `log` facade's logger). An abort in the child fails the
//! one test that started it, not the whole test binary.
//!
//! Every way in checks that the child ran exactly the one test and that it
//! passed: a child whose filter matched no test (a renamed test, a typo)
//! also exits successfully, and would otherwise pass without testing
//! anything.
//!
//! It also holds two global allocators: [`RefusingAllocator`], which
//! refuses large requests, for the tests of what a refused allocation does,
//! and [`LiveBytes`], which counts the bytes live, for the tests of how much
//! memory something holds.
//!
//! A dev-dependency of the library crates only; never published.

#![deny(unsafe_code)]

mod live_bytes;
mod refusing_allocator;

use std::process::Command;

pub use live_bytes::LiveBytes;
pub use refusing_allocator::RefusingAllocator;

/// The environment variable that names the test a child process runs.
const CHILD: &str = "FEARLESS_TEST_CHILD";

/// Runs `body` in a child process: this test binary, running only the
/// test `name`, which must be the test calling this (with `body` as the
/// whole of its work). Fails unless the child ran that test and it
/// passed.
///
/// # Panics
///
/// If the child could not be started, or did not run exactly one test
/// that passed: the message quotes the child's output.
pub fn in_child(name: &str, body: impl FnOnce()) {
    in_child_with(name, |_| {}, body);
}

/// [`in_child`], with the child's command set up by `configure` first
/// (its environment, say).
///
/// # Panics
///
/// As [`in_child`].
pub fn in_child_with(name: &str, configure: impl FnOnce(&mut Command), body: impl FnOnce()) {
    if this_is_the_child_of(name) {
        body();
        return;
    }
    let mut child = child_running(name);
    configure(&mut child);
    run_and_check(name, &mut child);
}

/// The `RUST_MIN_STACK` that [`on_tiny_default_stacks`] sets: below the
/// workspace's 64 KiB minimum for threads running user code (a break run
/// aborted with it: a panicking job's unwinding overflowed its worker).
pub const TINY_RUST_MIN_STACK: usize = 24 << 10;

/// [`in_child`], in a child whose threads spawned without a size get
/// [`TINY_RUST_MIN_STACK`] bytes (`RUST_MIN_STACK`), with `RUST_BACKTRACE=1`
/// (a backtrace's capture is what overflowed such a stack). `checks` runs
/// on a thread with an 8 MiB stack of its own: libtest's test thread gets
/// the tiny stack too.
///
/// # Panics
///
/// As [`in_child`].
pub fn on_tiny_default_stacks(name: &str, checks: impl FnOnce() + Send) {
    in_child_with(
        name,
        |child| {
            child
                .env("RUST_MIN_STACK", TINY_RUST_MIN_STACK.to_string())
                .env("RUST_BACKTRACE", "1");
        },
        || {
            std::thread::scope(|scope| {
                let ran = std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, checks)
                    .expect("a thread with an 8 MiB stack starts")
                    .join();
                if let Err(panic) = ran {
                    std::panic::resume_unwind(panic);
                }
            });
        },
    );
}

/// Whether this process is the child that runs test `name`, for a test
/// that goes on only when it is: if not, runs the test `name` in a child
/// process, checks as [`in_child`] does, and returns `false`.
///
/// # Panics
///
/// As [`in_child`].
#[must_use = "the test's body runs only in the child: return when this is false"]
pub fn is_the_child_of(name: &str) -> bool {
    let mut is_child = false;
    in_child(name, || is_child = true);
    is_child
}

/// Whether this process is a child started to run test `name`.
fn this_is_the_child_of(name: &str) -> bool {
    std::env::var_os(CHILD).is_some_and(|child| child == name)
}

/// This test binary, set to run the test `name` alone, as its child.
fn child_running(name: &str) -> Command {
    let mut child = Command::new(std::env::current_exe().expect("the test binary's path"));
    child
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name);
    child
}

/// Runs the ignored test `child` of this test binary in a child process,
/// for a body kept in a test of its own (`#[ignore]`d, so that a plain run
/// skips it). Fails unless the child ran that test and it passed.
///
/// # Panics
///
/// As [`in_child`].
pub fn passes_in_child(child: &str) {
    let mut command = child_running(child);
    command.arg("--ignored");
    run_and_check(child, &mut command);
}

/// Runs `child` (a [`child_running`] `name`) and fails unless it ran
/// exactly that one test and it passed.
fn run_and_check(name: &str, child: &mut Command) {
    let output = child
        .output()
        .expect("the test binary starts again as a child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the child running {name} failed ({}), or ran no such test:\n\
         --- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}
