//! Where an actor's life meets a race or a stubborn failure: a kill while
//! sends wait for room, a `started` that never succeeds, a thread slow to
//! exit, a `Reply` held by an actor that panics, the count of a mailbox that
//! a stop just nudged.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use actorlite::{
    spawn, spawn_supervised, Actor, ActorBuilder, AskError, Context, ExitReason, Mailbox, Reply,
    RestartPolicy,
};

const PATIENCE: Duration = Duration::from_secs(20);

/// Rounds of the racing tests: many natively, a few under miri, where each
/// round costs seconds and the races are explored by its scheduler seeds.
const ROUNDS: usize = if cfg!(miri) { 4 } else { 200 };

/// Says it is inside its handler on message 0, then blocks there until the
/// test releases it. (An empty mailbox would not do as that signal: a
/// message taken but not yet handled when a kill comes is a dead letter.)
struct Blocking {
    entered: mpsc::Sender<()>,
    gate: mpsc::Receiver<()>,
}

impl Actor for Blocking {
    type Message = u32;
    fn handle(&mut self, n: u32, _: &mut Context<Self>) {
        if n == 0 {
            let _ = self.entered.send(());
            let _ = self.gate.recv();
        }
    }
}

#[test]
fn a_send_waiting_for_room_when_kill_comes_gets_its_message_back_even_if_room_comes_right_after() {
    for round in 0..ROUNDS {
        let (release, gate) = mpsc::channel();
        let (entered, inside) = mpsc::channel();
        let actor = ActorBuilder::new()
            .mailbox(Mailbox::Bounded(1))
            .spawn(Blocking { entered, gate })
            .unwrap();
        actor.send(0).unwrap(); // the actor takes it and blocks
        inside.recv().unwrap();
        actor.send(1).unwrap(); // fills the mailbox
        let sender = actor.clone();
        let (waiting, is_waiting) = mpsc::channel();
        let waiter = thread::spawn(move || {
            waiting.send(()).unwrap();
            sender.send(2)
        });
        is_waiting.recv().unwrap();
        for _ in 0..round % 20 {
            thread::yield_now(); // the send is somewhere in its wait
        }
        actor.kill(); // the mailbox is still full: nothing got in yet
        release.send(()).unwrap(); // room comes only now
        let outcome = waiter.join().unwrap();
        assert_eq!(actor.join(), ExitReason::Killed);
        assert_eq!(outcome.map_err(|error| error.0), Err(2), "round {round}");
        assert_eq!(
            actor.stats().dead_letters,
            1,
            "round {round}: only message 1"
        );
    }
}

/// Its `started` always panics.
struct NeverStarts;

impl Actor for NeverStarts {
    type Message = ();
    fn started(&mut self, _: &mut Context<Self>) {
        panic!("never starts");
    }
    fn handle(&mut self, (): (), _: &mut Context<Self>) {}
}

/// With a stop or kill pending, one more fresh instance is started; when
/// its `started` panics too, the actor ends as panicked (restarting on
/// would never see the request, with a budget that allows it).
#[test]
fn kill_or_stop_ends_the_restarts_of_an_actor_whose_started_keeps_panicking() {
    // A window of zero: no restart ever counts against the budget.
    let endless = RestartPolicy {
        max_restarts: 1,
        within: Duration::ZERO,
    };
    for kill in [true, false] {
        let actor = spawn_supervised(|| NeverStarts, endless);
        while actor.stats().restarts < 3 {
            thread::yield_now();
        }
        if kill {
            actor.kill();
        } else {
            actor.stop();
        }
        let expected = ExitReason::Panicked("never starts".to_owned());
        assert_eq!(actor.join_timeout(PATIENCE), Some(expected));
        assert_eq!(actor.last_panic().as_deref(), Some("never starts"));
    }
}

/// Its first instance's `started` panics once the test says so; the
/// others start, and handle every message.
struct FailsFirstStart(Option<mpsc::Receiver<()>>);

impl Actor for FailsFirstStart {
    type Message = u32;
    fn started(&mut self, _: &mut Context<Self>) {
        if let Some(go) = self.0.take() {
            go.recv().unwrap();
            panic!("the first start fails");
        }
    }
    fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
}

/// A graceful stop pending while a supervised actor's `started` panics
/// once: the fresh instance starts and handles every message accepted
/// before the stop, and the actor ends normally. (The fresh instance used
/// to be dropped unstarted: 3 dead letters under `Normal`.)
#[test]
fn a_stop_pending_while_started_panics_once_still_handles_the_accepted_messages() {
    let (go, wait) = mpsc::channel();
    let wait = Mutex::new(Some(wait));
    let actor = spawn_supervised(
        move || FailsFirstStart(wait.lock().unwrap().take()),
        RestartPolicy::default(),
    );
    for message in 1..=3 {
        actor.send(message).unwrap();
    }
    actor.stop();
    go.send(()).unwrap();
    assert_eq!(actor.join_timeout(PATIENCE), Some(ExitReason::Normal));
    let stats = actor.stats();
    assert_eq!(
        (stats.handled, stats.dead_letters, stats.restarts),
        (3, 0, 1)
    );
}

thread_local! {
    /// Set by a handler: its `Drop` runs as the actor's thread exits.
    static SLOW_TO_DROP: RefCell<Option<WaitsWhenDropped>> = const { RefCell::new(None) };
}

/// Blocks its thread's exit until the test releases it.
struct WaitsWhenDropped(Mutex<mpsc::Receiver<()>>);

