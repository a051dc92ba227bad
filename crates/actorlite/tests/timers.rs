//! Timers: one shared timer thread sends every timer's messages; a
//! cancelled timer sends nothing once `cancel` returns; a timer message
//! for a stopped actor is counted in `undelivered`; a full mailbox delays
//! a message, never drops it. No timing in the assertions: the tests wait
//! for the messages (with a generous hang detector).
#![cfg(not(miri))] // The timer thread outlives each test; miri's leak check would flag it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use actorlite::{
    spawn, Actor, ActorBuilder, ActorHandle, Context, ExitReason, Mailbox, Recipient, Reply,
    TimerHandle,
};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_millis(1);

/// Counts its drops (each message dropped exactly once).
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

enum Msg {
    Tick(u32),
    Carried(Counted),
    Count(Reply<u64>),
    Hold(mpsc::Receiver<()>),
}

struct Sink {
    ticks: u64,
    told: mpsc::Sender<u32>,
}

impl Actor for Sink {
    type Message = Msg;
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Tick(n) => {
                self.ticks += 1;
                let _ = self.told.send(n);
            }
            Msg::Carried(counted) => {
                self.ticks += 1;
                drop(counted);
            }
            Msg::Count(reply) => reply.send(self.ticks),
            Msg::Hold(go) => {
                let _ = go.recv_timeout(PATIENCE);
            }
        }
    }
}

fn sink(mailbox: Mailbox) -> (ActorHandle<Sink>, mpsc::Receiver<u32>) {
    let (told, tells) = mpsc::channel();
    let handle = ActorBuilder::new()
        .mailbox(mailbox)
        .spawn(Sink { ticks: 0, told })
        .unwrap();
    (handle, tells)
}

/// Waits until `done` holds, failing after `PATIENCE`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "hung waiting for {what}");
        thread::sleep(TICK);
    }
}

#[test]
fn send_after_delivers_once() {
    let (sink, tells) = sink(Mailbox::default());
    let timer = sink.send_after(TICK, Msg::Tick(1));
    assert_eq!(tells.recv_timeout(PATIENCE), Ok(1));
    assert!(!timer.cancel(), "it had sent its message");
    sink.stop();
    sink.join();
    assert!(tells.try_recv().is_err());
    let stats = sink.stats();
    assert_eq!((stats.handled, stats.undelivered), (1, 0));
}

#[test]
fn an_interval_ticks_until_cancelled_and_nothing_comes_after_cancel_returns() {
    let (sink, tells) = sink(Mailbox::default());
    let mut n = 0;
    let timer = sink.send_interval(TICK, move || {
        n += 1;
        Msg::Tick(n)
    });
    let first: Vec<u32> = (0..5)
        .map(|_| tells.recv_timeout(PATIENCE).unwrap())
        .collect();
    assert_eq!(
        first,
        [1, 2, 3, 4, 5],
        "in order, none skipped while there was room"
    );
    assert!(timer.cancel());
    // Whatever the timer sent went in before `cancel` returned, so before
    // this ask: the count it answers is final.
    let count = sink.ask(Msg::Count, PATIENCE).unwrap();
    thread::sleep(20 * TICK); // time for a tick that should not come
    assert_eq!(sink.ask(Msg::Count, PATIENCE), Ok(count));
    sink.stop();
    sink.join();
    assert_eq!(sink.stats().undelivered, 0);
}

#[test]
fn a_cancelled_one_shot_never_sends_and_its_message_is_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (sink, _tells) = sink(Mailbox::default());
    let timer = sink.send_after(
        Duration::from_secs(3600),
        Msg::Carried(Counted(Arc::clone(&drops))),
    );
    assert!(format!("{timer:?}").contains("TimerHandle"));
    assert!(timer.cancel());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // Dropping the handle cancels too.
    drop(sink.send_after(TICK, Msg::Carried(Counted(Arc::clone(&drops)))));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    sink.stop();
    sink.join();
    let stats = sink.stats();
    assert_eq!((stats.handled, stats.undelivered), (0, 0));
    // And a delay too long for an `Instant` never falls due.
    let (other, _) = self::sink(Mailbox::default());
    assert!(other.send_after(Duration::MAX, Msg::Tick(0)).cancel());
}

