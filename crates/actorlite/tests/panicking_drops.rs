//! A `Drop` that panics (the actor's, a message's, a factory's captures, a
//! panic payload's) never hangs `join` nor leaves `is_alive()` true: each
//! ends in a counted outcome, reported in `last_panic()` and, for the
//! actor's own clean-up, in the `ExitReason`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use actorlite::{
    spawn, spawn_supervised, Actor, ActorHandle, AskError, Context, ExitReason, Reply,
    RestartPolicy,
};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

/// `join` on a thread of its own, so that a hang fails the test instead of
/// hanging it (a failing test leaves that thread behind).
fn join_within<A: Actor>(handle: &ActorHandle<A>) -> ExitReason {
    let (joined, done) = mpsc::channel();
    let waiter = handle.clone();
    thread::spawn(move || {
        let _ = joined.send(waiter.join());
    });
    let reason = done
        .recv_timeout(PATIENCE)
        .expect("join hung: the actor's thread died without recording its exit");
    assert!(!handle.is_alive(), "joined, yet is_alive() says true");
    reason
}

/// A panic payload whose own `Drop` panics.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the payload's drop panics too");
    }
}

/// Panics when dropped (with a payload that panics again if `grenade`),
/// unless defused.
struct Bomb {
    armed: Arc<AtomicBool>,
    grenade: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.armed.load(Ordering::Relaxed) {
            if self.grenade {
                std::panic::panic_any(Grenade);
            }
            panic!("a bomb went off in drop");
        }
    }
}

/// Blocks on its first message until released; messages are `Bomb`s (or
/// not), and it may carry a bomb of its own.
struct Gated {
    release: Mutex<mpsc::Receiver<()>>,
    _own: Option<Bomb>,
}

enum GatedMsg {
    /// Says it is inside the handler, then waits to be released.
    Wait(mpsc::Sender<()>),
    Bomb(#[allow(dead_code)] Bomb),
    Fail(#[allow(dead_code)] Option<Reply<u8>>),
    Ping(Reply<u8>),
    Nothing,
}

impl Actor for Gated {
    type Message = GatedMsg;
    fn handle(&mut self, msg: GatedMsg, _: &mut Context<Self>) {
        match msg {
            GatedMsg::Wait(entered) => {
                entered.send(()).unwrap();
                self.release.lock().unwrap().recv().unwrap();
            }
            GatedMsg::Bomb(bomb) => bomb.armed.store(false, Ordering::Relaxed),
            GatedMsg::Fail(_) => panic!("the handler failed"),
            GatedMsg::Ping(reply) => reply.send(1),
            GatedMsg::Nothing => {}
        }
    }
}

fn gated(own: Option<Bomb>) -> (Gated, mpsc::Sender<()>) {
    let (release, gate) = mpsc::channel();
    (
        Gated {
            release: Mutex::new(gate),
            _own: own,
        },
        release,
    )
}

fn armed() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(true))
}

/// Sends `Wait` and returns once the actor is inside its handler. (Not
/// once the mailbox is empty: a message taken but not yet handled when a
/// kill comes is a dead letter.)
fn hold_inside_handler(handle: &ActorHandle<Gated>) {
    let (entered, inside) = mpsc::channel();
    handle.send(GatedMsg::Wait(entered)).unwrap();
    inside.recv_timeout(PATIENCE).unwrap();
}

#[test]
fn a_dead_letter_whose_drop_panics_when_kill_drops_it_is_still_counted_and_join_returns() {
    for grenade in [false, true] {
        let (actor, release) = gated(None);
        let handle = spawn(actor);
        hold_inside_handler(&handle);
        for _ in 0..3 {
            let bomb = Bomb {
                armed: armed(),
                grenade,
            };
            handle.send(GatedMsg::Bomb(bomb)).unwrap();
        }
        handle.kill();
        release.send(()).unwrap();
        assert_eq!(join_within(&handle), ExitReason::Killed);
        let stats = handle.stats();
        assert_eq!((stats.handled, stats.dead_letters), (1, 3), "{stats:?}");
        let report = handle.last_panic().expect("the dropping panic is reported");
        assert!(report.contains("dead letter"), "{report}");
    }
}

