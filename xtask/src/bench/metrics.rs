//! The measurements that are not throughput: `benches/examples/metrics.rs`
//! prints one `METRIC` line per value (scenario, unit, higher|lower,
//! implementation, threads, value; tab-separated), read here.

use std::process::Stdio;

use super::{Measurement, Unit};
use crate::{cmd, Result};

/// Runs the metrics example (a thousandth as long with `smoke`), for the
/// scenarios `filter` keeps, and returns what it measured.
pub fn run(smoke: bool, filter: Option<&str>) -> Result<Vec<Measurement>> {
    let mut command = cmd::cargo(&[
        "run",
        "--release",
        "-q",
        "-p",
        "fearless-benches",
        "--example",
        "metrics",
        "--",
    ]);
    if smoke {
        command.arg("--smoke");
    }
    command.args(filter);
    let line = cmd::describe(&command);
    println!("$ {line}");
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        return Err(format!("`{line}` failed: {}", output.status));
    }
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("METRIC\t"))
        .map(parse)
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
