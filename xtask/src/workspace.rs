//! The workspace's library crates and what each one has to run.
//!
//! Discovery is by convention, so a new crate needs no change here:
//! `tests/loom.rs` → `cargo xtask loom`, `tests/stress.rs` → `cargo xtask
//! sanitizers`, `examples/demo.rs` → `cargo xtask demo`; every crate runs
//! under `cargo xtask miri`. Extra loom flags come from the crate's
//! `[package.metadata.xtask] loom-rustflags = "..."`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

/// The workspace root (xtask lives one level below it).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
}

/// One library crate under `crates/`.
#[derive(Debug)]
pub struct Crate {
    pub name: String,
    dir: PathBuf,
    manifest: String,
}

impl Crate {
    pub fn has_loom_models(&self) -> bool {
        self.dir.join("tests/loom.rs").is_file()
    }

    pub fn has_stress_tests(&self) -> bool {
        self.dir.join("tests/stress.rs").is_file()
    }

    pub fn has_demo(&self) -> bool {
        self.dir.join("examples/demo.rs").is_file()
    }

    /// RUSTFLAGS beyond `--cfg loom` that the crate's loom models need,
    /// e.g. `--cfg crossbeam_loom` for models that go through crossbeam-epoch.
    pub fn extra_loom_rustflags(&self) -> Option<&str> {
        self.xtask_metadata("loom-rustflags")
    }

    /// MIRIFLAGS that replace the default ones for this crate, e.g.
    /// permissive provenance for a crate whose dependencies cast integers
    /// to pointers (crossbeam-epoch does).
    pub fn miri_flags(&self) -> Option<&str> {
        self.xtask_metadata("miri-flags")
    }

    /// Whether miri checks the crate under tree borrows only (its metadata
    /// says `miri-borrows = "tree"`): crossbeam-epoch, under
    /// crossbeam-deque, breaks Stacked Borrows' rules in ways Tree Borrows
    /// accepts; crossbeam's own CI runs tree borrows only.
    pub fn miri_tree_borrows_only(&self) -> bool {
        self.xtask_metadata("miri-borrows") == Some("tree")
    }

    /// The cargo features miri builds the crate with, replacing its
    /// defaults, when only some parts hold unsafe code (`miri-features`).
    pub fn miri_features(&self) -> Option<&str> {
        self.xtask_metadata("miri-features")
    }

    /// The test targets (space-separated) whose `concurrent*` tests race the
    /// crate's unsafe code and run over many miri seeds
    /// (`miri-seeded-tests`); without it, every target's do.
    pub fn miri_seeded_tests(&self) -> Option<Vec<&str>> {
        self.xtask_metadata("miri-seeded-tests")
            .map(|targets| targets.split_whitespace().collect())
    }

    /// Whether the crate's `src/lib.rs` says `#![forbid(unsafe_code)]`: then
    /// only its dependencies' unsafe code can misbehave under miri.
    pub fn forbids_unsafe(&self) -> bool {
        fs::read_to_string(self.dir.join("src/lib.rs"))
            .is_ok_and(|lib| lib.lines().any(|l| l.trim() == "#![forbid(unsafe_code)]"))
    }

    /// The crate's cargo features other than `default`, in manifest order.
    pub fn features(&self) -> Vec<&str> {
        section_lines(&self.manifest, "[features]")
            .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
            .filter(|name| !name.is_empty() && !name.starts_with('#') && *name != "default")
            .collect()
    }

    /// A string value of the crate's `[package.metadata.xtask]` table.
    fn xtask_metadata(&self, key: &str) -> Option<&str> {
        section_lines(&self.manifest, "[package.metadata.xtask]").find_map(|line| {
            let value = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            Some(value.trim().trim_matches('"'))
        })
    }
}

/// The trimmed lines of a manifest's `section` (given with its brackets),
/// up to the next section.
fn section_lines<'a>(manifest: &'a str, section: &'a str) -> impl Iterator<Item = &'a str> {
    manifest
        .lines()
        .map(str::trim)
        .skip_while(move |line| *line != section)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
}

/// The workspace's `rust-version` (the libraries' MSRV), from the root
/// manifest's `[workspace.package]`.
pub fn rust_version() -> Result<String> {
    let path = root().join("Cargo.toml");
    let manifest = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let version = section_lines(&manifest, "[workspace.package]")
        .find_map(|line| line.strip_prefix("rust-version"))
        .and_then(|rest| rest.trim_start().strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').to_owned());
    version.ok_or_else(|| format!("{}: no rust-version in [workspace.package]", path.display()))
}

/// Every crate under `crates/`, by name.
pub fn crates() -> Result<Vec<Crate>> {
    let crates_dir = root().join("crates");
    let entries =
        fs::read_dir(&crates_dir).map_err(|e| format!("{}: {e}", crates_dir.display()))?;
    let mut crates = Vec::new();
    for entry in entries {
        let dir = entry.map_err(|e| e.to_string())?.path();
        let manifest_path = dir.join("Cargo.toml");
        let Ok(manifest) = fs::read_to_string(&manifest_path) else {
            continue;
        };
        let name = manifest
            .lines()
            .find_map(|line| line.trim().strip_prefix("name = "))
            .map(|name| name.trim_matches('"').to_owned())
            .ok_or_else(|| format!("{}: no package name", manifest_path.display()))?;
        crates.push(Crate {
            name,
            dir,
            manifest,
        });
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(crates)
}

/// The crates named by `-p NAME` options (every crate when there are none).
/// Any other option is an error.
pub fn selected(options: &[String]) -> Result<Vec<Crate>> {
    let mut names = Vec::new();
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "-p" | "--package" => names.push(
                options
                    .next()
                    .ok_or_else(|| format!("{option} needs a crate name"))?
                    .clone(),
            ),
            other => return Err(format!("unexpected option `{other}`")),
        }
    }
    let all = crates()?;
    if let Some(unknown) = names.iter().find(|n| all.iter().all(|c| &c.name != *n)) {
        let known: Vec<_> = all.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "no crate `{unknown}` under crates/ (there are: {})",
            known.join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|c| names.is_empty() || names.contains(&c.name))
        .collect())
}

/// Keeps the crates `has` accepts; an empty result is an error, so a task
/// never passes by running nothing.
pub fn with(crates: Vec<Crate>, what: &str, has: fn(&Crate) -> bool) -> Result<Vec<Crate>> {
    let kept: Vec<Crate> = crates.into_iter().filter(has).collect();
    if kept.is_empty() {
        return Err(format!("no selected crate has {what}"));
    }
    let names: Vec<_> = kept.iter().map(|c| c.name.as_str()).collect();
    println!("crates with {what}: {}", names.join(", "));
    Ok(kept)
}