#[test]
fn the_actors_drop_panicking_after_a_stop_ends_the_actor_with_a_reason_that_says_so() {
    for grenade in [false, true] {
        let bomb = Bomb {
            armed: armed(),
            grenade,
        };
        let (actor, _release) = gated(Some(bomb));
        let handle = spawn(actor);
        handle.send(GatedMsg::Nothing).unwrap();
        handle.stop();
        let reason = join_within(&handle);
        let ExitReason::CleanupPanicked { reason: why, panic } = reason else {
            panic!("{reason:?}");
        };
        assert_eq!(*why, ExitReason::Normal);
        assert!(panic.starts_with("dropping the actor panicked"), "{panic}");
        assert_eq!(handle.stats().handled, 1);
        assert!(handle.last_panic().is_some());
    }
}

#[test]
fn a_supervised_instance_whose_drop_panics_when_replaced_counts_as_a_panic_and_supervision_goes_on()
{
    for grenade in [false, true] {
        let made = Arc::new(AtomicUsize::new(0));
        let factory = {
            let made = Arc::clone(&made);
            move || {
                made.fetch_add(1, Ordering::Relaxed);
                // Only the first instance is booby-trapped.
                let own = (made.load(Ordering::Relaxed) == 1).then(|| Bomb {
                    armed: armed(),
                    grenade,
                });
                gated(own).0
            }
        };
        let handle = spawn_supervised(factory, RestartPolicy::default());
        assert_eq!(
            handle.ask(|r| GatedMsg::Fail(Some(r)), PATIENCE),
            Err(AskError::NoReply)
        );
        assert_eq!(handle.ask(GatedMsg::Ping, PATIENCE), Ok(1), "restarted");
        let stats = handle.stats();
        assert_eq!(
            (stats.restarts, stats.panicked_messages),
            (1, 1),
            "{stats:?}"
        );
        let report = handle.last_panic().expect("reported");
        assert!(report.contains("the handler failed"), "{report}");
        assert!(report.contains("dropping the actor panicked"), "{report}");
        handle.stop();
        assert_eq!(join_within(&handle), ExitReason::Normal);
    }
}

#[test]
fn an_unsupervised_instance_whose_drop_panics_after_its_handler_did_ends_panicked_with_both() {
    let bomb = Bomb {
        armed: armed(),
        grenade: true,
    };
    let handle = spawn(gated(Some(bomb)).0);
    handle.send(GatedMsg::Fail(None)).unwrap();
    let reason = join_within(&handle);
    let ExitReason::Panicked(message) = reason else {
        panic!("{reason:?}");
    };
    assert!(message.contains("the handler failed"), "{message}");
    assert!(message.contains("dropping the actor panicked"), "{message}");
    assert_eq!(handle.stats().panicked_messages, 1);
}

#[test]
fn dead_letters_whose_drop_panics_after_a_handler_panic_are_counted() {
    let (actor, release) = gated(None);
    let handle = spawn(actor);
    hold_inside_handler(&handle);
    handle.send(GatedMsg::Fail(None)).unwrap();
    for _ in 0..2 {
        let bomb = Bomb {
            armed: armed(),
            grenade: false,
        };
        handle.send(GatedMsg::Bomb(bomb)).unwrap();
    }
    release.send(()).unwrap();
    let reason = join_within(&handle);
    assert!(
        matches!(reason, ExitReason::Panicked(ref m) if m == "the handler failed"),
        "{reason:?}"
    );
    let stats = handle.stats();
    assert_eq!(
        (stats.handled, stats.panicked_messages, stats.dead_letters),
        (1, 1, 2)
    );
}

#[test]
fn a_factory_whose_captures_panic_when_dropped_at_the_end_is_reported() {
    let bomb = Bomb {
        armed: armed(),
        grenade: false,
    };
    let handle = spawn_supervised(
        move || {
            let _keep = &bomb;
            gated(None).0
        },
        RestartPolicy::default(),
    );
    handle.stop();
    let reason = join_within(&handle);
    assert!(
        reason.to_string().contains("dropping the factory panicked"),
        "{reason}"
    );
}

