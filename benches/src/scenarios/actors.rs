//! actorlite beside what a user would pick instead: the counter actors of
//! [`actors`](crate::actors), each started afresh for each run.
//!
//! - `actor_tell`: each of N sender threads sends 100k increments, then a
//!   request/reply confirms they were handled (throughput until handled;
//!   the count it returns is checked). Ours runs twice: with its default
//!   mailbox (bounded, 64: senders wait for the actor) and unbounded, as
//!   every peer's is.
//! - `actor_ask_round_trip`: N threads each ask for the count in turn
//!   (round trips per second; the latency percentiles are in
//!   `examples/metrics.rs`).

use std::hint::black_box;

use crate::actors::{for_each_counter, Counter, Visit};
use crate::scenario::{Implementation, Scenario, Size};

/// What a scenario does with a counter actor, for any contender.
trait Workload {
    const SCENARIO: &'static str;
    fn implementation<C: Counter>(&self, name: &str) -> Implementation;
}

/// Each sender's `0` increments per batch, then a round trip that must see
/// them all handled.
struct Tell(u64);

impl Workload for Tell {
    const SCENARIO: &'static str = "actor_tell";
    fn implementation<C: Counter>(&self, name: &str) -> Implementation {
        let tell = |counter: &C, _, ops| {
            (0..ops).for_each(|_| counter.increment());
            assert!(counter.get() >= ops, "the actor lost increments");
        };
        Implementation::on_threads(name, self.0, C::start, tell, |_, _| {})
    }
}

/// `0` round trips per thread per batch.
struct Ask(u64);

impl Workload for Ask {
    const SCENARIO: &'static str = "actor_ask_round_trip";
    fn implementation<C: Counter>(&self, name: &str) -> Implementation {
        let ask = |counter: &C, _, ops| {
            (0..ops).for_each(|_| {
                black_box(counter.get());
            });
        };
        Implementation::on_threads(name, self.0, C::start, ask, |_, _| {})
    }
}

/// Collects every contender's implementation of workload `W`.
struct Contenders<'w, W> {
    workload: &'w W,
    implementations: Vec<Implementation>,
}

impl<W: Workload> Visit for Contenders<'_, W> {
    fn visit<C: Counter>(&mut self, name: &str) {
        let implementation = self.workload.implementation::<C>(name);
        self.implementations.push(implementation);
    }
}

fn scenario<W: Workload>(workload: &W) -> Scenario {
    let mut contenders = Contenders {
        workload,
        implementations: Vec::new(),
    };
    for_each_counter(&mut contenders);
    Scenario {
        name: W::SCENARIO,
        implementations: contenders.implementations,
    }
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    vec![
        scenario(&Tell(size.pick(100_000, 1_000))),
        scenario(&Ask(size.pick(1_000, 100))),
    ]
}
