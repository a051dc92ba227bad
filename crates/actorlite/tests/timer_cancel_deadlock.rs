//! A timer's `cancel` does not wait for the `Drop` of a message the timer
//! thread is dropping (one it could not deliver, its actor stopping): that
//! `Drop` is user code that may wait for the cancelling thread. Before, it
//! did, and a tick whose `Drop` joins its actor, cancelled from the actor's
//! own teardown, deadlocked the actor and the process's one timer thread
//! with it (a break run: round 0 of 200). Its own binary: a regression
//! leaves this process's timer thread stuck for good.
#![cfg(not(miri))] // rounds of sub-millisecond sleeps and a shared timer thread

use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use actorlite::{spawn, Actor, ActorHandle, Context, TimerHandle};

/// The actor whose ticks' `Drop` joins it.
static TICKER: Mutex<Option<ActorHandle<Ticker>>> = Mutex::new(None);

/// A tick whose `Drop`, on the timer thread, waits for its actor to end
/// (as one that flushes what the actor wrote might).
struct Tick;

impl Drop for Tick {
    fn drop(&mut self) {
        if thread::current().name() == Some("actorlite-timers") {
            let ticker = TICKER.lock().unwrap().clone();
            if let Some(ticker) = ticker {
                ticker.join();
            }
        }
    }
}

/// Ticks every 100 µs; its timer is cancelled as its state drops.
struct Ticker(Option<TimerHandle>);

impl Actor for Ticker {
    type Message = Tick;
    fn started(&mut self, ctx: &mut Context<Self>) {
        self.0 = Some(ctx.send_interval(Duration::from_micros(100), || Tick));
    }
    fn handle(&mut self, tick: Tick, _: &mut Context<Self>) {
        // Handled ticks are not the ones this test is about.
        std::mem::forget(tick);
    }
}

struct Sink;

impl Actor for Sink {
    type Message = u8;
    fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
}

#[test]
fn cancelling_as_a_ticks_drop_waits_for_the_actor_deadlocks_nothing() {
    for round in 0..50_u64 {
        let ticker = spawn(Ticker(None));
        *TICKER.lock().unwrap() = Some(ticker.clone());
        thread::sleep(Duration::from_micros(300 + (round % 7) * 50));
        ticker.stop();
        let ended = ticker.join_timeout(Duration::from_secs(10));
        *TICKER.lock().unwrap() = None;
        assert!(
            ended.is_some(),
            "round {round}: the actor never ended, cancelling its interval"
        );
    }
    // The timer thread still serves other actors.
    let sink = spawn(Sink);
    sink.send_after(Duration::from_millis(1), 1).detach();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while sink.stats().handled == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the timer thread is stuck"
        );
        thread::sleep(Duration::from_millis(1));
    }
}
