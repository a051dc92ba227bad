//! Which scenarios a run keeps: `cargo xtask bench FILTER` hands FILTER to
//! the bench binaries, which keep a scenario whose name contains one of
//! its `|`-separated parts (`'pool_|mpmc'`), or every scenario without one.

/// The parts of a filter; none keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    parts: Vec<String>,
}

impl Filter {
    /// A filter from command-line arguments, each split at `|`.
    pub fn new<'a>(args: impl IntoIterator<Item = &'a str>) -> Filter {
        Filter {
            parts: args
                .into_iter()
                .flat_map(|arg| arg.split('|'))
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Whether the run keeps `scenario`.
    #[must_use]
    pub fn keeps(&self, scenario: &str) -> bool {
        self.parts.is_empty()
            || self
                .parts
                .iter()
                .any(|part| scenario.contains(part.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_names_containing_a_part() {
        let filter = Filter::new(["pool_|mpmc"]);
        assert!(filter.keeps("pool_trivial_jobs"));
        assert!(filter.keeps("mpmc_bounded"));
        assert!(!filter.keeps("actor_tell"));
        assert!(Filter::new([]).keeps("actor_tell"));
    }
}
