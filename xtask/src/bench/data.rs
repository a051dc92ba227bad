//! The record of each run: `docs/bench/data/<machine>/<scenario>.tsv`, one
//! file per scenario and machine, replaced when the scenario runs again on
//! that machine. The report is rebuilt from these files alone.
//!
//! A file starts with `# key<tab>value` lines (machine, hardware threads,
//! date, command; a unit and its direction for a metric), then a column
//! header that says how the rows were measured:
//!
//! - `implementation threads round position mops`: paired rounds, one row
//!   per turn (the column keeps its name for a paired metric, whose unit
//!   the header gives).
//! - `implementation threads mops`: one criterion median per
//!   implementation (runs before the paired rounds; still read, labelled as
//!   unpaired).
//! - `implementation threads value`: one metric value per implementation.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::machine::Machine;
use super::{Measurement, Turn, Unit};
use crate::Result;

/// One scenario measured on one machine in one run.
#[derive(Debug)]
pub struct ScenarioRun {
    pub scenario: String,
    pub machine_label: String,
    pub machine_slug: String,
    pub hardware_threads: usize,
    pub date: String,
    pub command: String,
    pub unit: Unit,
    pub measurements: Vec<Measurement>,
}

/// How a scenario run's values were measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Paired rounds, at most `rounds` per thread count.
    Paired { rounds: usize },
    /// Criterion's median per implementation, one after another.
    Unpaired,
    /// One value per implementation, in the run's own unit.
    Metric,
}

impl ScenarioRun {
    pub fn method(&self) -> Method {
        let rounds = self
            .measurements
            .iter()
            .filter_map(|m| m.turn.map(|turn| turn.round + 1))
            .max();
        match rounds {
            Some(rounds) => Method::Paired { rounds },
            None if self.unit.is_throughput() => Method::Unpaired,
            None => Method::Metric,
        }
    }
}

const PAIRED_COLUMNS: &str = "implementation\tthreads\tround\tposition\tmops";
const UNPAIRED_COLUMNS: &str = "implementation\tthreads\tmops";
const METRIC_COLUMNS: &str = "implementation\tthreads\tvalue";

fn data_dir(docs: &Path) -> PathBuf {
    docs.join("bench/data")
}

