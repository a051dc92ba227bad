//! What the logger's test files share: a sink they can read, and a way
//! to run a test that may abort the process (or that installs the `log`
//! facade's logger, once per process) in a child process.
// Each test file uses what it needs.
#![allow(dead_code)]

use std::io::{self, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// The environment variable naming the test a child process runs.
pub(crate) const CHILD: &str = "CACHE_KIT_LOGGER_TEST_CHILD";

/// Runs `body` in a child process (this test binary, running only the
/// test `name`, which must call `in_child(name, ..)`), and fails unless the
/// child ran the test and it passed: an abort in the child fails this test
/// instead of the whole binary.
pub(crate) fn in_child(name: &str, body: impl FnOnce()) {
    if std::env::var_os(CHILD).is_some_and(|child| child == name) {
        body();
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child running {name} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
}

/// A sink the test can read while the logger owns a handle to it.
#[derive(Clone, Default)]
pub(crate) struct SharedSink(pub(crate) Arc<Mutex<Vec<u8>>>);

impl Write for SharedSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedSink {
    pub(crate) fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The messages (the text after `target: `) of the lines for `target`.
    pub(crate) fn messages(&self, target: &str) -> Vec<String> {
        let marker = format!(" {target}: ");
        self.lines()
            .iter()
            .filter_map(|line| line.split_once(&marker).map(|(_, text)| text.to_owned()))
            .collect()
    }
}

/// A panic payload whose own `Drop` panics.
pub(crate) struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the payload's drop panics too");
    }
}
