//! The toolchains and components the checks need beyond the pinned stable
//! one (nightly with miri and rust-src for miri and the sanitizers; the
//! MSRV toolchain), installed with rustup when missing.

use std::process::Command;

use crate::cmd;
use crate::Result;

/// Makes sure the nightly toolchain has `components`, installing what is
/// missing. Fails loudly if rustup cannot.
pub fn ensure_nightly(components: &[&str]) -> Result {
    ensure_toolchain("nightly", components)
}

/// Makes sure `toolchain` is installed with `components`, installing what
/// is missing. Fails loudly if rustup cannot.
pub fn ensure_toolchain(toolchain: &str, components: &[&str]) -> Result {
    let installed = installed_components(toolchain);
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| {
            !installed
                .as_ref()
                .is_some_and(|list| has_component(list, c))
        })
        .collect();
    let mut install = Command::new("rustup");
    if installed.is_none() {
        println!("installing toolchain {toolchain}");
        install.args(["toolchain", "install", toolchain, "--profile", "minimal"]);
        if !missing.is_empty() {
            install.arg("--component").arg(missing.join(","));
        }
    } else if missing.is_empty() {
        return Ok(());
    } else {
        println!("installing {toolchain} components: {}", missing.join(", "));
        install.args(["component", "add", "--toolchain", toolchain]);
        install.args(&missing);
    }
    cmd::run(&mut install).map_err(|e| {
        format!("{e}\nthe checks need toolchain {toolchain} with {components:?}; install it with rustup and rerun")
    })
}

/// `rustup component list --installed` for `toolchain`, or `None` if the
/// toolchain itself is not installed.
fn installed_components(toolchain: &str) -> Option<String> {
    let output = Command::new("rustup")
        .args(["component", "list", "--installed", "--toolchain", toolchain])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether a `rustup component list` output names `component` (listed with
/// a target suffix, as `miri-x86_64-unknown-linux-gnu`, or bare, as `rust-src`).
fn has_component(list: &str, component: &str) -> bool {
    list.lines().any(|line| {
        line == component
            || line
                .strip_prefix(component)
                .is_some_and(|rest| rest.starts_with('-') && !rest[1..].starts_with("preview"))
    })
}

/// The host target triple, from `rustc -vV`.
pub fn host_triple() -> Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("rustc -vV: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV printed no host triple".to_owned())
}

#[cfg(test)]
mod tests {
    use super::has_component;

    #[test]
    fn finds_components_with_and_without_a_target_suffix() {
        let list = "cargo-x86_64-unknown-linux-gnu\nmiri-x86_64-unknown-linux-gnu\nrust-src\n";
        assert!(has_component(list, "miri"));
        assert!(has_component(list, "rust-src"));
        assert!(!has_component(list, "clippy"));
        assert!(!has_component(
            "miri-preview-x86_64-unknown-linux-gnu",
            "miri"
        ));
    }
}