/// Writes this run's measurements, one file per scenario.
pub fn record(
    docs: &Path,
    machine: &Machine,
    date: &str,
    command: &str,
    measurements: &[Measurement],
) -> Result {
    let dir = data_dir(docs).join(machine.slug());
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut by_scenario: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    for measurement in measurements {
        by_scenario
            .entry(&measurement.scenario)
            .or_default()
            .push(measurement);
    }
    for (scenario, mut rows) in by_scenario {
        let mut text = format!(
            "# machine\t{}\n# hardware-threads\t{}\n# date\t{date}\n# command\t{command}\n",
            machine.label(),
            machine.threads,
        );
        let unit = &rows[0].unit;
        let paired = rows.iter().all(|row| row.turn.is_some());
        if !unit.is_throughput() {
            let better = if unit.higher_is_better {
                "higher"
            } else {
                "lower"
            };
            writeln!(text, "# unit\t{}\n# better\t{better}", unit.name)
                .expect("writing to a String");
        }
        if paired {
            text.push_str(PAIRED_COLUMNS);
            rows.sort_by_key(|row| (row.threads, row.turn.map(|t| (t.round, t.position))));
        } else if unit.is_throughput() {
            text.push_str(UNPAIRED_COLUMNS);
        } else {
            text.push_str(METRIC_COLUMNS);
        }
        text.push('\n');
        for row in rows {
            write!(text, "{}\t{}", row.implementation, row.threads).expect("writing to a String");
            if let (true, Some(turn)) = (paired, row.turn) {
                write!(text, "\t{}\t{}", turn.round, turn.position).expect("writing to a String");
            }
            writeln!(text, "\t{:.3}", row.value).expect("writing to a String");
        }
        let path = dir.join(format!("{scenario}.tsv"));
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Every recorded scenario run, machines with fewer hardware threads first.
pub fn load_all(docs: &Path) -> Result<Vec<ScenarioRun>> {
    let mut runs = Vec::new();
    let Ok(machines) = fs::read_dir(data_dir(docs)) else {
        return Ok(runs);
    };
    for machine_dir in machines.flatten().map(|entry| entry.path()) {
        let slug = machine_dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let files =
            fs::read_dir(&machine_dir).map_err(|e| format!("{}: {e}", machine_dir.display()))?;
        for path in files.flatten().map(|entry| entry.path()) {
            if path.extension().is_some_and(|ext| ext == "tsv") {
                let text = fs::read_to_string(&path).map_err(|e| e.to_string())?;
                let scenario = path
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                runs.push(
                    parse(&text, &scenario, &slug)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                );
            }
        }
    }
    runs.sort_by(|a, b| {
        (a.hardware_threads, &a.machine_slug, &a.scenario).cmp(&(
            b.hardware_threads,
            &b.machine_slug,
            &b.scenario,
        ))
    });
    Ok(runs)
}

fn parse(text: &str, scenario: &str, slug: &str) -> Result<ScenarioRun> {
    let mut header = BTreeMap::new();
    let mut columns = None;
    let mut measurements = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some((key, value)) = comment.split_once('\t') {
                header.insert(key.to_owned(), value.to_owned());
            }
            continue;
        }
        if columns.is_none() {
            if ![PAIRED_COLUMNS, UNPAIRED_COLUMNS, METRIC_COLUMNS].contains(&line) {
                return Err(format!("unexpected column header {line:?}"));
            }
            columns = Some(line);
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let count = |field: &str| {
            field
                .parse::<usize>()
                .map_err(|_| format!("bad count {field:?} in {line:?}"))
        };
        let (implementation, threads, turn, value) = match (columns, &fields[..]) {
            (Some(PAIRED_COLUMNS), [implementation, threads, round, position, value]) => {
                let turn = Turn {
                    round: count(round)?,
                    position: count(position)?,
                };
                (implementation, threads, Some(turn), value)
            }
            (_, [implementation, threads, value]) if columns != Some(PAIRED_COLUMNS) => {
                (implementation, threads, None, value)
            }
            _ => return Err(format!("unexpected line {line:?}")),
        };
        measurements.push(Measurement {
            scenario: scenario.to_owned(),
            implementation: (*implementation).to_owned(),
            threads: count(threads)?,
            turn,
            value: value.parse().map_err(|_| format!("bad value {value:?}"))?,
            unit: Unit::throughput(),
        });
    }
    let unit = match (header.remove("unit"), header.remove("better").as_deref()) {
        (None, None) => Unit::throughput(),
        (Some(name), Some(better @ ("higher" | "lower"))) => Unit {
            name,
            higher_is_better: better == "higher",
        },
        _ => return Err("`# unit` needs `# better` (higher or lower) beside it".into()),
    };
    for measurement in &mut measurements {
        measurement.unit = unit.clone();
    }
    let mut field = |key: &str| {
        header
            .remove(key)
            .ok_or_else(|| format!("no `# {key}` line"))
    };
    Ok(ScenarioRun {
        machine_label: field("machine")?,
        hardware_threads: field("hardware-threads")?
            .parse()
            .map_err(|_| "bad hardware-threads")?,
        date: field("date")?,
        command: field("command")?,
        machine_slug: slug.to_owned(),
        scenario: scenario.to_owned(),
        unit,
        measurements,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A paired run of two implementations, `ours` and `peer`, at one
    /// thread, from `(ours, peer)` values per round.
    pub fn paired(rounds: &[(f64, f64)]) -> ScenarioRun {
        let mut text =
            String::from("# machine\tM\n# hardware-threads\t2\n# date\t2026-12-01\n# command\tc\n");
        text.push_str(PAIRED_COLUMNS);
        text.push('\n');
        for (round, (ours, peer)) in rounds.iter().enumerate() {
            writeln!(text, "x_kit::Ours\t1\t{round}\t0\t{ours}").unwrap();
            writeln!(text, "peer\t1\t{round}\t1\t{peer}").unwrap();
        }
        parse(&text, "s", "m").unwrap()
    }

    /// A metric run (one value per implementation, at one thread) in
    /// `unit`, lower better: `x_kit::Ours` at `ours`, `peer` at `peer`.
    pub fn metric(unit: &str, ours: f64, peer: f64) -> ScenarioRun {
        let text = format!(
            "# machine\tM\n# hardware-threads\t2\n# date\td\n# command\tc\n\
             # unit\t{unit}\n# better\tlower\n{METRIC_COLUMNS}\nx_kit::Ours\t1\t{ours}\npeer\t1\t{peer}\n"
        );
        parse(&text, "s", "m").unwrap()
    }

    #[test]
    fn reads_paired_turns() {
        let run = paired(&[(2.0, 1.0), (3.0, 6.0)]);
        assert_eq!(run.method(), Method::Paired { rounds: 2 });
        assert_eq!(run.measurements.len(), 4);
        assert_eq!(
            run.measurements[3].turn,
            Some(Turn {
                round: 1,
                position: 1
            })
        );
    }

    #[test]
    fn records_a_paired_metric_with_its_unit_and_reads_it_back() {
        let dir = std::env::temp_dir().join(format!("xtask-paired-metric-{}", std::process::id()));
        let machine = Machine {
            cpu: "M".to_owned(),
            threads: 2,
        };
        let unit = Unit {
            name: "ns".to_owned(),
            higher_is_better: false,
        };
        let turn = |implementation: &str, round, position, value| Measurement {
            scenario: "lat_p50".to_owned(),
            implementation: implementation.to_owned(),
            threads: 2,
            turn: Some(Turn { round, position }),
            value,
            unit: unit.clone(),
        };
        let measurements = [
            turn("x_kit::Ours", 0, 0, 170.0),
            turn("peer", 0, 1, 470.0),
            turn("peer", 1, 0, 480.0),
            turn("x_kit::Ours", 1, 1, 180.0),
        ];
        record(&dir, &machine, "d", "c", &measurements).unwrap();
        let runs = load_all(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].method(), Method::Paired { rounds: 2 });
        assert_eq!(runs[0].unit, unit);
        let mut read = runs[0].measurements.clone();
        read.sort_by_key(|m| m.turn.map(|t| (t.round, t.position)));
        let mut written = measurements.to_vec();
        written.sort_by_key(|m| m.turn.map(|t| (t.round, t.position)));
        assert_eq!(read, written);
    }

    #[test]
    fn reads_criterion_medians_as_unpaired_and_metrics_with_their_unit() {
        let head = "# machine\tM\n# hardware-threads\t2\n# date\td\n# command\tc\n";
        let criterion = parse(&format!("{head}{UNPAIRED_COLUMNS}\na\t1\t2.5\n"), "s", "m");
        assert_eq!(criterion.unwrap().method(), Method::Unpaired);
        let metric = format!("{head}# unit\tns\n# better\tlower\n{METRIC_COLUMNS}\na\t1\t2.5\n");
        let metric = parse(&metric, "s", "m").unwrap();
        assert_eq!(metric.method(), Method::Metric);
        assert!(!metric.unit.higher_is_better);
        assert!(parse(&format!("{head}{PAIRED_COLUMNS}\na\t1\t2.5\n"), "s", "m").is_err());
    }
}