#[test]
fn a_timer_message_for_a_stopped_actor_is_counted_undelivered() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (sink, _tells) = sink(Mailbox::default());
    sink.kill();
    assert_eq!(sink.join(), ExitReason::Killed);
    sink.send_after(TICK, Msg::Carried(Counted(Arc::clone(&drops))))
        .detach();
    wait_until("the undelivered count", || sink.stats().undelivered == 1);
    wait_until("the drop", || drops.load(Ordering::SeqCst) == 1);
    assert_eq!(sink.stats().handled, 0);
}

#[test]
fn an_interval_ends_when_its_actor_stops_and_drops_its_closure() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (sink, tells) = sink(Mailbox::default());
    let guard = Counted(Arc::clone(&drops));
    let timer = sink.send_interval(TICK, move || {
        let _keep = &guard;
        Msg::Tick(0)
    });
    tells.recv_timeout(PATIENCE).unwrap();
    sink.stop();
    sink.join();
    wait_until("the interval to end", || sink.stats().undelivered == 1);
    wait_until("the closure's drop", || drops.load(Ordering::SeqCst) == 1);
    assert!(!timer.cancel(), "it had ended already");
}

#[test]
fn a_panicking_interval_closure_ends_the_interval_and_is_reported() {
    let (sink, tells) = sink(Mailbox::default());
    let mut n = 0;
    let _timer = sink.send_interval(TICK, move || {
        n += 1;
        assert!(n < 3, "no third tick");
        Msg::Tick(n)
    });
    assert_eq!(tells.recv_timeout(PATIENCE), Ok(1));
    assert_eq!(tells.recv_timeout(PATIENCE), Ok(2));
    wait_until("the panic report", || sink.last_panic().is_some());
    assert_eq!(
        sink.last_panic().as_deref(),
        Some("a timer's message closure panicked: no third tick")
    );
    assert!(sink.is_alive(), "the actor is unharmed");
}

#[test]
fn a_timer_message_waits_for_room_in_a_full_mailbox() {
    let (sink, tells) = sink(Mailbox::Bounded(1));
    let (go, hold) = mpsc::channel();
    sink.send(Msg::Hold(hold)).unwrap();
    wait_until("the hold to be taken", || sink.mailbox_len() == 0);
    sink.send(Msg::Tick(1)).unwrap(); // fills the mailbox
    let _timer = sink.send_after(Duration::ZERO, Msg::Tick(2));
    thread::sleep(5 * TICK); // a few retries find it full
    go.send(()).unwrap();
    assert_eq!(tells.recv_timeout(PATIENCE), Ok(1));
    assert_eq!(tells.recv_timeout(PATIENCE), Ok(2));
    sink.stop();
    sink.join();
    let stats = sink.stats();
    assert_eq!((stats.handled, stats.undelivered), (3, 0));
}

#[test]
fn timers_to_an_actor_killed_midway_are_each_accounted_exactly_once() {
    let timers = 100;
    let drops = Arc::new(AtomicUsize::new(0));
    let (sink, _tells) = sink(Mailbox::Unbounded);
    let recipient: Recipient<Msg> = sink.recipient();
    for i in 0..timers {
        let delay = TICK * (i % 10);
        recipient
            .send_after(delay, Msg::Carried(Counted(Arc::clone(&drops))))
            .detach();
    }
    thread::sleep(5 * TICK);
    sink.kill();
    sink.join();
    wait_until("every timer to fire", || {
        let stats = sink.stats();
        stats.handled + stats.dead_letters + stats.undelivered == timers.into()
    });
    wait_until("every message's drop", || {
        drops.load(Ordering::SeqCst) == timers as usize
    });
}

