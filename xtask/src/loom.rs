//! `cargo xtask loom [-p CRATE]...`: every crate's `tests/loom.rs` under
//! `--cfg loom`, in release mode, with bounded preemptions.

use crate::workspace::{self, Crate};
use crate::{cmd, Result};

/// Preemptions per execution when `LOOM_MAX_PREEMPTIONS` is not set. Loom
/// models of this size finish in seconds at 2 and may not finish at all
/// unbounded (a two-thread epoch model: 0.3 s vs > 400 s, shared/anchors.md).
const DEFAULT_MAX_PREEMPTIONS: &str = "2";

pub fn run(options: &[String]) -> Result {
    let preemptions = match std::env::var("LOOM_MAX_PREEMPTIONS") {
        Ok(value) if value.parse::<u32>().is_ok() => value,
        Ok(value) => {
            return Err(format!(
                "LOOM_MAX_PREEMPTIONS={value:?} is not a number; loom must stay bounded"
            ))
        }
        Err(_) => DEFAULT_MAX_PREEMPTIONS.to_owned(),
    };
    println!("LOOM_MAX_PREEMPTIONS={preemptions}");
    let crates = workspace::with(
        workspace::selected(options)?,
        "loom models (tests/loom.rs)",
        Crate::has_loom_models,
    )?;
    for krate in &crates {
        let extra = krate.extra_loom_rustflags().unwrap_or_default();
        // One target directory per flag set, so crates with different flags
        // do not rebuild each other's dependencies.
        let target_dir = match extra {
            "" => "target/loom".to_owned(),
            flags => format!("target/loom-{}", slug(flags)),
        };
        cmd::run(
            cmd::cargo(&["test", "--release", "-p", &krate.name, "--test", "loom"])
                .env("RUSTFLAGS", format!("--cfg loom {extra}").trim_end())
                .env("LOOM_MAX_PREEMPTIONS", &preemptions)
                .env("CARGO_TARGET_DIR", target_dir),
        )?;
    }
    Ok(())
}

fn slug(flags: &str) -> String {
    flags
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty() && *word != "cfg")
        .collect::<Vec<_>>()
        .join("-")
}
