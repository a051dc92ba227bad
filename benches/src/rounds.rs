//! Paired rounds: how every scenario is measured against its peers.
//!
//! On a shared 2-core VM throughput swings up to 3x between modes that last
//! seconds, so two implementations measured one after the other compare
//! whatever modes each landed in, and their ratio flips between runs. Here
//! every implementation of a scenario takes one turn per round, the rounds
//! follow each other in one process at one thread count, and a ratio is
//! taken within a round, where both sides saw the same machine:
//!
//! 1. Calibration: each implementation runs once with 1, 4, 16, ...
//!    batches until a run lasts an eighth of a turn, which sets its batch
//!    count for a turn of about `Plan::turn` (this also warms it up).
//! 2. Rounds: in round `r` the implementations run in the order of the
//!    scenario rotated by `r` (round 0: A B C, round 1: B C A, ...), so each
//!    one goes first, and follows each other one, equally often.
//!
//! Every turn is reported as a [`Turn`]; the statistics (medians, per-round
//! ratios) are left to whoever reads them (`cargo xtask bench`).

use std::fmt;
use std::time::Duration;

use crate::scenario::{Implementation, Scenario};

/// How a paired run measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Rounds at each thread count.
    pub rounds: usize,
    /// How long one implementation's turn should last; `None` runs a
    /// single batch per turn, uncalibrated (smoke runs).
    pub turn: Option<Duration>,
    /// The thread counts, each measured in its own rounds.
    pub threads: Vec<usize>,
}

/// One implementation's turn in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn<'a> {
    /// The scenario's name.
    pub scenario: &'a str,
    /// The thread count of this round.
    pub threads: usize,
    /// The round, from 0.
    pub round: usize,
    /// When in its round this turn ran, from 0.
    pub position: usize,
    /// The implementation's name.
    pub implementation: &'a str,
    /// Its throughput in this turn, million operations per second.
    pub mops: f64,
}

/// A turn as the tab-separated line `cargo xtask bench` reads:
/// `ROUND <scenario> <threads> <round> <position> <implementation> <M ops/s>`.
impl fmt::Display for Turn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ROUND\t{}\t{}\t{}\t{}\t{}\t{:.4}",
            self.scenario, self.threads, self.round, self.position, self.implementation, self.mops
        )
    }
}

/// Measures `scenario` in paired rounds at each of the plan's thread
/// counts, handing every turn to `report` as soon as it ends.
///
/// # Panics
///
/// Panics if an implementation panics (its own checks failed) or a turn
/// took no measurable time.
pub fn run(scenario: &mut Scenario, plan: &Plan, mut report: impl FnMut(&Turn<'_>)) {
    let count = scenario.implementations.len();
    for &threads in &plan.threads {
        let batches: Vec<u64> = scenario
            .implementations
            .iter_mut()
            .map(|implementation| match plan.turn {
                Some(turn) => calibrate(implementation, threads, turn),
                None => 1,
            })
            .collect();
        for round in 0..plan.rounds {
            for position in 0..count {
                let index = (round + position) % count;
                let implementation = &mut scenario.implementations[index];
                let mops = throughput(implementation, threads, batches[index]);
                report(&Turn {
                    scenario: scenario.name,
                    threads,
                    round,
                    position,
                    implementation: &implementation.name,
                    mops,
                });
            }
        }
    }
}

/// One turn: `batches` batches at `threads` threads, in M ops/s.
fn throughput(implementation: &mut Implementation, threads: usize, batches: u64) -> f64 {
    let elapsed = implementation.run(threads, batches);
    assert!(
        !elapsed.is_zero(),
        "{}: {batches} batch(es) at {threads} thread(s) took no measurable time",
        implementation.name
    );
    // u64 → f64: exact below 2^53 operations.
    #[allow(clippy::cast_precision_loss)]
    let operations = implementation.batch.operations(threads, batches) as f64;
    operations / elapsed.as_secs_f64() / 1e6
}

/// The batch count that makes a turn of `implementation` at `threads`
/// threads last about `turn`.
fn calibrate(implementation: &mut Implementation, threads: usize, turn: Duration) -> u64 {
    let mut batches = 1;
    loop {
        let elapsed = implementation.run(threads, batches);
        if elapsed >= turn / 8 {
            // Batch counts and times far below 2^53: the casts are exact
            // enough for a target length.
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let wanted = (turn.as_secs_f64() / elapsed.as_secs_f64() * batches as f64).round();
            return (wanted as u64).max(1);
        }
        batches *= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Batch;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// An implementation that logs its name on every run and claims 1 µs
    /// per batch of 1000 operations.
    fn logged(name: &'static str, log: &Rc<RefCell<Vec<&'static str>>>) -> Implementation {
        let log = Rc::clone(log);
        Implementation::new(name, Batch::Total(1_000), move |_, batches| {
            log.borrow_mut().push(name);
            Duration::from_micros(batches)
        })
    }

    #[test]
    fn rounds_rotate_the_order_and_report_every_turn() {
        let log = Rc::default();
        let mut scenario = Scenario {
            name: "s",
            implementations: vec![logged("a", &log), logged("b", &log), logged("c", &log)],
        };
        let plan = Plan {
            rounds: 3,
            turn: None,
            threads: vec![1],
        };
        let mut turns = Vec::new();
        run(&mut scenario, &plan, |turn| {
            turns.push((turn.round, turn.position, turn.implementation.to_owned()));
            // 1000 operations in 1 µs
            assert!((turn.mops - 1_000.0).abs() < 1e-9);
        });
        assert_eq!(
            log.borrow().concat(),
            "abcbcacab",
            "round r starts with implementation r"
        );
        assert_eq!(turns.len(), 9);
        assert_eq!(turns[4], (1, 1, "c".to_owned()));
    }

    #[test]
    fn calibration_sizes_a_turn_to_the_target() {
        let log = Rc::default();
        let mut implementation = logged("a", &log);
        // 1 µs per batch: 1, 4, ... until a run lasts 1/8 of 10 ms.
        let batches = calibrate(&mut implementation, 1, Duration::from_millis(10));
        assert_eq!(batches, 10_000);
    }

    #[test]
    fn a_turn_prints_as_a_tab_separated_line() {
        let turn = Turn {
            scenario: "s",
            threads: 2,
            round: 3,
            position: 1,
            implementation: "x::Y",
            mops: 12.5,
        };
        assert_eq!(turn.to_string(), "ROUND\ts\t2\t3\t1\tx::Y\t12.5000");
    }
}
