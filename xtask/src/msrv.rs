//! `cargo xtask msrv`: the libraries build with the oldest Rust they claim.
//!
//! The workspace's `rust-version` is the promise; clippy's
//! `incompatible_msrv` lint (in the clippy step) catches newer std APIs,
//! and this check catches the rest (language features, dependencies whose
//! own MSRV moved) by building every library crate with that toolchain,
//! installed with rustup when missing.

use crate::toolchain::ensure_toolchain;
use crate::{cmd, workspace, Result};

pub fn run(options: &[String]) -> Result {
    let crates = workspace::selected(options)?;
    let toolchain = toolchain_for(&workspace::rust_version()?);
    ensure_toolchain(&toolchain, &[])?;
    let mut check = cmd::cargo(&[&format!("+{toolchain}"), "check", "--lib"]);
    for krate in &crates {
        check.args(["-p", &krate.name]);
    }
    cmd::run(&mut check)
}

/// The rustup toolchain for a `rust-version`: "1.84" means 1.84.0, the
/// oldest release it admits (rustup's "1.84" would be the newest patch).
fn toolchain_for(rust_version: &str) -> String {
    match rust_version.split('.').count() {
        2 => format!("{rust_version}.0"),
        _ => rust_version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::toolchain_for;

    #[test]
    fn a_two_part_rust_version_means_its_first_release() {
        assert_eq!(toolchain_for("1.84"), "1.84.0");
        assert_eq!(toolchain_for("1.84.1"), "1.84.1");
    }
}
