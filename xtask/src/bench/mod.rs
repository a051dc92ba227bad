//! `cargo xtask bench [--rounds N | --quick | --smoke] [--threads LIST] [FILTER]`.
//!
//! Measures every throughput scenario of the `benches/` package in paired
//! rounds (`benches/examples/paired.rs`: in each round every
//! implementation, ours and each peer, runs once, in rotating order, at one
//! thread count), then the measurements that are not throughput
//! (`benches/examples/metrics.rs`: latency percentiles and a logger's
//! keep-up figures, in paired rounds too; a cache's hit ratio, measured
//! once). Except with `--smoke`, it records every turn in
//! `docs/bench/data/<machine>/<scenario>.tsv` and rebuilds
//! `docs/benchmarks.md` and the charts from every recorded run (this
//! machine and any other, each labelled with its CPU and date).
//!
//! - `--rounds N`: rounds per thread count, at least 7 unless `--smoke`
//!   (default 9), for the throughput and the paired metrics alike.
//! - `--quick`: 7 rounds (unless `--rounds`) of 50 ms turns instead of
//!   200 ms ones.
//! - `--smoke`: tiny inputs, 2 rounds of one batch per turn, and every
//!   implementation's own checks; nothing recorded.
//! - `--threads 1,2,4`: the thread counts (the default).
//! - `FILTER`: the scenarios whose name contains one of its `|`-separated
//!   parts.
//!
//! `cargo xtask bench --report` rebuilds the page and the charts from the
//! records alone. `cargo xtask bench --import DIR` records a run made on
//! another machine (one without cargo or network, say) with
//! `benches/run-standalone.sh`: `DIR/rounds.tsv` holds the paired binary's
//! output and `DIR/machine.tsv` has `cpu`, `threads`, `date` and `command`
//! lines (tab-separated key and value).

mod data;
mod example;
mod machine;
mod metrics;
mod report;
mod rounds;
mod stats;
mod svg;

use std::path::{Path, PathBuf};

use crate::{workspace, Result};

/// One implementation's result in one scenario at one thread count: a
/// paired turn, or a value measured alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub scenario: String,
    pub implementation: String,
    pub threads: usize,
    /// Where this value ran among the paired rounds; `None` for a value
    /// measured alone (a metric, or a median from the criterion era).
    pub turn: Option<Turn>,
    /// In `unit`: for throughput, million operations per second.
    pub value: f64,
    pub unit: Unit,
}

/// A paired turn's place: its round, and its position within the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn {
    pub round: usize,
    pub position: usize,
}

/// What a scenario's values measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub higher_is_better: bool,
}

impl Unit {
    /// The throughput scenarios: million operations per second.
    pub fn throughput() -> Unit {
        Unit {
            name: THROUGHPUT.to_owned(),
            higher_is_better: true,
        }
    }

    pub fn is_throughput(&self) -> bool {
        self.name == THROUGHPUT && self.higher_is_better
    }

    /// A percentage ("% dropped", "hit ratio %"): compared in points, not
    /// as a ratio (a ratio of two small percentages says little, and one
    /// to a zero nothing).
    pub fn is_percentage(&self) -> bool {
        self.name.contains('%')
    }
}

const THROUGHPUT: &str = "M ops/s";

/// Fewer rounds leave a median of per-round ratios to chance (the paired
/// binary refuses them too).
const MIN_ROUNDS: usize = 7;

#[derive(Debug, Default)]
struct Options {
    import: Option<PathBuf>,
    report_only: bool,
    quick: bool,
    smoke: bool,
    rounds: Option<usize>,
    threads: Option<String>,
    filter: Option<String>,
}

