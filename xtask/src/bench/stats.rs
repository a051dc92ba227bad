//! The statistics of a paired run: medians, the spread of per-round
//! values, and the per-round pairs of two implementations' values.

use super::data::ScenarioRun;

/// A sample's median and its spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    /// The 10th percentile (nearest rank: with 9 values, the second
    /// lowest).
    pub p10: f64,
    /// The 90th percentile (nearest rank: with 9 values, the second
    /// highest).
    pub p90: f64,
}

/// The median (the mean of the middle two for an even count) and the 10th
/// and 90th percentiles of `values`; `None` if there are none.
pub fn summarize(values: impl IntoIterator<Item = f64>) -> Option<Summary> {
    let mut sorted: Vec<f64> = values.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    };
    let nearest_rank = |fraction: f64| {
        // Below len: the cast rounds an index into the sorted values.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
        sorted[index]
    };
    Some(Summary {
        median,
        p10: nearest_rank(0.1),
        p90: nearest_rank(0.9),
    })
}

/// Every value of `implementation` at `threads` in `run`: one per round of
/// a paired run, a single one otherwise.
pub fn values<'a>(
    run: &'a ScenarioRun,
    implementation: &'a str,
    threads: usize,
) -> impl Iterator<Item = f64> + 'a {
    run.measurements
        .iter()
        .filter(move |m| m.implementation == implementation && m.threads == threads)
        .map(|m| m.value)
}

/// `implementation`'s median at `threads`, if it ran.
pub fn median(run: &ScenarioRun, implementation: &str, threads: usize) -> Option<f64> {
    summarize(values(run, implementation, threads)).map(|summary| summary.median)
}

/// The values `(ours, peer)` at `threads`, one pair per round in which
/// both ran: both were measured in the same round, seconds apart.
pub fn round_pairs(run: &ScenarioRun, ours: &str, peer: &str, threads: usize) -> Vec<(f64, f64)> {
    let in_round = |implementation: &str, round: usize| {
        run.measurements.iter().find(|m| {
            m.implementation == implementation
                && m.threads == threads
                && m.turn.is_some_and(|turn| turn.round == round)
        })
    };
    run.measurements
        .iter()
        .filter(|m| m.implementation == ours && m.threads == threads)
        .filter_map(|m| {
            let round = m.turn?.round;
            Some((m.value, in_round(peer, round)?.value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_nearest_rank_percentiles() {
        let odd = summarize([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0]).unwrap();
        assert_eq!(
            odd,
            Summary {
                median: 5.0,
                p10: 2.0,
                p90: 8.0
            }
        );
        assert_eq!(summarize([1.0, 2.0]).unwrap().median, 1.5);
        assert_eq!(summarize([4.0]).unwrap().p10, 4.0);
        assert!(summarize([]).is_none());
    }

    #[test]
    fn pairs_are_the_values_of_one_round() {
        let run = crate::bench::data::tests::paired(&[(2.0, 1.0), (3.0, 6.0)]);
        assert_eq!(
            round_pairs(&run, "x_kit::Ours", "peer", 1),
            vec![(2.0, 1.0), (3.0, 6.0)]
        );
        assert!(round_pairs(&run, "x_kit::Ours", "peer", 2).is_empty());
    }
}
