//! Measurements that are not throughput, for `cargo xtask bench` to record
//! beside criterion's tables: each line printed is
//! `METRIC <scenario> <unit> <higher|lower> <implementation> <threads> <value>`
//! (tab-separated).
//!
//! - `cache_zipf_hit_ratio_{1,10}pct`: the hit ratio (% of gets that hit)
//!   of the `cache_zipf_mixed_*` workload (Zipf(0.99) over 1M keys, 90% get
//!   and 10% insert), one thread, after one warming pass of 1M ops, over
//!   the next 4M ops of the same seeded sequence for every cache.
//!
//! Usage: `metrics [--smoke] [FILTER]`; FILTER keeps the scenarios whose
//! name contains one of its `|`-separated parts. `--smoke` runs each
//! scenario a thousandth as long, to prove it works.

use fearless_benches::caches::{for_each_cache, zipf_keys};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|arg| arg == "--smoke");
    let filter: Vec<String> = args
        .iter()
        .filter(|arg| !arg.starts_with("--"))
        .flat_map(|arg| arg.split('|').map(str::to_owned))
        .collect();
    let wanted = |scenario: &str| {
        filter.is_empty() || filter.iter().any(|part| scenario.contains(part.as_str()))
    };
    let scale = if smoke { 1_000 } else { 1 };
    for (scenario, percent) in [
        ("cache_zipf_hit_ratio_1pct", 1),
        ("cache_zipf_hit_ratio_10pct", 10),
    ] {
        if wanted(scenario) {
            cache_hit_ratio(scenario, percent, scale);
        }
    }
}

fn cache_hit_ratio(scenario: &str, capacity_percent: u64, scale: usize) {
    const KEYS: u64 = 1_000_000;
    let warm_ops = 1_000_000 / scale;
    let measured_ops = 4_000_000 / scale;
    let keys = zipf_keys(KEYS, 0.99, warm_ops + measured_ops, 42);
    for_each_cache(KEYS * capacity_percent / 100, |name, make| {
        let cache = make();
        let (mut gets, mut hits) = (0_u64, 0_u64);
        for (n, &key) in keys.iter().enumerate() {
            if n.is_multiple_of(10) {
                cache.insert(key, key);
            } else {
                let hit = cache.get(key);
                if n >= warm_ops {
                    gets += 1;
                    hits += u64::from(hit);
                }
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let percent = hits as f64 * 100.0 / gets as f64;
        println!("METRIC\t{scenario}\thit ratio %\thigher\t{name}\t1\t{percent:.2}");
    });
}