pub fn run(options: &[String]) -> Result {
    let options = parse(options)?;
    let docs = workspace::root().join("docs");
    if let Some(dir) = &options.import {
        return import(&docs, dir);
    }
    if options.report_only {
        return report(&docs);
    }
    let mut measurements = rounds::run(&rounds::Options {
        smoke: options.smoke,
        rounds: options.rounds.or(options.quick.then_some(MIN_ROUNDS)),
        turn_ms: options.quick.then_some(50),
        threads: options.threads.as_deref(),
        filter: options.filter.as_deref(),
    })?;
    let turns = measurements.len();
    measurements.extend(metrics::run(
        options.smoke,
        options.rounds.or(options.quick.then_some(MIN_ROUNDS)),
        options.filter.as_deref(),
    )?);
    if measurements.is_empty() {
        return Err("the benches ran but measured nothing (does the filter match?)".into());
    }
    if options.smoke {
        println!(
            "bench smoke: {turns} paired turns and {} metric values measured, every implementation's checks passed; nothing recorded",
            measurements.len() - turns
        );
        return Ok(());
    }
    let run_command = std::iter::once("cargo xtask bench".to_owned())
        .chain(std::env::args().skip(2))
        .collect::<Vec<_>>()
        .join(" ");
    let machine = machine::Machine::this_one();
    data::record(
        &docs,
        &machine,
        &machine::today(),
        &run_command,
        &measurements,
    )?;
    report(&docs)
}

fn import(docs: &Path, dir: &Path) -> Result {
    let description = machine::Description::read(&dir.join("machine.tsv"))?;
    let measurements = rounds::read(&dir.join("rounds.tsv"))?;
    if measurements.is_empty() {
        return Err(format!(
            "no ROUND lines in {}",
            dir.join("rounds.tsv").display()
        ));
    }
    data::record(
        docs,
        &description.machine,
        &description.date,
        &description.command,
        &measurements,
    )?;
    report(docs)
}

fn report(docs: &Path) -> Result {
    let written = report::write(docs)?;
    println!("wrote {}", written.display());
    Ok(())
}

fn parse(options: &[String]) -> Result<Options> {
    let mut parsed = Options::default();
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--import" => {
                let dir = options.next().ok_or("--import needs a directory")?;
                parsed.import = Some(PathBuf::from(dir));
            }
            "--report" => parsed.report_only = true,
            "--quick" => parsed.quick = true,
            "--smoke" => parsed.smoke = true,
            "--rounds" => {
                let rounds = options
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--rounds needs a number")?;
                parsed.rounds = Some(rounds);
            }
            "--threads" => {
                let list = options
                    .next()
                    .ok_or("--threads needs a list such as 1,2,4")?;
                if list
                    .split(',')
                    .any(|n| n.trim().parse::<usize>().map_or(true, |n| n == 0))
                {
                    return Err(format!(
                        "--threads {list}: expected positive counts such as 1,2,4"
                    ));
                }
                parsed.threads = Some(list.clone());
            }
            filter if !filter.starts_with('-') && parsed.filter.is_none() => {
                parsed.filter = Some(filter.to_owned());
            }
            other => return Err(format!("unexpected option `{other}`")),
        }
    }
    if parsed.quick && parsed.smoke {
        return Err("--quick and --smoke exclude each other".into());
    }
    match parsed.rounds {
        Some(0) => return Err("--rounds 0: nothing would run".into()),
        Some(rounds) if rounds < MIN_ROUNDS && !parsed.smoke => {
            return Err(format!(
                "--rounds {rounds}: at least {MIN_ROUNDS} (unless --smoke), or the medians of the per-round ratios are left to chance"
            ))
        }
        _ => {}
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn reads_rounds_threads_and_a_filter() {
        let options = parse(&args("--rounds 11 --threads 1,2 pool_|mpmc")).unwrap();
        assert_eq!(options.rounds, Some(11));
        assert_eq!(options.threads.as_deref(), Some("1,2"));
        assert_eq!(options.filter.as_deref(), Some("pool_|mpmc"));
    }

    #[test]
    fn refuses_too_few_rounds_and_clashing_modes() {
        assert!(parse(&args("--rounds 5")).is_err());
        assert!(parse(&args("--smoke --quick")).is_err());
        assert!(parse(&args("--smoke --rounds 1")).is_ok());
        assert!(parse(&args("--threads 0,2")).is_err());
    }
}
