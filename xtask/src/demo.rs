//! `cargo xtask demo [-p CRATE]...`: every crate's `examples/demo.rs`. Each
//! demo checks its own results and exits non-zero when a check fails.

use crate::workspace::{self, Crate};
use crate::{cmd, Result};

pub fn run(options: &[String]) -> Result {
    let crates = workspace::with(
        workspace::selected(options)?,
        "a demo (examples/demo.rs)",
        Crate::has_demo,
    )?;
    let mut failed = Vec::new();
    for krate in &crates {
        println!("\n=== demo: {}", krate.name);
        if let Err(e) = cmd::run(&mut cmd::cargo(&[
            "run",
            "--quiet",
            "--release",
            "-p",
            &krate.name,
            "--example",
            "demo",
        ])) {
            eprintln!("{e}");
            failed.push(krate.name.as_str());
        }
    }
    println!();
    for krate in &crates {
        let result = if failed.contains(&krate.name.as_str()) {
            "FAILED"
        } else {
            "passed"
        };
        println!("demo {:<24} {result}", krate.name);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("demos failed: {}", failed.join(", ")))
    }
}
