//! The seed article's three channel demos, made exact, each checking its
//! own totals (the demo exits non-zero if a check fails):
//!
//! - fan-out/fan-in: 100 numbers squared on 4 workers, in input order;
//! - worker pool: the factorials of 1..=20 on 4 workers, each result tied
//!   to its job, and a job that panics reported without losing a worker;
//! - MPMC: 5 producers x 20 values through a bounded queue of 10 to 3
//!   consumers, which end when the queue is closed and drained.
//!
//! Run it with `cargo xtask demo` or `cargo run -p channels-patterns --example demo`.

use std::collections::HashMap;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use channels_patterns::{fan_out_fan_in, BoundedQueue, JobId, WorkerPool};

fn main() -> ExitCode {
    // One job panics on purpose: print a line for it, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let thread = thread::current();
        println!(
            "  (panic on {}: {})",
            thread.name().unwrap_or("?"),
            atomics_kit::panic_text(info.payload()).unwrap_or("?")
        );
    }));
    let checks = [fan_out_fan_in_demo(), worker_pool_demo(), mpmc_demo()];
    if checks.iter().all(|passed| *passed) {
        println!("\nall channel pattern checks passed");
        ExitCode::SUCCESS
    } else {
        println!("\nSOME CHECKS FAILED");
        ExitCode::FAILURE
    }
}

fn check(what: &str, passed: bool) -> bool {
    println!("  [{}] {what}", if passed { "ok" } else { "FAILED" });
    passed
}

fn fan_out_fan_in_demo() -> bool {
    println!("Fan-out/fan-in: 0..100 squared on 4 workers (10 ms each)");
    let squares = match fan_out_fan_in(0..100_u64, 4, |x| {
        thread::sleep(Duration::from_millis(10));
        x * x
    }) {
        Ok(squares) => squares,
        Err(error) => return check(&format!("fan-out failed: {error}"), false),
    };
    let in_order = squares
        .iter()
        .enumerate()
        .all(|(i, square)| *square == (i as u64).pow(2));
    let total: u64 = squares.iter().sum();
    println!("  {} results, sum {total}", squares.len());
    check(
        "100 results, in input order",
        squares.len() == 100 && in_order,
    ) & check("sum of squares 0..100 is 328350", total == 328_350)
}

fn worker_pool_demo() -> bool {
    println!("\nWorker pool: factorials of 1..=20 on 4 workers, plus one job that panics");
    let pool = WorkerPool::new(4, |n: u64| {
        assert!(n != 0, "0! is not what this pool is for");
        thread::sleep(Duration::from_millis(5));
        (1..=n).product::<u64>()
    });
    let (pool, results) = match pool {
        Ok(pool) => pool,
        Err(error) => return check(&format!("could not start the pool: {error}"), false),
    };
    let mut submitted: HashMap<JobId, u64> = HashMap::new();
    for n in (1..=20).chain([0]) {
        match pool.submit(n) {
            Ok(id) => drop(submitted.insert(id, n)),
            Err(error) => return check(&format!("submit failed: {error}"), false),
        }
    }
    pool.shutdown();
    let (mut correct, mut panicked) = (0, Vec::new());
    for (id, result) in &results {
        match result {
            Ok(factorial) if factorial == (1..=submitted[&id]).product::<u64>() => correct += 1,
            Ok(factorial) => println!("  {id}: wrong factorial {factorial}"),
            Err(report) => {
                println!("  reported: {report}");
                panicked.push(submitted[&report.id()]);
            }
        }
    }
    let stats = pool.stats();
    println!(
        "  {correct} factorials, 20! = {}",
        (1..=20_u64).product::<u64>()
    );
    check(
        "all 20 factorials correct, each tied to its job",
        correct == 20,
    ) & check("the panicking job (0) reported, not lost", panicked == [0])
        & check(
            "stats: 21 completed, 1 panicked",
            (stats.completed, stats.panicked) == (21, 1),
        )
        & check(
            "submit after shutdown gives the job back",
            pool.submit(21).is_err(),
        )
}

fn mpmc_demo() -> bool {
    const PRODUCERS: u64 = 5;
    const PER_PRODUCER: u64 = 20;
    const CONSUMERS: usize = 3;
    println!(
        "\nMPMC: {PRODUCERS} producers x {PER_PRODUCER} values, {CONSUMERS} consumers, capacity 10"
    );
    let queue = match BoundedQueue::new(10) {
        Ok(queue) => queue,
        Err(error) => return check(&format!("{error}"), false),
    };
    let consumed: Vec<Vec<u64>> = thread::scope(|s| {
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let queue = &queue;
                s.spawn(move || (0..PER_PRODUCER).all(|j| queue.push(p * PER_PRODUCER + j).is_ok()))
            })
            .collect();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| s.spawn(|| queue.iter().collect::<Vec<_>>()))
            .collect();
        let all_pushed = producers.into_iter().all(|p| p.join().unwrap_or(false));
        queue.close();
        if !all_pushed {
            println!("  a producer's push failed");
        }
        consumers
            .into_iter()
            .map(|c| c.join().unwrap_or_default())
            .collect()
    });
    for (i, values) in consumed.iter().enumerate() {
        println!("  consumer {i} consumed {}", values.len());
    }
    let mut all: Vec<u64> = consumed.into_iter().flatten().collect();
    all.sort_unstable();
    check(
        "every value consumed exactly once (100 in all)",
        all == (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>(),
    ) & check("nothing left in the queue", queue.is_empty())
}
