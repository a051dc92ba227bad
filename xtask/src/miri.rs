//! `cargo xtask miri [-p CRATE]...`: every crate's unit and integration tests
//! under miri, with crossbeam's flags. Leak checking stays on (no
//! `-Zmiri-ignore-leaks`), except where a crate's manifest says why not
//! (`miri-flags`). Crates run side by side, one per core (`MIRI_JOBS`
//! overrides; see `lanes`), each one's output printed whole when it ends.
//!
//! Miri's time goes where undefined behaviour can be:
//!
//! - A crate with `unsafe` code runs its whole suite once under tree
//!   borrows, then its tests named `concurrent*` (the ones that race the
//!   unsafe paths) over many scheduler seeds under stacked borrows, the
//!   stricter model; a use-after-free in a lock-free structure shows only
//!   with enough work per thread and several seeds. A crate whose
//!   dependencies break stacked borrows' rules says `miri-borrows =
//!   "tree"` (its seeds then run under tree borrows too, so its first
//!   pass skips the `concurrent*` tests the seeds cover); one whose unsafe
//!   code sits behind some of its features says `miri-features = "..."`;
//!   one whose unsafe code only some test targets race names them in
//!   `miri-seeded-tests = "..."` (`lib` for its unit tests), and only their
//!   concurrent tests get seeds: every other test binary costs a start per
//!   seed even with no test to run (treiber's four such took 25 s).
//! - A crate that says `#![forbid(unsafe_code)]` can only meet UB inside
//!   its dependencies, which their own CI checks: its tests run once, under
//!   stacked borrows, and its orderings are left to loom and ThreadSanitizer,
//!   which check them better than more miri seeds would.

use std::sync::Mutex;
use std::time::Instant;

use crate::toolchain::ensure_nightly;
use crate::{cmd, workspace, Result};

/// crossbeam's miri flags; a crate's `[package.metadata.xtask] miri-flags`
/// replaces them.
const FLAGS: &str = "-Zmiri-strict-provenance -Zmiri-symbolic-alignment-check";

/// Added to every crate's flags: one `compare_exchange_weak` in five fails
/// spuriously, where miri's default is four in five. Every retry loop still
/// meets spurious failures in every test, but an operation no longer takes
/// its contended path (backoff, the elimination wait) nearly every time:
/// with the default, a single-threaded push/pop pair of treiber took 22 ms
/// under miri, most of it in those contended paths; at this rate 5 times less
/// (400 pairs: 11.0 s, now 2.2 s; 2.0 s with no spurious failure at all).
const WEAK_CAS_FAILURES: &str = "-Zmiri-compare-exchange-weak-failure-rate=0.2";

/// Seeds for the concurrent tests (`MIRI_SEEDS` overrides, as `0..32`).
/// A use-after-free in a Treiber stack hid from miri at 3 operations per
/// thread and showed with 50 over 16 seeds (shared/anchors.md); our tests
/// run 60 per thread. Two broken reclamations of treiber (a scan that
/// ignores the hazards; dropping the scan's SeqCst fence) are both caught
/// within seeds 0..4, through treiber's miri-only canary byte (nodes are
/// type-stable, so without it an early reuse is a rare ABA, not a
/// use-after-free: see `crates/treiber/src/node.rs`). 8 seeds leave a margin.
/// (They were cut to 6 when CI on a fresh 2-core machine reached 29 of its
/// 30 minutes; with miri's spurious weak-CAS failures made rarer, see
/// `WEAK_CAS_FAILURES`, the whole CI took 21.5 minutes with 6.)
const DEFAULT_SEEDS: &str = "0..8";

/// Name prefix of the tests that run over many seeds. Every crate with
/// unsafe code must have at least one, so that this step can never pass by
/// running none.
const CONCURRENT_TESTS: &str = "concurrent";

pub fn run(options: &[String]) -> Result {
    ensure_nightly(&["miri", "rust-src"])?;
    cmd::run(&mut cmd::nightly_cargo(&["miri", "setup"]))?;
    let seeds = std::env::var("MIRI_SEEDS").unwrap_or_else(|_| DEFAULT_SEEDS.to_owned());
    let mut crates = workspace::with(workspace::selected(options)?, "tests for miri", |_| true)?;
    // The one-pass crates last, so that the lanes end close together.
    crates.sort_by_key(workspace::Crate::forbids_unsafe);
    let lanes = lanes(crates.len())?;
    println!(
        "miri: {} crates on {lanes} lanes; each crate's output is printed when it ends",
        crates.len()
    );
    let next = Mutex::new(crates.iter());
    let finished = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..lanes {
            scope.spawn(|| loop {
                let Some(krate) = next.lock().unwrap().next() else {
                    return;
                };
                println!("miri {}: started", krate.name);
                let started = Instant::now();
                let mut log = String::new();
                let outcome = run_crate(krate, &seeds, &mut log);
                let elapsed = started.elapsed();
                // One write (`println!` holds stdout's lock for the whole of it):
                // the other lane's crate may end meanwhile.
                println!(
                    "{log}miri {}: {} in {}s",
                    krate.name,
                    verdict(&outcome),
                    elapsed.as_secs()
                );
                finished
                    .lock()
                    .unwrap()
                    .push((krate.name.as_str(), elapsed, outcome));
            });
        }
    });
    let finished = finished.into_inner().unwrap();
    for (name, elapsed, outcome) in &finished {
        println!(
            "miri {name}: {} in {}s",
            verdict(outcome),
            elapsed.as_secs()
        );
    }
    let failures: Vec<&str> = finished
        .iter()
        .filter_map(|(_, _, outcome)| outcome.as_ref().err().map(String::as_str))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// A crate's outcome, as its summary line says it.
