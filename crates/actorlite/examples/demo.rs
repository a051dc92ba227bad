//! The seed article's actor demos, made exact, each checking its result
//! (the demo exits non-zero if a check fails):
//!
//! - CounterActor: 5 threads send 100 increments each; the count, asked
//!   with a timeout, is 500; a graceful stop, then sends are refused;
//! - a supervised actor whose handler panics on a bad input, restarts with
//!   fresh state, and keeps serving the messages queued behind it.
//!
//! Run it with `cargo xtask demo` or `cargo run -p actorlite --example demo`.

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use actorlite::{spawn, spawn_supervised, Actor, Context, ExitReason, Reply, RestartPolicy};

const PATIENCE: Duration = Duration::from_secs(10);

struct CounterActor {
    count: u64,
}

enum CounterMsg {
    Increment,
    Get(Reply<u64>),
}

impl Actor for CounterActor {
    type Message = CounterMsg;
    fn handle(&mut self, msg: CounterMsg, _: &mut Context<Self>) {
        match msg {
            CounterMsg::Increment => self.count += 1,
            CounterMsg::Get(reply) => reply.send(self.count),
        }
    }
}

/// Parses numbers and keeps their sum; panics on input that is not a
/// number (a bug the supervisor contains).
struct Summer {
    sum: i64,
}

enum SummerMsg {
    Add(&'static str),
    Sum(Reply<i64>),
}

impl Actor for Summer {
    type Message = SummerMsg;
    fn handle(&mut self, msg: SummerMsg, _: &mut Context<Self>) {
        match msg {
            SummerMsg::Add(text) => self.sum += text.parse::<i64>().expect("a number"),
            SummerMsg::Sum(reply) => reply.send(self.sum),
        }
    }
}

fn main() -> ExitCode {
    // One handler panics on purpose: print a line for it, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let thread = thread::current();
        println!(
            "  (panic on {}: {})",
            thread.name().unwrap_or("?"),
            atomics_kit::panic_text(info.payload()).unwrap_or("?")
        );
    }));
    let checks = [counter_demo(), supervised_demo()];
    if checks.iter().all(|passed| *passed) {
        println!("\nall actor checks passed");
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

fn counter_demo() -> bool {
    println!("CounterActor: 5 threads x 100 increments");
    let counter = spawn(CounterActor { count: 0 });
    let all_sent = thread::scope(|s| {
        let senders: Vec<_> = (0..5)
            .map(|_| s.spawn(|| (0..100).all(|_| counter.send(CounterMsg::Increment).is_ok())))
            .collect();
        senders
            .into_iter()
            .all(|sender| sender.join().unwrap_or(false))
    });
    let count = counter.ask(CounterMsg::Get, PATIENCE);
    println!("  count: {count:?}");
    counter.stop();
    let reason = counter.join();
    check("every increment accepted", all_sent)
        & check("the count, asked, is 500", count == Ok(500))
        & check("stopped normally", reason == ExitReason::Normal)
        & check(
            "a send after the stop is refused with the message",
            counter.send(CounterMsg::Increment).is_err(),
        )
}

fn supervised_demo() -> bool {
    println!("\nSupervised Summer: \"40\", \"oops\" (panics), \"2\", then the sum");
    let summer = spawn_supervised(|| Summer { sum: 0 }, RestartPolicy::default());
    let sent = ["40", "oops", "2"]
        .into_iter()
        .all(|text| summer.send(SummerMsg::Add(text)).is_ok());
    // The restart starts from fresh state: only "2" counts after it.
    let sum = summer.ask(SummerMsg::Sum, PATIENCE);
    println!("  sum after the restart: {sum:?}");
    summer.stop();
    let reason = summer.join();
    let stats = summer.stats();
    println!("  stats: {stats:?}");
    check("all three messages accepted", sent)
        & check(
            "the actor restarted once, the failing message reported",
            (stats.restarts, stats.panicked_messages) == (1, 1),
        )
        & check(
            "the message queued behind the panic was handled (sum 2)",
            sum == Ok(2),
        )
        & check(
            "stopped normally after recovering",
            reason == ExitReason::Normal,
        )
}
