//! `cargo xtask test-all [--skip STEP]...`: every check CI runs, in order,
//! with a heading and time per step and a summary table. A failed step does
//! not stop the later ones; the exit status says whether all passed. A step
//! is skipped only when `--skip` names it, and the summary says so.

use std::time::{Duration, Instant};

use crate::{bench, cmd, features, loom, miri, msrv, sanitizers, workspace, Result};

/// A step's name (for `--skip` and the summary) and what it runs.
type Step = (&'static str, fn() -> Result);

const STEPS: [Step; 11] = [
    ("fmt", || {
        cmd::run(&mut cmd::cargo(&["fmt", "--all", "--check"]))
    }),
    ("clippy", || {
        cmd::run(&mut cmd::cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    }),
    ("msrv", || msrv::run(&[])),
    ("test", || {
        cmd::run(&mut cmd::cargo(&["test", "--workspace", "--all-targets"]))
    }),
    ("features", || features::run(&[])),
    ("doc", || {
        cmd::run(&mut cmd::cargo(&["test", "--workspace", "--doc"]))?;
        cmd::run(
            cmd::cargo(&["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
        )?;
        // The maintainers' docs too (private items, every feature): their
        // links went stale unnoticed while only the public docs were checked.
        cmd::run(
            cmd::cargo(&[
                "doc",
                "--workspace",
                "--no-deps",
                "--document-private-items",
                "--all-features",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
        )
    }),
    ("package", package),
    ("loom", || loom::run(&[])),
    ("miri", || miri::run(&[])),
    ("sanitizers", || sanitizers::run(&[])),
    ("bench", || bench::run(&["--smoke".to_owned()])),
];

/// Every library crate packaged as crates.io would get it (license texts
/// and README included) and built from the package. `--allow-dirty`: the
/// check is of what the package holds, so it also runs before a commit.
///
/// Verifying a crate that depends on another of ours takes that one from
/// cargo's temporary local registry, and cargo treats a registry crate of
/// an unchanged version as unchanged: a second run verified cache-kit
/// against the first run's atomics-kit and failed. So the step builds in a
/// target directory of its own, emptied first, and forgets the sources
/// cargo unpacked from that registry before.
fn package() -> Result {
    let crates = workspace::crates()?;
    let target = workspace::root().join("target/package-check");
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    forget_unpacked_packages(&crates)?;
    let mut package = cmd::cargo(&["package", "--allow-dirty"]);
    package.env("CARGO_TARGET_DIR", &target);
    for krate in &crates {
        package.args(["-p", &krate.name]);
    }
    cmd::run(&mut package)
}

/// Removes the copies of our crates that `cargo package` unpacked into
/// `$CARGO_HOME/registry/src/-<hash>` on an earlier run (local registries
/// are the directories whose name starts with `-`; crates.io's are left
/// alone).
fn forget_unpacked_packages(crates: &[workspace::Crate]) -> Result {
    let cargo_home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    let Ok(registries) = std::fs::read_dir(cargo_home.join("registry/src")) else {
        return Ok(()); // nothing unpacked yet
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for unpacked in std::fs::read_dir(registry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = unpacked.file_name().to_string_lossy().into_owned();
            if crates
                .iter()
                .any(|krate| name.starts_with(&format!("{}-", krate.name)))
            {
                std::fs::remove_dir_all(unpacked.path())
                    .map_err(|e| format!("{}: {e}", unpacked.path().display()))?;
            }
        }
    }
    Ok(())
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped,
}

pub fn run(options: &[String]) -> Result {
    let skipped = parse_skips(options)?;
    let mut outcomes = Vec::new();
    let total_started = Instant::now();
    for (index, (name, step)) in STEPS.iter().enumerate() {
        let heading = format!("[{}/{}] {name}", index + 1, STEPS.len());
        if skipped.contains(name) {
            println!("\n=== {heading}: SKIPPED (--skip {name})");
            outcomes.push((name, Outcome::Skipped, Duration::ZERO));
            continue;
        }
        println!("\n=== {heading}");
        let started = Instant::now();
        let outcome = match step() {
            Ok(()) => Outcome::Passed,
            Err(message) => {
                eprintln!("{message}");
                Outcome::Failed(message)
            }
        };
        let elapsed = started.elapsed();
        println!("=== {heading}: {} in {}", label(&outcome), minutes(elapsed));
        outcomes.push((name, outcome, elapsed));
    }

    println!("\n| step       | result  | time    |\n|------------|---------|---------|");
    for (name, outcome, elapsed) in &outcomes {
        println!(
            "| {name:<10} | {:<7} | {:>7} |",
            label(outcome),
            minutes(*elapsed)
        );
    }
    println!("total {}", minutes(total_started.elapsed()));

    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|(name, outcome, _)| match outcome {
            Outcome::Failed(message) => Some(format!("{name}: {message}")),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} step(s) failed:\n{}",
            failed.len(),
            failed.join("\n")
        ))
    }
}

fn parse_skips(options: &[String]) -> Result<Vec<&'static str>> {
    let mut skipped = Vec::new();
    let mut options = options.iter();
    while let Some(option) = options.next() {
        if option != "--skip" {
            return Err(format!("unexpected option `{option}` (only --skip STEP)"));
        }
        let step = options.next().ok_or("--skip needs a step name")?;
        let known = STEPS
            .iter()
            .map(|(name, _)| *name)
            .find(|name| name == step)
            .ok_or_else(|| {
                let names: Vec<_> = STEPS.iter().map(|(name, _)| *name).collect();
                format!("no step `{step}` (steps: {})", names.join(", "))
            })?;
        skipped.push(known);
    }
    Ok(skipped)
}

fn label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed(_) => "FAILED",
        Outcome::Skipped => "skipped",
    }
}

fn minutes(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    format!("{}m{:02}s", seconds / 60, seconds % 60)
}
