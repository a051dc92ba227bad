//! Running one of the `benches/` package's examples as the bench task does:
//! built in release, its output echoed as it comes, and the lines it tags
//! for xtask (`TAG<tab>...`) handed back.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::{cmd, Result};

/// What to run: `cargo run --release -p fearless-benches --example NAME --
/// ARGS`, with `FEARLESS_BENCH_THREADS` set to `threads` if given.
pub struct Example<'a> {
    pub name: &'a str,
    pub args: Vec<String>,
    pub threads: Option<&'a str>,
}

impl Example<'_> {
    /// Runs the example and returns its stdout lines that start with `tag`
    /// and a tab, without them.
    pub fn tagged_lines(&self, tag: &str) -> Result<Vec<String>> {
        let mut command = cmd::cargo(&[
            "run",
            "--release",
            "-q",
            "-p",
            "fearless-benches",
            "--example",
            self.name,
            "--",
        ]);
        command.args(&self.args);
        if let Some(threads) = self.threads {
            command.env("FEARLESS_BENCH_THREADS", threads);
        }
        let line = cmd::describe(&command);
        println!("$ {line}");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("could not start `{line}`: {e}"))?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let prefix = format!("{tag}\t");
        let mut tagged = Vec::new();
        for output_line in BufReader::new(stdout).lines() {
            let output_line = output_line.map_err(|e| format!("reading `{line}`: {e}"))?;
            println!("{output_line}");
            if let Some(rest) = output_line.strip_prefix(&prefix) {
                tagged.push(rest.to_owned());
            }
        }
        let status = child
            .wait()
            .map_err(|e| format!("waiting for `{line}`: {e}"))?;
        if status.success() {
            Ok(tagged)
        } else {
            Err(format!("`{line}` failed ({status})"))
        }
    }
}