fn verdict(outcome: &Result) -> &'static str {
    if outcome.is_ok() {
        "passed"
    } else {
        "FAILED"
    }
}

/// How many crates run at once (`MIRI_JOBS` overrides): as many as the
/// cores, at most one per crate. Miri interprets a test binary on one core
/// (only `-Zmiri-many-seeds` runs its seeds in parallel), and cargo holds
/// its build lock while it builds, not while the tests run: crates side by
/// side use the cores a single pass leaves idle.
fn lanes(crates: usize) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    lanes_for(std::env::var("MIRI_JOBS").ok().as_deref(), cores, crates)
}

/// [`lanes`] with its inputs given: `MIRI_JOBS`, the cores, the crates.
fn lanes_for(jobs: Option<&str>, cores: usize, crates: usize) -> Result<usize> {
    let lanes = match jobs {
        Some(jobs) => jobs
            .parse::<usize>()
            .ok()
            .filter(|&jobs| jobs > 0)
            .ok_or_else(|| format!("MIRI_JOBS={jobs:?}: expected a positive number"))?,
        None => cores,
    };
    Ok(lanes.min(crates).max(1))
}

/// One crate's miri runs, as the module docs describe; its commands'
/// output goes into `log`.
fn run_crate(krate: &workspace::Crate, seeds: &str, log: &mut String) -> Result {
    let flags = format!(
        "{} {WEAK_CAS_FAILURES}",
        krate.miri_flags().unwrap_or(FLAGS)
    );
    let mut test = vec!["miri", "test", "-p", &krate.name, "--lib", "--tests"];
    if let Some(features) = krate.miri_features() {
        log.push_str(&format!(
            "{}: miri builds it with features `{features}` only\n",
            krate.name
        ));
        test.extend(["--no-default-features", "--features", features]);
    }
    if krate.forbids_unsafe() {
        log.push_str(&format!(
            "{}: forbids unsafe code: once, stacked borrows, no seeds\n",
            krate.name
        ));
        return cmd::run_logged(cmd::nightly_cargo(&test).env("MIRIFLAGS", flags), log).map(drop);
    }
    let tree_only = krate.miri_tree_borrows_only();
    if tree_only {
        log.push_str(&format!(
            "{}: tree borrows only (its manifest's `miri-borrows`; see the comment there)\n",
            krate.name
        ));
    }
    let mut once = test.clone();
    if tree_only {
        // Its concurrent tests run under the seeds below, with this same
        // model and seed 0 among them: once more here would only repeat
        // seed 0 (about 30 s of cache-kit's step).
        once.extend(["--", "--skip", CONCURRENT_TESTS]);
    }
    cmd::run_logged(
        cmd::nightly_cargo(&once).env("MIRIFLAGS", format!("{flags} -Zmiri-tree-borrows")),
        log,
    )?;
    let seeds_model = if tree_only {
        " -Zmiri-tree-borrows"
    } else {
        ""
    };
    let mut seeded = test.clone();
    if let Some(targets) = krate.miri_seeded_tests() {
        log.push_str(&format!(
            "{}: seeds for the concurrent tests of {} only (its manifest's `miri-seeded-tests`)\n",
            krate.name,
            targets.join(", ")
        ));
        seeded.retain(|arg| !matches!(*arg, "--lib" | "--tests"));
        seeded.extend(targets.iter().flat_map(|&target| match target {
            "lib" => vec!["--lib"],
            test => vec!["--test", test],
        }));
    }
    let passed = cmd::run_logged(
        cmd::nightly_cargo(&seeded).arg(CONCURRENT_TESTS).env(
            "MIRIFLAGS",
            format!("{flags}{seeds_model} -Zmiri-many-seeds={seeds}"),
        ),
        log,
    )?;
    if passed == 0 {
        return Err(format!(
            "{}: no test whose name contains `{CONCURRENT_TESTS}` ran over seeds {seeds}",
            krate.name
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::lanes_for;

    #[test]
    fn a_lane_per_core_at_most_one_per_crate_unless_miri_jobs_says() {
        assert_eq!(lanes_for(None, 2, 5), Ok(2));
        assert_eq!(lanes_for(None, 16, 5), Ok(5));
        assert_eq!(lanes_for(None, 16, 0), Ok(1));
        assert_eq!(lanes_for(Some("1"), 16, 5), Ok(1));
        assert_eq!(lanes_for(Some("3"), 2, 5), Ok(3));
        assert!(lanes_for(Some("0"), 2, 5).is_err());
        assert!(lanes_for(Some("two"), 2, 5).is_err());
    }
}
