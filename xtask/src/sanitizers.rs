//! `cargo xtask sanitizers [-p CRATE]...`: every crate's `tests/stress.rs`
//! under AddressSanitizer (use-after-free, leaks: what loom cannot see) and
//! ThreadSanitizer (data races), on nightly with a sanitized std.
//! ThreadSanitizer reads `xtask/tsan-suppressions.txt`, where each
//! suppression says why the race it hides is benign. The tests are built
//! with `--cfg fearless_sanitizer`, so a test whose work is slow under a
//! sanitizer (unwinding, mostly) can do less of it there, as under miri.

use crate::toolchain::{ensure_nightly, host_triple};
use crate::workspace::{self, Crate};
use crate::{cmd, Result};

/// (name, `-Zsanitizer=` value).
const SANITIZERS: [(&str, &str); 2] = [
    ("AddressSanitizer", "address"),
    ("ThreadSanitizer", "thread"),
];

pub fn run(options: &[String]) -> Result {
    ensure_nightly(&["rust-src"])?;
    let target = host_triple()?;
    let crates = workspace::with(
        workspace::selected(options)?,
        "stress tests (tests/stress.rs)",
        Crate::has_stress_tests,
    )?;
    let suppressions = workspace::root().join("xtask/tsan-suppressions.txt");
    if !suppressions.is_file() {
        return Err(format!("{} is missing", suppressions.display()));
    }
    // One cargo call per sanitizer for all the crates: it builds them in
    // parallel and unifies their dependencies' features once (a call per
    // crate rebuilt shared dependencies and left a core idle).
    let packages = crates.iter().flat_map(|krate| ["-p", krate.name.as_str()]);
    for (name, sanitizer) in SANITIZERS {
        println!("--- {name}");
        let flags = format!("-Zsanitizer={sanitizer} --cfg fearless_sanitizer");
        cmd::run(
            cmd::nightly_cargo(&["test", "-Zbuild-std", "--target", &target, "--release"])
                .args(packages.clone())
                .args(["--test", "stress", "--no-fail-fast"])
                .env("RUSTFLAGS", &flags)
                .env("RUSTDOCFLAGS", &flags)
                .env(
                    "TSAN_OPTIONS",
                    format!("suppressions={}", suppressions.display()),
                )
                // One directory per sanitizer: each rebuilds std with it.
                .env("CARGO_TARGET_DIR", format!("target/{sanitizer}-sanitizer")),
        )?;
    }
    Ok(())
}
