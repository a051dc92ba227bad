//! Running commands: each is echoed before it runs, and a failure becomes an
//! error that names the command.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::workspace;
use crate::Result;

/// `cargo <args>` in the workspace root, with the stable toolchain of
/// rust-toolchain.toml.
pub fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(args).current_dir(workspace::root());
    command
}

/// `cargo +nightly <args>` in the workspace root.
pub fn nightly_cargo(args: &[&str]) -> Command {
    let mut command = cargo(&["+nightly"]);
    command.args(args);
    command
}

/// The command as a shell line, with the environment it sets.
pub fn describe(command: &Command) -> String {
    let env = command.get_envs().filter_map(|(key, value)| {
        value.map(|value| format!("{}={:?}", key.to_string_lossy(), value.to_string_lossy()))
    });
    let program = std::iter::once(command.get_program().to_string_lossy().into_owned());
    let args = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned());
    env.chain(program).chain(args).collect::<Vec<_>>().join(" ")
}

/// Runs `command`, inheriting stdout and stderr.
pub fn run(command: &mut Command) -> Result {
    let line = describe(command);
    println!("$ {line}");
    let status = command
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs a `cargo test`-like `command` with its stdout and stderr merged
/// into `log` (after the command's own line), for a caller that prints
/// several commands' output at once, ungarbled, when they end. Returns how
/// many tests passed, so a caller can refuse a filter that matched nothing.
pub fn run_logged(command: &mut Command, log: &mut String) -> Result<u64> {
    let line = describe(command);
    log.push_str(&format!("$ {line}\n"));
    let (reader, writer) = std::io::pipe().map_err(|e| format!("a pipe for `{line}`: {e}"))?;
    let writer_too = writer
        .try_clone()
        .map_err(|e| format!("a pipe for `{line}`: {e}"))?;
    let mut child = command
        .stdout(writer)
        .stderr(writer_too)
        .spawn()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    // `command` keeps this process's copies of the pipe's write end until
    // they are replaced: the reads below end only once every copy is
    // closed, the child's at its exit.
    command.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    let mut passed = 0;
    // Split on newlines as bytes: a test may print bytes that are not
    // UTF-8, which `lines()` would turn into an error here, leaving the
    // command running unwaited.
    for output_line in BufReader::new(reader).split(b'\n') {
        let output_line = output_line.map_err(|e| format!("reading `{line}`: {e}"))?;
        let output_line = String::from_utf8_lossy(&output_line);
        passed += passed_in(&output_line);
        log.push_str(&output_line);
        log.push('\n');
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{line}`: {e}"))?;
    if status.success() {
        Ok(passed)
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// The N of a libtest summary line `test result: ok. N passed; ...`.
fn passed_in(line: &str) -> u64 {
    line.strip_prefix("test result: ")
        .and_then(|rest| rest.split("; ").next())
        .and_then(|first| first.rsplit(". ").next())
        .and_then(|count| count.strip_suffix(" passed"))
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::passed_in;

    #[test]
    fn reads_the_passed_count_of_a_libtest_summary() {
        let summary = "test result: ok. 7 passed; 0 failed; 1 ignored; 0 measured; 3 filtered out";
        assert_eq!(passed_in(summary), 7);
        assert_eq!(passed_in("running 7 tests"), 0);
    }
}
