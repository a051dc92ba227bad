//! `cargo xtask features`: every cargo feature of every crate builds and
//! passes its tests alone, so that a user who takes one part of a crate
//! (`default-features = false, features = ["logger"]`) gets code that
//! compiles and works without the others. Also checks each crate with no
//! features at all. Doctests run in the `doc` step, with the defaults.

use crate::{cmd, workspace, Result};

pub fn run(options: &[String]) -> Result {
    let crates = workspace::with(workspace::selected(options)?, "cargo features", |krate| {
        !krate.features().is_empty()
    })?;
    for krate in &crates {
        let package = ["-p", krate.name.as_str(), "--no-default-features"];
        cmd::run(cmd::cargo(&["check", "--all-targets"]).args(package))?;
        for feature in krate.features() {
            cmd::run(
                cmd::cargo(&["test", "--all-targets"])
                    .args(package)
                    .args(["--features", feature]),
            )?;
        }
    }
    Ok(())
}
