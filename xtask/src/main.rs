//! `cargo xtask`: the project's task runner. One file per task; no
//! dependencies, so it builds in seconds on a fresh machine.

// A binary: its `pub` items are crate-internal by nature.
#![allow(unreachable_pub)]

mod bench;
mod cmd;
mod demo;
mod features;
mod loom;
mod miri;
mod msrv;
mod sanitizers;
mod test_all;
mod toolchain;
mod workspace;

use std::process::ExitCode;

/// What every task returns: `Err` carries the message printed before exiting
/// non-zero.
type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test-all [--skip STEP]...   fmt, clippy, msrv, test, features, doc, package, loom,
                              miri, sanitizers, bench (smoke), in that order, with
                              a summary table of each step's time
  msrv [-p CRATE]...          the libraries build with the workspace's rust-version
  features [-p CRATE]...      each cargo feature of a crate builds and tests alone
  loom [-p CRATE]...          loom models (tests/loom.rs), release, --cfg loom,
                              LOOM_MAX_PREEMPTIONS (default 2)
  miri [-p CRATE]...          unit and integration tests under miri; crates with
                              unsafe code: stacked and tree borrows, then their
                              `concurrent` tests over many seeds
  sanitizers [-p CRATE]...    tests/stress.rs under AddressSanitizer and ThreadSanitizer
  bench [--rounds N | --quick | --smoke] [--threads 1,2,4] [FILTER]
                              every scenario in paired rounds (ours and the peers
                              alternating); writes docs/benchmarks.md and
                              docs/bench/ (not with --smoke)
  bench --report              rebuilds docs/benchmarks.md from the records
  bench --import DIR          records a run made by benches/run-standalone.sh
  demo [-p CRATE]...          every crate's examples/demo.rs; fails if a check fails";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, options)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let result = match task.as_str() {
        "test-all" => test_all::run(options),
        "loom" => loom::run(options),
        "msrv" => msrv::run(options),
        "features" => features::run(options),
        "miri" => miri::run(options),
        "sanitizers" => sanitizers::run(options),
        "bench" => bench::run(options),
        "demo" => demo::run(options),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: error: {message}");
            ExitCode::FAILURE
        }
    }
}
