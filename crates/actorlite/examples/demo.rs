//! The seed article's actor demos, made exact, each checking its result
//! (the demo exits non-zero if a check fails):
//!
//! - CounterActor: 5 threads send 100 increments each; the count, asked
//!   with a timeout, is 500; a graceful stop, then sends are refused;
//! - a supervised actor whose handler panics on a bad input, restarts with
//!   fresh state, and keeps serving the messages queued behind it;
//! - two actor types taking the same message, reached through one
//!   `Vec<Recipient<_>>`; a watcher told by monitors when each stops (one
//!   killed, one stopped by a message a timer sends it).
//!
//! Run it with `cargo xtask demo` or `cargo run -p actorlite --example demo`.

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use actorlite::{
    spawn, spawn_supervised, Actor, Context, ExitReason, Recipient, Reply, RestartPolicy,
};

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

/// What both listeners take.
enum Note {
    Text(&'static str),
    Count(Reply<u64>),
    Stop,
}

/// Counts the notes it prints in upper case.
struct Upper(u64);
/// Counts the notes it prints in lower case.
struct Lower(u64);

impl Actor for Upper {
    type Message = Note;
    fn handle(&mut self, note: Note, ctx: &mut Context<Self>) {
        match note {
            Note::Text(text) => {
                self.0 += 1;
                println!("  upper: {}", text.to_uppercase());
            }
            Note::Count(reply) => reply.send(self.0),
            Note::Stop => ctx.stop(),
        }
    }
}

impl Actor for Lower {
    type Message = Note;
    fn handle(&mut self, note: Note, ctx: &mut Context<Self>) {
        match note {
            Note::Text(text) => {
                self.0 += 1;
                println!("  lower: {}", text.to_lowercase());
            }
            Note::Count(reply) => reply.send(self.0),
            Note::Stop => ctx.stop(),
        }
    }
}

enum WatchMsg {
    Down(&'static str, ExitReason),
    Downs(Reply<Vec<String>>),
}

/// Keeps a line for every actor it was told stopped.
struct Watcher(Vec<String>);

impl Actor for Watcher {
    type Message = WatchMsg;
    fn handle(&mut self, msg: WatchMsg, _: &mut Context<Self>) {
        match msg {
            WatchMsg::Down(who, reason) => self.0.push(format!("{who}: {reason}")),
            WatchMsg::Downs(reply) => reply.send(self.0.clone()),
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
    let checks = [
        counter_demo(),
        supervised_demo(),
        recipients_monitors_timers_demo(),
    ];
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

fn recipients_monitors_timers_demo() -> bool {
    println!("\nRecipients, monitors and a timer: Upper and Lower take the same notes");
    let upper = spawn(Upper(0));
    let lower = spawn(Lower(0));
    let listeners: Vec<Recipient<Note>> = vec![upper.recipient(), lower.recipient()];
    let sent = ["Hello", "Actors"]
        .into_iter()
        .all(|text| listeners.iter().all(|l| l.send(Note::Text(text)).is_ok()));
    let counts: Vec<_> = listeners
        .iter()
        .map(|l| l.ask(Note::Count, PATIENCE))
        .collect();
    let watcher = spawn(Watcher(Vec::new()));
    upper.monitor(&watcher.recipient(), |reason| {
        WatchMsg::Down("upper", reason)
    });
    lower.monitor(&watcher.recipient(), |reason| {
        WatchMsg::Down("lower", reason)
    });
    // Lower is stopped by a note a timer sends it; Upper is killed.
    lower
        .send_after(Duration::from_millis(10), Note::Stop)
        .detach();
    upper.kill();
    let reasons = (upper.join(), lower.join());
    let start = Instant::now();
    let mut downs = Vec::new();
    while downs.len() < 2 && start.elapsed() < PATIENCE {
        downs = watcher.ask(WatchMsg::Downs, PATIENCE).unwrap_or_default();
    }
    downs.sort();
    println!("  the watcher was told: {downs:?}");
    check("every note accepted", sent)
        & check(
            "each listener counted its 2 notes",
            counts == [Ok(2), Ok(2)],
        )
        & check(
            "Upper killed, Lower stopped by the timer's note",
            reasons == (ExitReason::Killed, ExitReason::Normal),
        )
        & check(
            "the watcher was told of each, once",
            downs == ["lower: stopped normally", "upper: killed"],
        )
}
