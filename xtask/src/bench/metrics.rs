//! The measurements that are not throughput: `benches/examples/metrics.rs`
//! prints one `METRIC` line per value (scenario, unit, higher|lower,
//! implementation, threads, then for a paired turn its round and position,
//! then the value; tab-separated), read here. The latency and keep-up
//! scenarios come in paired rounds; a hit ratio is one measurement.

use super::example::Example;
use super::{Measurement, Turn, Unit};
use crate::Result;

/// Runs the metrics example (a thousandth as long with `smoke`), for the
/// scenarios `filter` keeps, with `rounds` paired rounds (its default if
/// `None`), and returns what it measured.
pub fn run(smoke: bool, rounds: Option<usize>, filter: Option<&str>) -> Result<Vec<Measurement>> {
    let mut args = Vec::new();
    if smoke {
        args.push("--smoke".to_owned());
    }
    if let Some(rounds) = rounds {
        args.extend(["--rounds".to_owned(), rounds.to_string()]);
    }
    args.extend(filter.map(str::to_owned));
    let example = Example {
        name: "metrics",
        args,
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
    let count = |field: &str| {
        field
            .parse::<usize>()
            .map_err(|_| format!("metrics: {field:?} is not a count in {line:?}"))
    };
    let (scenario, unit, better, implementation, threads, turn, value) = match fields[..] {
        [scenario, unit, better, implementation, threads, value] => {
            (scenario, unit, better, implementation, threads, None, value)
        }
        [scenario, unit, better, implementation, threads, round, position, value] => {
            let turn = Turn {
                round: count(round)?,
                position: count(position)?,
            };
            (
                scenario,
                unit,
                better,
                implementation,
                threads,
                Some(turn),
                value,
            )
        }
        _ => return Err(format!("metrics: unexpected line {line:?}")),
    };
    Ok(Measurement {
        scenario: scenario.to_owned(),
        implementation: implementation.to_owned(),
        threads: count(threads)?,
        turn,
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

    #[test]
    fn reads_a_paired_metric_line() {
        let measured = parse("lat_p50\tns\tlower\tours::Logger\t2\t3\t1\t171").unwrap();
        assert_eq!(measured.threads, 2);
        assert_eq!(
            measured.turn,
            Some(Turn {
                round: 3,
                position: 1
            })
        );
        assert_eq!(measured.value, 171.0);
        assert!(!measured.unit.higher_is_better);
        assert!(parse("lat_p50\tns\tlower\tx\t2\t3\t171").is_err());
        assert!(parse("lat_p50\tns\tlower\tx\t2\tr\t1\t171").is_err());
    }
}
