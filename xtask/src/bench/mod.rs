//! `cargo xtask bench [--quick | --smoke] [--threads LIST] [FILTER]`.
//!
//! Runs the criterion benches of the `benches/` package. Except with
//! `--smoke`, it then records this run's medians in
//! `docs/bench/data/<machine>/<scenario>.tsv` and rebuilds
//! `docs/benchmarks.md` and the charts from every recorded run (this machine
//! and any other, each labelled with its CPU and date).
//!
//! Then it runs `benches/examples/metrics.rs`, the measurements that are
//! not throughput (a cache's hit ratio, a logger's latency percentiles),
//! and records them the same way, each with its unit.
//!
//! `cargo xtask bench --import DIR` records a run made on another machine
//! (one without cargo or network, say) by the bench binary itself: DIR holds
//! criterion's output in `DIR/criterion` (the run's `CRITERION_HOME`) and
//! `DIR/machine.tsv` with `cpu`, `threads`, `date` and `command` lines
//! (tab-separated key and value).

mod criterion;
mod data;
mod machine;
mod metrics;
mod report;
mod svg;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{cmd, workspace, Result};

/// Criterion options for `--quick`: a tenth of the default time, enough for
/// a stable median on an idle machine.
const QUICK: [&str; 6] = [
    "--warm-up-time",
    "0.5",
    "--measurement-time",
    "1",
    "--sample-size",
    "10",
];

/// One implementation's result in one scenario at one thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub scenario: String,
    pub implementation: String,
    pub threads: usize,
    /// In `unit`: for criterion's benches, million operations per second
    /// from the median.
    pub value: f64,
    pub unit: Unit,
}

/// What a scenario's values measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub higher_is_better: bool,
}

impl Unit {
    /// Criterion's benches: million operations per second.
    pub fn throughput() -> Unit {
        Unit {
            name: THROUGHPUT.to_owned(),
            higher_is_better: true,
        }
    }

    pub fn is_throughput(&self) -> bool {
        self.name == THROUGHPUT && self.higher_is_better
    }
}

const THROUGHPUT: &str = "M ops/s";

struct Options {
    import: Option<PathBuf>,
    quick: bool,
    smoke: bool,
    threads: Option<String>,
    filter: Option<String>,
}

pub fn run(options: &[String]) -> Result {
    let options = parse(options)?;
    if let Some(dir) = &options.import {
        return import(dir);
    }
    let mut command = cmd::cargo(&["bench", "-p", "fearless-benches", "--benches", "--"]);
    if options.smoke {
        // Each bench once, nothing recorded: proves the benches build and run.
        command.arg("--test");
    } else {
        command.arg("--noplot");
        if options.quick {
            command.args(QUICK);
        }
    }
    if let Some(threads) = &options.threads {
        command.env("FEARLESS_BENCH_THREADS", threads);
    }
    command.args(&options.filter);

    let started = SystemTime::now();
    cmd::run(&mut command)?;
    let metrics = metrics::run(options.smoke, options.filter.as_deref())?;
    if options.smoke {
        return Ok(());
    }

    let mut measurements =
        criterion::read_since(&workspace::root().join("target/criterion"), started)?;
    measurements.extend(metrics);
    if measurements.is_empty() {
        return Err(
            "the benches ran but criterion recorded no results (does the filter match?)".into(),
        );
    }
    let run_command = std::iter::once("cargo xtask bench".to_owned())
        .chain(std::env::args().skip(2))
        .collect::<Vec<_>>()
        .join(" ");
    let machine = machine::Machine::this_one();
    record_and_report(&machine, &machine::today(), &run_command, &measurements)
}

fn import(dir: &std::path::Path) -> Result {
    let description = machine::Description::read(&dir.join("machine.tsv"))?;
    let measurements = criterion::read_since(&dir.join("criterion"), UNIX_EPOCH)?;
    if measurements.is_empty() {
        return Err(format!(
            "no criterion results under {}",
            dir.join("criterion").display()
        ));
    }
    record_and_report(
        &description.machine,
        &description.date,
        &description.command,
        &measurements,
    )
}

fn record_and_report(
    machine: &machine::Machine,
    date: &str,
    command: &str,
    measurements: &[Measurement],
) -> Result {
    let docs = workspace::root().join("docs");
    data::record(&docs, machine, date, command, measurements)?;
    let written = report::write(&docs)?;
    println!("wrote {}", written.display());
    Ok(())
}

fn parse(options: &[String]) -> Result<Options> {
    let mut parsed = Options {
        import: None,
        quick: false,
        smoke: false,
        threads: None,
        filter: None,
    };
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--import" => {
                let dir = options.next().ok_or("--import needs a directory")?;
                parsed.import = Some(PathBuf::from(dir));
            }
            "--quick" => parsed.quick = true,
            "--smoke" => parsed.smoke = true,
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
    Ok(parsed)
}
