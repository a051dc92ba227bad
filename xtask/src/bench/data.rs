//! The record of each run: `docs/bench/data/<machine>/<scenario>.tsv`, one
//! file per scenario and machine, replaced when the scenario runs again on
//! that machine. The report is rebuilt from these files alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use super::machine::Machine;
use super::{Measurement, Unit};
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
    for (scenario, rows) in by_scenario {
        let mut text = format!(
            "# machine\t{}\n# hardware-threads\t{}\n# date\t{date}\n# command\t{command}\n",
            machine.label(),
            machine.threads,
        );
        let unit = &rows[0].unit;
        if unit.is_throughput() {
            text.push_str("implementation\tthreads\tmops\n");
        } else {
            let better = if unit.higher_is_better {
                "higher"
            } else {
                "lower"
            };
            write!(
                text,
                "# unit\t{}\n# better\t{better}\nimplementation\tthreads\tvalue\n",
                unit.name
            )
            .expect("writing to a String");
        }
        for row in rows {
            writeln!(
                text,
                "{}\t{}\t{:.3}",
                row.implementation, row.threads, row.value
            )
            .expect("writing to a String");
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
                runs.push(parse(&path, &slug).map_err(|e| format!("{}: {e}", path.display()))?);
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

fn parse(path: &Path, slug: &str) -> Result<ScenarioRun> {
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario = path
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut header = BTreeMap::new();
    let mut measurements = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            if let Some((key, value)) = comment.split_once('\t') {
                header.insert(key.to_owned(), value.to_owned());
            }
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[..] {
            ["implementation", "threads", "mops" | "value"] => {}
            [implementation, threads, value] => measurements.push(Measurement {
                scenario: scenario.clone(),
                implementation: implementation.to_owned(),
                threads: threads
                    .parse()
                    .map_err(|_| format!("bad thread count {threads:?}"))?,
                value: value.parse().map_err(|_| format!("bad value {value:?}"))?,
                unit: Unit::throughput(),
            }),
            _ => return Err(format!("unexpected line {line:?}")),
        }
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
        scenario,
        unit,
        measurements,
    })
}
