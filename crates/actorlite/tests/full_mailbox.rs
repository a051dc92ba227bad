//! Waiting for room in a full bounded mailbox: what a `kill` or `stop`
//! does to the sends still waiting, and a handler's send to its own full
//! mailbox (which only its own thread could ever empty).

use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::Duration;

use actorlite::{
    Actor, ActorBuilder, ActorHandle, Context, ExitReason, Mailbox, SendError, SendTimeoutError,
};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

/// `join` on a thread of its own, so that a hang fails the test.
fn join_within<A: Actor>(handle: &ActorHandle<A>) -> ExitReason {
    let (joined, done) = mpsc::channel();
    let waiter = handle.clone();
    thread::spawn(move || {
        let _ = joined.send(waiter.join());
    });
    done.recv_timeout(PATIENCE).expect("join hung")
}

/// On `Echo(n)`, sends `n` to itself with the flavour asked for, and
/// reports what the send returned.
struct SelfSender {
    filled: mpsc::Sender<()>,
    results: mpsc::Sender<Result<(), u32>>,
    timeout: Option<Duration>,
}

impl Actor for SelfSender {
    type Message = u32;
    fn handle(&mut self, n: u32, ctx: &mut Context<Self>) {
        if n == 0 {
            return;
        }
        let me = ctx.handle();
        // Fill the mailbox (bound 1), then send once more: only this
        // thread could make room.
        me.try_send(0).unwrap();
        self.filled.send(()).unwrap();
        let result = match self.timeout {
            None => me.send(n).map_err(|SendError(n)| n),
            Some(timeout) => me.send_timeout(n, timeout).map_err(|e| e.into_inner()),
        };
        let _ = self.results.send(result);
    }
}

fn self_sender(
    timeout: Option<Duration>,
) -> (ActorHandle<SelfSender>, mpsc::Receiver<Result<(), u32>>) {
    let (results, outcomes) = mpsc::channel();
    let (filled, full) = mpsc::channel();
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(1))
        .spawn(SelfSender {
            filled,
            results,
            timeout,
        })
        .unwrap();
    handle.send(7).unwrap();
    // The handler filled its mailbox and is (about to be) waiting on its
    // own send; a stop or kill before it waits refuses that send the same.
    full.recv_timeout(PATIENCE).unwrap();
    thread::sleep(Duration::from_millis(50));
    (handle, outcomes)
}

#[test]
fn kill_releases_a_handler_waiting_for_room_in_its_own_full_mailbox() {
    for timeout in [None, Some(Duration::MAX)] {
        let (handle, outcomes) = self_sender(timeout);
        handle.kill();
        assert_eq!(join_within(&handle), ExitReason::Killed, "{timeout:?}");
        assert_eq!(outcomes.recv_timeout(PATIENCE), Ok(Err(7)), "given back");
        let stats = handle.stats();
        assert_eq!((stats.handled, stats.dead_letters), (1, 1), "{stats:?}");
    }
}

#[test]
fn stop_releases_a_handler_waiting_for_room_in_its_own_full_mailbox() {
    let (handle, outcomes) = self_sender(None);
    handle.stop();
    assert_eq!(join_within(&handle), ExitReason::Normal);
    assert_eq!(outcomes.recv_timeout(PATIENCE), Ok(Err(7)), "given back");
    let stats = handle.stats();
    assert_eq!((stats.handled, stats.dead_letters), (2, 0), "{stats:?}");
}

/// Says it is inside its handler on its first message, then holds it
/// until released.
struct Held {
    entered: mpsc::Sender<()>,
    gate: Mutex<mpsc::Receiver<()>>,
}

impl Actor for Held {
    type Message = u32;
    fn handle(&mut self, n: u32, _: &mut Context<Self>) {
        if n == 0 {
            let _ = self.entered.send(());
            self.gate.lock().unwrap().recv().unwrap();
        }
    }
}

/// A bound-1 actor busy on its first message, its mailbox full, and a
/// sender (on its own thread) waiting for room with `send(2)`.
fn full_with_a_waiting_sender(
    timeout: Option<Duration>,
) -> (
    ActorHandle<Held>,
    mpsc::Sender<()>,
    mpsc::Receiver<Result<(), u32>>,
) {
    let (release, gate) = mpsc::channel();
    let (entered, inside) = mpsc::channel();
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(1))
        .spawn(Held {
            entered,
            gate: Mutex::new(gate),
        })
        .unwrap();
    handle.send(0).unwrap();
    // Not an empty mailbox: a message taken but not yet handled when a
    // kill comes would be a dead letter.
    inside.recv().unwrap();
    handle.send(1).unwrap();
    let (sent, outcome) = mpsc::channel();
    let sender = handle.clone();
    thread::spawn(move || {
        let result = match timeout {
            None => sender.send(2).map_err(|SendError(n)| n),
            Some(timeout) => sender.send_timeout(2, timeout).map_err(|e| match e {
                SendTimeoutError::Closed(n) => n,
                SendTimeoutError::Timeout(_) => unreachable!("the timeout is the longest"),
            }),
        };
        let _ = sent.send(result);
    });
    // Let the sender get to waiting; whether it did or not, the outcome
    // asserted below is the same (a send after the kill is refused).
    thread::sleep(Duration::from_millis(50));
    (handle, release, outcome)
}

/// A kill or a stop refuses every send not yet in the mailbox, those
/// waiting for room included: the waiting one gets its message back. After
/// a kill the queued message is a dead letter; after a stop both queued
/// before are handled. (Whether the sender was waiting yet or not, the
/// outcome is the same: a send after the request is refused.)
#[test]
fn a_send_waiting_for_room_when_kill_or_stop_comes_gets_its_message_back() {
    type Request = fn(&ActorHandle<Held>);
    let cases: [(Request, ExitReason, (u64, u64)); 2] = [
        (ActorHandle::kill, ExitReason::Killed, (1, 1)),
        (ActorHandle::stop, ExitReason::Normal, (2, 0)),
    ];
    for (request, reason, handled_and_dead) in cases {
        for timeout in [None, Some(Duration::MAX)] {
            let (handle, release, outcome) = full_with_a_waiting_sender(timeout);
            request(&handle);
            release.send(()).unwrap();
            assert_eq!(outcome.recv_timeout(PATIENCE), Ok(Err(2)), "{timeout:?}");
            assert_eq!(join_within(&handle), reason);
            let stats = handle.stats();
            assert_eq!(
                (stats.handled, stats.dead_letters),
                handled_and_dead,
                "{reason:?}: {stats:?}"
            );
        }
    }
}

/// The handle a handler sends to itself through is a handle: while the
/// send waits for room in its own full mailbox, dropping every handle
/// outside requests no stop (the count never reaches zero), so the actor
/// waits on. A weak handle kept outside can still reach it and stop it,
/// as documented on `Context::handle`.
#[test]
fn dropping_every_outside_handle_does_not_release_a_handler_waiting_on_its_own_mailbox() {
    let (handle, outcomes) = self_sender(None);
    let weak = handle.downgrade();
    drop(handle);
    assert_eq!(
        outcomes.recv_timeout(Duration::from_millis(200)),
        Err(mpsc::RecvTimeoutError::Timeout),
        "the send still waits"
    );
    let handle = weak
        .upgrade()
        .expect("the handler's own handle keeps it alive");
    handle.stop();
    assert_eq!(join_within(&handle), ExitReason::Normal);
    assert_eq!(outcomes.recv_timeout(PATIENCE), Ok(Err(7)), "given back");
}
