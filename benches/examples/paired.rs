//! Measures every scenario in paired rounds (see `fearless_benches::rounds`:
//! every implementation once per round, in rotating order, at one thread
//! count) and prints one tab-separated line per turn, which
//! `cargo xtask bench` records and turns into `docs/benchmarks.md`:
//!
//! `ROUND <scenario> <threads> <round> <position> <implementation> <M ops/s>`
//!
//! Usage: `paired [--smoke] [--rounds N] [--turn-ms MS] [FILTER]`
//!
//! - `FILTER` keeps the scenarios whose name contains one of its
//!   `|`-separated parts.
//! - `--rounds N`: rounds at each thread count; at least 7 (a median of
//!   fewer per-round ratios is left to chance), 9 by default.
//! - `--turn-ms MS`: how long one implementation's turn in a round lasts,
//!   200 ms by default: short enough that the turns of one round see the
//!   same machine, long enough to dwarf the set-up.
//! - `--smoke`: tiny inputs, 2 rounds of a single batch per turn: proves in
//!   seconds that every implementation runs and passes its checks.
//!
//! The thread counts come from `FEARLESS_BENCH_THREADS` (1,2,4 by default).
//! Progress goes to stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use fearless_benches::filter::Filter;
use fearless_benches::rounds::{self, Plan};
use fearless_benches::scenario::Size;
use fearless_benches::{scenarios, thread_counts};

/// Fewer rounds leave the median of per-round ratios to chance.
const MIN_ROUNDS: usize = 7;
const DEFAULT_ROUNDS: usize = 9;
const DEFAULT_TURN_MS: u64 = 200;
const SMOKE_ROUNDS: usize = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (plan, size, filter) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("paired: {message}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout();
    for mut scenario in scenarios::all(size)
        .into_iter()
        .filter(|scenario| filter.keeps(scenario.name))
    {
        eprintln!(
            "paired: {} ({} implementations, {} rounds at {:?} threads)",
            scenario.name,
            scenario.implementations.len(),
            plan.rounds,
            plan.threads
        );
        rounds::run(&mut scenario, &plan, |turn| {
            // Line by line, so that a reader sees each turn as it ends.
            writeln!(stdout.lock(), "{turn}").expect("writing to stdout");
        });
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<(Plan, Size, Filter), String> {
    let mut smoke = false;
    let mut rounds = None;
    let mut turn_ms = DEFAULT_TURN_MS;
    let mut filters = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |option: &str| {
            args.next()
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or(format!("{option} needs a number"))
        };
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--rounds" => rounds = Some(usize::try_from(number(arg)?).map_err(|e| e.to_string())?),
            "--turn-ms" => turn_ms = number(arg)?,
            option if option.starts_with('-') => return Err(format!("unknown option {option}")),
            filter => filters.push(filter),
        }
    }
    let rounds = rounds.unwrap_or(if smoke { SMOKE_ROUNDS } else { DEFAULT_ROUNDS });
    if rounds < MIN_ROUNDS && !smoke {
        return Err(format!(
            "--rounds {rounds}: at least {MIN_ROUNDS}, or the medians are left to chance"
        ));
    }
    let plan = Plan {
        rounds,
        turn: (!smoke).then(|| Duration::from_millis(turn_ms)),
        threads: thread_counts(),
    };
    let size = if smoke { Size::Smoke } else { Size::Full };
    Ok((plan, size, Filter::new(filters)))
}
