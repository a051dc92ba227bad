//! `cargo xtask bench [--quick | --smoke] [--threads LIST] [FILTER]`.
//!
//! Runs the criterion benches of the `benches/` package. Except with
//! `--smoke`, it then records this run's medians in
//! `docs/bench/data/<machine>/<scenario>.tsv` and rebuilds
//! `docs/benchmarks.md` and the charts from every recorded run (this machine
//! and any other, each labelled with its CPU and date).

mod criterion;
mod data;
mod machine;
mod report;
mod svg;

use std::time::SystemTime;

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

/// One implementation's throughput in one scenario at one thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub scenario: String,
    pub implementation: String,
    pub threads: usize,
    /// Million operations per second, from the criterion median.
    pub mops: f64,
}

struct Options {
    quick: bool,
    smoke: bool,
    threads: Option<String>,
    filter: Option<String>,
}

pub fn run(options: &[String]) -> Result {
    let options = parse(options)?;
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
    if options.smoke {
        return Ok(());
    }

    let measurements = criterion::read_since(&workspace::root().join("target/criterion"), started)?;
    if measurements.is_empty() {
        return Err(
            "the benches ran but criterion recorded no results (does the filter match?)".into(),
        );
    }
    let machine = machine::Machine::this_one();
    let docs = workspace::root().join("docs");
    let run_command = std::iter::once("cargo xtask bench".to_owned())
        .chain(std::env::args().skip(2))
        .collect::<Vec<_>>()
        .join(" ");
    data::record(&docs, &machine, &run_command, &measurements)?;
    let written = report::write(&docs)?;
    println!("wrote {}", written.display());
    Ok(())
}

fn parse(options: &[String]) -> Result<Options> {
    let mut parsed = Options {
        quick: false,
        smoke: false,
        threads: None,
        filter: None,
    };
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
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
