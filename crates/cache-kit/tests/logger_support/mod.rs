//! What the logger's test files share: a sink they can read, and a panic
//! payload whose own `Drop` panics. (A test that may abort the process, or
//! that installs the `log` facade's logger, once per process, runs in a
//! child process through `fearless_test_support`.)
// Each test file uses what it needs.
#![allow(dead_code)]

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

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