#[test]
fn a_timer_set_by_the_actor_itself_does_not_keep_it_alive() {
    struct Selfish;
    impl Actor for Selfish {
        type Message = ();
        fn started(&mut self, ctx: &mut Context<Self>) {
            ctx.send_interval(TICK, || ()).detach();
        }
        fn handle(&mut self, (): (), _: &mut Context<Self>) {}
    }
    let selfish = spawn(Selfish);
    wait_until("a tick", || selfish.stats().handled > 0);
    let weak = selfish.downgrade();
    let recipient = selfish.recipient();
    drop(selfish);
    drop(recipient);
    wait_until("the actor to stop", || weak.upgrade().is_none());
}

#[test]
#[should_panic(expected = "period must not be zero")]
fn a_zero_period_is_refused() {
    let (sink, _tells) = sink(Mailbox::default());
    let _timer: TimerHandle = sink.send_interval(Duration::ZERO, || Msg::Tick(0));
}

/// A message whose `Drop` panics with "boom".
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("boom");
    }
}

/// An actor that keeps every `Bomb` it handles from exploding, so that
/// only the bombs the timers drop go off.
struct Keeper;

impl Actor for Keeper {
    type Message = Bomb;
    fn handle(&mut self, bomb: Bomb, _: &mut Context<Self>) {
        std::mem::forget(bomb);
    }
}

#[test]
fn a_message_whose_drop_panics_on_cancel_is_reported_not_propagated() {
    let keeper = spawn(Keeper);
    assert!(keeper.send_after(Duration::from_secs(3600), Bomb).cancel());
    assert_eq!(
        keeper.last_panic().as_deref(),
        Some("dropping a cancelled timer's message panicked: boom")
    );
}

#[test]
fn a_detached_timer_that_never_falls_due_drops_its_message_once_catching_a_panic() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (sink, _tells) = sink(Mailbox::default());
    sink.send_after(Duration::MAX, Msg::Carried(Counted(Arc::clone(&drops))))
        .detach();
    assert_eq!(drops.load(Ordering::SeqCst), 1, "nothing can ever send it");
    let keeper = spawn(Keeper);
    keeper.send_after(Duration::MAX, Bomb).detach();
    assert_eq!(
        keeper.last_panic().as_deref(),
        Some("dropping a timer message that never fell due panicked: boom")
    );
}

/// A cancel that lands while the timer thread builds an interval's tick
/// (its closure runs) waits for it: when `cancel` returns, the closure and
/// the tick are dropped, and nothing was sent. (It returned at once, and
/// the timer thread dropped them later.)
#[test]
fn a_cancel_during_an_intervals_closure_returns_with_the_closure_dropped() {
    let (sink, _tells) = sink(Mailbox::Unbounded);
    let closure_drops = Arc::new(AtomicUsize::new(0));
    let tick_drops = Arc::new(AtomicUsize::new(0));
    let (entered, in_closure) = mpsc::channel();
    let (captured, ticks) = (Counted(Arc::clone(&closure_drops)), Arc::clone(&tick_drops));
    let timer = sink.send_interval(TICK, move || {
        let _captured = &captured;
        let _ = entered.send(());
        thread::sleep(Duration::from_millis(100));
        Msg::Carried(Counted(Arc::clone(&ticks)))
    });
    in_closure.recv_timeout(PATIENCE).unwrap();
    assert!(timer.cancel(), "the interval was running");
    assert_eq!(
        closure_drops.load(Ordering::SeqCst),
        1,
        "the closure is dropped"
    );
    assert_eq!(
        tick_drops.load(Ordering::SeqCst),
        1,
        "the tick built is dropped"
    );
    sink.stop();
    sink.join();
    assert_eq!(sink.stats().handled, 0, "nothing was sent");
}
