//! Reading criterion's results: `target/criterion/<group>/<function>/<param>/new/`
//! holds `benchmark.json` (the ids and the declared throughput) and
//! `estimates.json` (the statistics, in nanoseconds per iteration).

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use serde_json::Value;

use super::{Measurement, Unit};
use crate::Result;

/// Every measurement criterion wrote at or after `since`, so that results
/// left over from earlier runs never enter a report.
pub fn read_since(criterion_dir: &Path, since: SystemTime) -> Result<Vec<Measurement>> {
    let mut measurements = Vec::new();
    let mut pending = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.ends_with("new/benchmark.json") {
                let fresh = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|modified| modified >= since);
                if fresh {
                    let new_dir = path.parent().expect("a file has a parent");
                    measurements
                        .push(read(new_dir).map_err(|e| format!("{}: {e}", new_dir.display()))?);
                }
            }
        }
    }
    measurements.sort_by(|a, b| {
        (&a.scenario, &a.implementation, a.threads).cmp(&(
            &b.scenario,
            &b.implementation,
            b.threads,
        ))
    });
    Ok(measurements)
}

fn read(new_dir: &Path) -> Result<Measurement> {
    let benchmark = json(&new_dir.join("benchmark.json"))?;
    let estimates = json(&new_dir.join("estimates.json"))?;
    let text = |key: &str| {
        benchmark[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("benchmark.json has no string `{key}`"))
    };
    let threads = text("value_str")?
        .parse()
        .map_err(|_| "the benchmark parameter is not a thread count".to_owned())?;
    let elements = benchmark["throughput"]["Elements"]
        .as_f64()
        .ok_or("the bench declares no Throughput::Elements")?;
    let median_ns = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or("estimates.json has no median")?;
    Ok(Measurement {
        scenario: text("group_id")?,
        implementation: text("function_id")?,
        threads,
        // elements per nanosecond * 1000 = million elements per second
        value: elements / median_ns * 1e3,
        unit: Unit::throughput(),
    })
}

fn json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
