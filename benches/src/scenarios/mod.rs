//! Every scenario, one file per area. Each file's `scenarios(size)` builds
//! its scenarios; nothing is set up (no pool started, no cache warmed)
//! until an implementation first runs, so building them all to run one is
//! cheap.

mod actors;
mod atomics;
mod cache;
mod channels;
mod pools;
mod task_pools;
mod treiber;
mod work_stealing;

use crate::scenario::{Scenario, Size};

/// Every scenario, with batches and inputs of `size`.
#[must_use]
pub fn all(size: Size) -> Vec<Scenario> {
    [
        atomics::scenarios(size),
        treiber::scenarios(size),
        channels::scenarios(size),
        actors::scenarios(size),
        cache::scenarios(size),
        work_stealing::scenarios(size),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_unique_and_each_has_ours_and_a_peer() {
        let scenarios = all(Size::Smoke);
        let mut names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), scenarios.len());
        let ours = |name: &str| {
            [
                "atomics_kit::",
                "treiber::",
                "channels_patterns::",
                "actorlite::",
                "cache_kit::",
            ]
            .iter()
            .any(|krate| name.starts_with(krate))
        };
        for scenario in &scenarios {
            let (mine, peers): (Vec<_>, Vec<_>) = scenario
                .implementations
                .iter()
                .partition(|implementation| ours(&implementation.name));
            assert!(!mine.is_empty() && !peers.is_empty(), "{}", scenario.name);
        }
    }
}
