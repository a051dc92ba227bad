//! The measurements that are not throughput: `benches/examples/metrics.rs`
//! prints one `METRIC` line per value (scenario, unit, higher|lower,
//! implementation, threads, value; tab-separated), read here. Each is one
//! measurement, not paired rounds.

use super::example::Example;
use super::{Measurement, Unit};
use crate::Result;

/// Runs the metrics example (a thousandth as long with `smoke`), for the
/// scenarios `filter` keeps, and returns what it measured.
pub fn run(smoke: bool, filter: Option<&str>) -> Result<Vec<Measurement>> {
    let example = Example {
        name: "metrics",
        args: smoke
            .then_some("--smoke")
            .into_iter()
            .chain(filter)
            .map(str::to_owned)
            .collect(),
        threads: None,
    };
    example
        .tagged_lines("METRIC")?
        .iter()
        .map(|line| parse(line))
        .collect()
}

fn parse(line: &str) -> Result<Measurement> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [scenario, unit, better, implementation, threads, value] = fields[..] else {
        return Err(format!("metrics: unexpected line {line:?}"));
    };
    Ok(Measurement {
        scenario: scenario.to_owned(),
        implementation: implementation.to_owned(),
        threads: threads
            .parse()
            .map_err(|_| format!("metrics: bad thread count in {line:?}"))?,
        turn: None,
        value: value
            .parse()
            .map_err(|_| format!("metrics: bad value in {line:?}"))?,
        unit: Unit {
            name: unit.to_owned(),
            higher_is_better: match better {
                "higher" => true,
                "lower" => false,
                _ => return Err(format!("metrics: `higher` or `lower`, not {better:?}")),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_metric_line() {
        let measured = parse("hit_ratio\thit ratio %\thigher\tours::Cache\t1\t64.5").unwrap();
        assert_eq!(measured.scenario, "hit_ratio");
        assert_eq!(measured.value, 64.5);
        assert!(measured.unit.higher_is_better);
        assert!(parse("hit_ratio\t%\tsideways\tx\t1\t1").is_err());
    }
}
