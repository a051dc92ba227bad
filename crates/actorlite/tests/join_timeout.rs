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
