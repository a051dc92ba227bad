//! `join_timeout`: the exit reason if the actor stops in time, `None` if
//! not, any `Duration` accepted, never on the actor's own thread.

use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::Duration;

use actorlite::{spawn, Actor, Context, ExitReason};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

struct Held(Mutex<mpsc::Receiver<()>>);

impl Actor for Held {
    type Message = ();
    fn handle(&mut self, (): (), _: &mut Context<Self>) {
        self.0.lock().unwrap().recv().unwrap();
    }
}

#[test]
fn join_timeout_gives_none_while_the_actor_runs_and_the_reason_once_it_stopped() {
    let (release, gate) = mpsc::channel();
    let handle = spawn(Held(Mutex::new(gate)));
    handle.send(()).unwrap();
    handle.stop();
    // Held in its handler until released: it cannot have stopped.
    assert_eq!(handle.join_timeout(Duration::ZERO), None);
    assert_eq!(handle.join_timeout(Duration::from_millis(20)), None);
    assert!(handle.is_alive());
    release.send(()).unwrap();
    assert_eq!(handle.join_timeout(PATIENCE), Some(ExitReason::Normal));
    assert!(!handle.is_alive());
    // Once stopped, every timeout returns the reason at once.
    for timeout in [Duration::ZERO, Duration::MAX] {
        assert_eq!(handle.join_timeout(timeout), Some(ExitReason::Normal));
    }
    assert_eq!(handle.join(), ExitReason::Normal);
}

#[test]
fn join_timeout_with_the_longest_timeout_waits_for_the_stop() {
    let (release, gate) = mpsc::channel();
    let handle = spawn(Held(Mutex::new(gate)));
    handle.send(()).unwrap();
    handle.kill();
    let (joined, done) = mpsc::channel();
    let waiter = handle.clone();
    thread::spawn(move || {
        let _ = joined.send(waiter.join_timeout(Duration::MAX));
    });
    // Killed before it took the message, the actor never waits: then
    // nobody receives this.
    let _ = release.send(());
    assert_eq!(done.recv_timeout(PATIENCE), Ok(Some(ExitReason::Killed)));
}

#[test]
fn join_timeout_from_the_actors_own_thread_panics_in_the_handler() {
    struct Selfish;
    impl Actor for Selfish {
        type Message = ();
        fn handle(&mut self, (): (), ctx: &mut Context<Self>) {
            let _ = ctx.handle().join_timeout(Duration::MAX);
        }
    }
    let handle = spawn(Selfish);
    handle.send(()).unwrap();
    match handle.join_timeout(PATIENCE) {
        Some(ExitReason::Panicked(message)) => {
            assert!(message.contains("wait for itself"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

thread_local! {
    /// Set by `started`: its `Drop` runs as the actor's thread exits.
    static SLOW_TO_DROP: std::cell::RefCell<Option<SlowToDrop>> = const { std::cell::RefCell::new(None) };
}

static SLOW_DROP_DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Takes a while to drop, then says it is done.
struct SlowToDrop;

impl Drop for SlowToDrop {
    fn drop(&mut self) {
        thread::sleep(Duration::from_millis(100));
        SLOW_DROP_DONE.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

struct SetsASlowThreadLocal;

impl Actor for SetsASlowThreadLocal {
    type Message = ();
    fn started(&mut self, _: &mut Context<Self>) {
        SLOW_TO_DROP.with(|slot| *slot.borrow_mut() = Some(SlowToDrop));
    }
    fn handle(&mut self, (): (), _: &mut Context<Self>) {}
}

/// Every `join`, not only the one that reaps the thread, returns after the
/// actor's thread ended (its thread-locals' destructors included). (A
/// second joiner used to return while the first still waited.)
#[test]
fn concurrent_joins_all_return_after_the_actors_thread_ended() {
    let actor = spawn(SetsASlowThreadLocal);
    let joiners: Vec<_> = (0..3)
        .map(|_| {
            let actor = actor.clone();
            thread::spawn(move || {
                actor.join();
                SLOW_DROP_DONE.load(std::sync::atomic::Ordering::SeqCst)
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    actor.stop();
    for joiner in joiners {
        assert!(
            joiner.join().unwrap(),
            "a join returned before the thread ended"
        );
    }
}