#[test]
fn a_stopped_hook_that_panics_is_reported_in_the_exit_reason() {
    struct Sore;
    impl Actor for Sore {
        type Message = ();
        fn handle(&mut self, (): (), _: &mut Context<Self>) {}
        fn stopped(&mut self, _: &ExitReason) {
            panic!("stopped hurts");
        }
    }
    let handle = spawn(Sore);
    handle.kill();
    assert_eq!(
        join_within(&handle),
        ExitReason::CleanupPanicked {
            reason: Box::new(ExitReason::Killed),
            panic: "`stopped` panicked: stopped hurts".into()
        }
    );
    assert_eq!(
        handle
            .last_panic()
            .as_deref()
            .map(|m| m.contains("stopped hurts")),
        Some(true)
    );
}

/// A request whose `Drop` panics (unless it was answered or the thread
/// already unwinds).
struct Request(Option<Reply<u8>>);

impl Drop for Request {
    fn drop(&mut self) {
        if self.0.is_some() && !thread::panicking() {
            panic!("the refused request's drop panics");
        }
    }
}

struct Answers;

impl Actor for Answers {
    type Message = Request;
    fn handle(&mut self, mut request: Request, _: &mut Context<Self>) {
        if let Some(reply) = request.0.take() {
            reply.send(1);
        }
    }
}

/// An ask whose request the mailbox refuses drops that request itself: a
/// panic of its `Drop` is caught and reported in `last_panic`, and the ask
/// still returns its error. Before, the panic came out of `ask` in place
/// of `AskError::Closed` (a break run).
#[test]
fn an_asks_refused_request_whose_drop_panics_still_gives_the_error() {
    let answers = spawn(Answers);
    assert_eq!(answers.ask(|reply| Request(Some(reply)), PATIENCE), Ok(1));
    answers.stop();
    join_within(&answers);
    let asked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        answers.ask(|reply| Request(Some(reply)), PATIENCE)
    }));
    assert_eq!(
        asked.ok(),
        Some(Err(AskError::Closed)),
        "an error, not a panic"
    );
    assert!(answers
        .last_panic()
        .is_some_and(|panic| panic.contains("the refused request's drop panics")));
}

/// An answer whose `Drop` panics.
struct LateAnswer;

impl Drop for LateAnswer {
    fn drop(&mut self) {
        panic!("the late answer's drop panics");
    }
}

/// Answers after `delay`, whether or not the asker still waits.
struct Slow {
    delay: Duration,
}

impl Actor for Slow {
    type Message = Reply<LateAnswer>;
    fn handle(&mut self, reply: Reply<LateAnswer>, _: &mut Context<Self>) {
        thread::sleep(self.delay);
        reply.send(LateAnswer);
    }
}

/// An answer that arrives after its asker timed out is dropped where it
/// lands: before, a panic of its `Drop` there failed the actor that
/// answered (its handler had done its job), or, when the asker freed it,
/// came out of `ask` instead of `Timeout` and killed an asking actor (a
/// break run, 2026-12-01).
#[test]
#[cfg_attr(
    miri,
    ignore = "timing: miri's clock lets the slow answer arrive before the timeout"
)]
fn an_answer_whose_drop_panics_after_its_asker_timed_out_fails_neither_side() {
    let slow = spawn(Slow {
        delay: Duration::from_millis(50),
    });
    for _ in 0..3 {
        let asked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slow.ask(|reply| reply, Duration::from_millis(1))
        }));
        assert_eq!(
            asked.ok().map(|answer| answer.err()),
            Some(Some(AskError::Timeout))
        );
    }
    // Each late answer dropped on the actor's thread, caught.
    thread::sleep(Duration::from_millis(300));
    assert!(slow.is_alive(), "the actor failed on a late answer");
    slow.stop();
    assert_eq!(join_within(&slow), ExitReason::Normal);
    assert_eq!(slow.stats().panicked_messages, 0);
    assert_eq!(slow.stats().handled, 3);

    // The asker's side: answers racing the timeout, so that some land
    // between it and the drop of the asker's end (35 to 46 in 200,000 in
    // the break run). Never a panic out of `ask`.
    let quick = spawn(Slow {
        delay: Duration::ZERO,
    });
    for round in 0..20_000 {
        let timeout = Duration::from_micros(round % 50);
        let asked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            quick.ask(|reply| reply, timeout)
        }));
        match asked {
            // Not dropped: each would panic (and print) here.
            Ok(answer) => std::mem::forget(answer),
            Err(_) => panic!("ask panicked in round {round}"),
        }
    }
    quick.stop();
    assert_eq!(join_within(&quick), ExitReason::Normal);
    assert_eq!(quick.stats().panicked_messages, 0);
}