impl Drop for WaitsWhenDropped {
    fn drop(&mut self) {
        let _ = self.0.lock().unwrap().recv_timeout(PATIENCE);
    }
}

struct SetsAThreadLocal;

impl Actor for SetsAThreadLocal {
    type Message = mpsc::Receiver<()>;
    fn handle(&mut self, release: mpsc::Receiver<()>, _: &mut Context<Self>) {
        SLOW_TO_DROP.with(|slot| *slot.borrow_mut() = Some(WaitsWhenDropped(Mutex::new(release))));
    }
}

#[test]
fn join_timeout_does_not_wait_for_the_actors_thread_local_destructors() {
    let (release, released) = mpsc::channel();
    let actor = spawn(SetsAThreadLocal);
    actor.send(released).unwrap();
    actor.stop();
    let reason = loop {
        // Each call must come back at once, though the thread cannot end
        // until `release` below: a hang here is the defect.
        if let Some(reason) = actor.join_timeout(Duration::ZERO) {
            break reason;
        }
        thread::sleep(Duration::from_millis(1));
    };
    assert_eq!(reason, ExitReason::Normal);
    release.send(()).unwrap();
    assert_eq!(actor.join(), ExitReason::Normal); // reaps the thread
}

enum Holding {
    Keep(Reply<u32>),
    Panic,
}

/// Keeps the `Reply` of a request in its state, and panics on demand.
struct KeepsTheReply(Option<Reply<u32>>);

impl Actor for KeepsTheReply {
    type Message = Holding;
    fn handle(&mut self, message: Holding, _: &mut Context<Self>) {
        match message {
            Holding::Keep(reply) => self.0 = Some(reply),
            Holding::Panic => panic!("a later message panicked"),
        }
    }
}

#[test]
fn an_actor_that_panics_while_it_keeps_a_reply_gives_the_asker_closed() {
    let actor = spawn(KeepsTheReply(None));
    let asking = actor.clone();
    let asker = thread::spawn(move || asking.ask(Holding::Keep, PATIENCE));
    while actor.stats().handled == 0 {
        thread::yield_now(); // the Reply is in the actor's state now
    }
    actor.send(Holding::Panic).unwrap();
    assert!(matches!(actor.join(), ExitReason::Panicked(_)));
    assert_eq!(asker.join().unwrap(), Err(AskError::Closed));
}

struct Idle;

impl Actor for Idle {
    type Message = ();
    fn handle(&mut self, (): (), _: &mut Context<Self>) {}
}

#[test]
fn the_wake_up_a_stop_queues_is_never_counted_in_mailbox_len() {
    for _ in 0..ROUNDS * 2 {
        let actor = spawn(Idle);
        let stopper = actor.clone();
        let stop = thread::spawn(move || stopper.stop());
        for _ in 0..50 {
            assert_eq!(actor.mailbox_len(), 0, "nothing was ever sent");
        }
        stop.join().unwrap();
        actor.join();
    }
}

/// Counts the messages it handles after the test says `kill` returned.
struct AfterKill {
    kill_returned: Arc<AtomicBool>,
    handled_after_kill: Arc<AtomicU64>,
}

impl Actor for AfterKill {
    type Message = u64;
    fn handle(&mut self, _: u64, _: &mut Context<Self>) {
        if self.kill_returned.load(Ordering::SeqCst) {
            self.handled_after_kill.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// An idle actor wakes for the send, but often only after the kill that
/// follows it: the message it then takes was queued when the kill came, so
/// it is a dead letter, never handled. Before the actor looked at the
/// request after taking a message, a break run saw it handled after the
/// kill in 200 of 200 rounds (actor parked, every mailbox kind); here the
/// bound-1 mailbox failed within its first rounds.
///
/// A handler may still run after `kill` returned when the actor looked at
/// the request just before the kill came and was preempted before its
/// handler: its handling had begun, which the docs allow. Such rounds are
/// rare (1 round of 600 in 15 runs of the whole suite back to back on 2
/// cores failed an exact check); the defect made them every round.
#[test]
// A race that timing decides: miri's scheduler preempts the actor between
// its look at the request and the handler far more often.
#[cfg_attr(miri, ignore)]
fn a_message_sent_to_an_idle_actor_just_before_a_kill_is_a_dead_letter() {
    for mailbox in [
        Mailbox::Bounded(64),
        Mailbox::Bounded(1),
        Mailbox::Unbounded,
    ] {
        let mut rounds_handled_after_kill = 0;
        for _ in 0..ROUNDS {
            let kill_returned = Arc::new(AtomicBool::new(false));
            let handled_after_kill = Arc::new(AtomicU64::new(0));
            let actor = ActorBuilder::new()
                .mailbox(mailbox)
                .spawn(AfterKill {
                    kill_returned: Arc::clone(&kill_returned),
                    handled_after_kill: Arc::clone(&handled_after_kill),
                })
                .unwrap();
            actor.send(7).unwrap();
            actor.kill();
            kill_returned.store(true, Ordering::SeqCst);
            assert_eq!(actor.join(), ExitReason::Killed);
            let stats = actor.stats();
            assert_eq!(
                stats.handled + stats.dead_letters,
                1,
                "{mailbox:?}: {stats:?}"
            );
            rounds_handled_after_kill += handled_after_kill.load(Ordering::SeqCst);
        }
        assert!(
            rounds_handled_after_kill <= ROUNDS as u64 / 10,
            "{mailbox:?}: a handler ran after kill returned in {rounds_handled_after_kill} of {ROUNDS} rounds"
        );
    }
}
