//! The throughput scenarios: `benches/examples/paired.rs` measures them in
//! paired rounds and prints one line per turn,
//! `ROUND <scenario> <threads> <round> <position> <implementation> <M ops/s>`
//! (tab-separated), read here.

use std::fs;
use std::path::Path;

use super::example::Example;
use super::{Measurement, Turn, Unit};
use crate::Result;

/// What the paired binary is asked to do; `None` leaves its default.
#[derive(Debug, Default)]
pub struct Options<'a> {
    pub smoke: bool,
    pub rounds: Option<usize>,
    /// How long one implementation's turn lasts.
    pub turn_ms: Option<u64>,
    pub threads: Option<&'a str>,
    pub filter: Option<&'a str>,
}

/// Runs the paired binary and returns every turn it measured.
pub fn run(options: &Options<'_>) -> Result<Vec<Measurement>> {
    let mut args = Vec::new();
    if options.smoke {
        args.push("--smoke".to_owned());
    }
    if let Some(rounds) = options.rounds {
        args.extend(["--rounds".to_owned(), rounds.to_string()]);
    }
    if let Some(turn_ms) = options.turn_ms {
        args.extend(["--turn-ms".to_owned(), turn_ms.to_string()]);
    }
    args.extend(options.filter.map(str::to_owned));
    let example = Example {
        name: "paired",
        args,
        threads: options.threads,
    };
    example
        .tagged_lines("ROUND")?
        .iter()
        .map(|line| parse(line))
        .collect()
}

/// The turns in a file of the paired binary's output (the `ROUND` lines;
/// anything else is skipped), for `--import`.
pub fn read(path: &Path) -> Result<Vec<Measurement>> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter_map(|line| line.strip_prefix("ROUND\t"))
        .map(parse)
        .collect()
}

/// One `ROUND` line, without its tag.
fn parse(line: &str) -> Result<Measurement> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [scenario, threads, round, position, implementation, mops] = fields[..] else {
        return Err(format!("paired: unexpected line {line:?}"));
    };
    let number = |field: &str| {
        field
            .parse::<usize>()
            .map_err(|_| format!("paired: {field:?} is not a count in {line:?}"))
    };
    let value: f64 = mops
        .parse()
        .map_err(|_| format!("paired: bad throughput in {line:?}"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("paired: a turn measured {value} M ops/s: {line:?}"));
    }
    Ok(Measurement {
        scenario: scenario.to_owned(),
        implementation: implementation.to_owned(),
        threads: number(threads)?,
        turn: Some(Turn {
            round: number(round)?,
            position: number(position)?,
        }),
        value,
        unit: Unit::throughput(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_round_line() {
        let turn = parse("mpmc_bounded\t2\t3\t1\tchannels_patterns::BoundedQueue\t12.5").unwrap();
        assert_eq!(turn.threads, 2);
        assert_eq!(
            turn.turn,
            Some(Turn {
                round: 3,
                position: 1
            })
        );
        assert_eq!(turn.value, 12.5);
        assert!(turn.unit.is_throughput());
        assert!(parse("mpmc_bounded\t2\t3\t1\tx\tinf").is_err());
        assert!(parse("mpmc_bounded\t2\t3\tx\t1.0").is_err());
    }
}
