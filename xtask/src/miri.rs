//! `cargo xtask miri [-p CRATE]...`: every crate's unit and integration tests
//! under miri, with crossbeam's flags. Leak checking stays on (no
//! `-Zmiri-ignore-leaks`), except where a crate's manifest says why not
//! (`miri-flags`).
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
    let crates = workspace::with(workspace::selected(options)?, "tests for miri", |_| true)?;
    let mut times = Vec::new();
    for krate in &crates {
        let started = Instant::now();
        run_crate(krate, &seeds)?;
        times.push((krate.name.as_str(), started.elapsed()));
    }
    for (name, elapsed) in times {
        println!("miri {name}: {}s", elapsed.as_secs());
    }
    Ok(())
}

/// One crate's miri runs, as the module docs describe.
fn run_crate(krate: &workspace::Crate, seeds: &str) -> Result {
    let flags = format!(
        "{} {WEAK_CAS_FAILURES}",
        krate.miri_flags().unwrap_or(FLAGS)
    );
    let mut test = vec!["miri", "test", "-p", &krate.name, "--lib", "--tests"];
    if let Some(features) = krate.miri_features() {
        println!(
            "{}: miri builds it with features `{features}` only",
            krate.name
        );
        test.extend(["--no-default-features", "--features", features]);
    }
    if krate.forbids_unsafe() {
        println!(
            "{}: forbids unsafe code: once, stacked borrows, no seeds",
            krate.name
        );
        return cmd::run(cmd::nightly_cargo(&test).env("MIRIFLAGS", flags));
    }
    let tree_only = krate.miri_tree_borrows_only();
    if tree_only {
        println!(
            "{}: tree borrows only (its manifest's `miri-borrows`; see the comment there)",
            krate.name
        );
    }
    let mut once = test.clone();
    if tree_only {
        // Its concurrent tests run under the seeds below, with this same
        // model and seed 0 among them: once more here would only repeat
        // seed 0 (about 30 s of cache-kit's step).
        once.extend(["--", "--skip", CONCURRENT_TESTS]);
    }
    cmd::run(cmd::nightly_cargo(&once).env("MIRIFLAGS", format!("{flags} -Zmiri-tree-borrows")))?;
    let seeds_model = if tree_only {
        " -Zmiri-tree-borrows"
    } else {
        ""
    };
    let mut seeded = test.clone();
    if let Some(targets) = krate.miri_seeded_tests() {
        println!(
            "{}: seeds for the concurrent tests of {} only (its manifest's `miri-seeded-tests`)",
            krate.name,
            targets.join(", ")
        );
        seeded.retain(|arg| !matches!(*arg, "--lib" | "--tests"));
        seeded.extend(targets.iter().flat_map(|&target| match target {
            "lib" => vec!["--lib"],
            test => vec!["--test", test],
        }));
    }
    let passed = cmd::run_tests(cmd::nightly_cargo(&seeded).arg(CONCURRENT_TESTS).env(
        "MIRIFLAGS",
        format!("{flags}{seeds_model} -Zmiri-many-seeds={seeds}"),
    ))?;
    if passed == 0 {
        return Err(format!(
            "{}: no test whose name contains `{CONCURRENT_TESTS}` ran over seeds {seeds}",
            krate.name
        ));
    }
    Ok(())
}
