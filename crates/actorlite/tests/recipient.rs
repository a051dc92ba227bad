//! `Recipient<M>`: handles typed by the message, so handles to actors of
//! different types share one collection; they keep the actor alive as
//! handles do, and every message sent through them is accounted for.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use actorlite::{
    spawn, Actor, ActorBuilder, AskError, Context, ExitReason, Mailbox, Recipient, Reply,
    SendTimeoutError, TrySendError, WeakRecipient,
};

/// Generous: only a hang detector.
const PATIENCE: Duration = Duration::from_secs(10);

enum Msg {
    Add(u64),
    Total(Reply<u64>),
}

/// Adds what it gets; reports its total when it stops.
struct Adder {
    total: u64,
    stopped: mpsc::Sender<(u64, ExitReason)>,
}

impl Actor for Adder {
    type Message = Msg;
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Add(n) => self.total += n,
            Msg::Total(reply) => reply.send(self.total),
        }
    }
    fn stopped(&mut self, reason: &ExitReason) {
        let _ = self.stopped.send((self.total, reason.clone()));
    }
}

/// Another actor type taking the same message: counts instead of adding.
struct Tally(u64);

impl Actor for Tally {
    type Message = Msg;
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Add(_) => self.0 += 1,
            Msg::Total(reply) => reply.send(self.0),
        }
    }
}

fn adder() -> (
    actorlite::ActorHandle<Adder>,
    mpsc::Receiver<(u64, ExitReason)>,
) {
    let (stopped, stops) = mpsc::channel();
    (spawn(Adder { total: 0, stopped }), stops)
}

#[test]
fn recipients_of_different_actor_types_share_a_vec_and_send_ask_work() {
    let (adder, _stops) = adder();
    let tally = spawn(Tally(0));
    let all: Vec<Recipient<Msg>> = vec![adder.recipient(), tally.clone().into()];
    for recipient in &all {
        recipient.send(Msg::Add(5)).unwrap();
        assert!(recipient.try_send(Msg::Add(5)).is_ok());
        recipient.send_timeout(Msg::Add(5), PATIENCE).unwrap();
    }
    let totals: Vec<u64> = all
        .iter()
        .map(|r| r.ask(Msg::Total, PATIENCE).unwrap())
        .collect();
    assert_eq!(totals, [15, 3]);
    assert_eq!(all[1].ask(Msg::Total, Duration::MAX), Ok(3), "any Duration");
    assert!(all.iter().all(Recipient::is_alive));
    assert!(format!("{:?}", all[0]).contains("Recipient"));
    assert_eq!(all[1].name(), tally.name());
}

#[test]
fn a_recipient_keeps_the_actor_alive_like_a_handle() {
    let (adder, stops) = adder();
    let recipient = adder.recipient();
    drop(adder); // not the last: the recipient keeps it running
    recipient.send(Msg::Add(2)).unwrap();
    assert_eq!(recipient.ask(Msg::Total, PATIENCE), Ok(2));
    assert!(stops.try_recv().is_err(), "still running");
    let copy = recipient.clone();
    drop(recipient);
    copy.send(Msg::Add(3)).unwrap();
    drop(copy); // the last: stops after its queue
    assert_eq!(stops.recv_timeout(PATIENCE), Ok((5, ExitReason::Normal)));
}

#[test]
fn a_weak_recipient_does_not_keep_the_actor_alive() {
    let (adder, stops) = adder();
    let weak: WeakRecipient<Msg> = adder.recipient().downgrade();
    let strong = weak.upgrade().expect("`adder` lives");
    strong.send(Msg::Add(1)).unwrap();
    drop(strong);
    assert!(format!("{weak:?}").contains("WeakRecipient"));
    drop(adder);
    assert_eq!(stops.recv_timeout(PATIENCE), Ok((1, ExitReason::Normal)));
    assert!(weak.upgrade().is_none());
    assert!(weak.clone().upgrade().is_none());
}

#[test]
fn refused_messages_come_back_through_a_recipient() {
    let (release, gate) = mpsc::channel::<()>();
    let (entered, inside) = mpsc::channel::<()>();
    /// Says it is inside its handler, then waits to be released.
    struct Blocked(mpsc::Sender<()>, mpsc::Receiver<()>);
    impl Actor for Blocked {
        type Message = u32;
        fn handle(&mut self, _: u32, _: &mut Context<Self>) {
            let _ = self.0.send(());
            let _ = self.1.recv();
        }
    }
    let blocked = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(1))
        .spawn(Blocked(entered, gate))
        .unwrap();
    let recipient = blocked.recipient();
    recipient.send(1).unwrap();
    // Not an empty mailbox: a message taken but not yet handled when the
    // kill below comes would be a dead letter.
    inside.recv().unwrap();
    recipient.send(2).unwrap(); // fills the mailbox
    assert_eq!(recipient.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(
        recipient.send_timeout(4, Duration::from_millis(1)),
        Err(SendTimeoutError::Timeout(4))
    );
    blocked.kill();
    release.send(()).unwrap();
    assert_eq!(blocked.join(), ExitReason::Killed);
    assert_eq!(recipient.send(5).unwrap_err().into_inner(), 5);
    assert_eq!(recipient.try_send(6), Err(TrySendError::Closed(6)));
    assert!(!recipient.is_alive());
    let stats = blocked.stats();
    assert_eq!((stats.handled, stats.dead_letters), (1, 1));
}

#[test]
fn asks_through_a_recipient_give_the_handles_errors() {
    struct Forgetful;
    impl Actor for Forgetful {
        type Message = Reply<u8>;
        fn handle(&mut self, reply: Reply<u8>, _: &mut Context<Self>) {
            drop(reply);
        }
    }
    let actor = spawn(Forgetful);
    let recipient = actor.recipient();
    assert_eq!(recipient.ask(|r| r, PATIENCE), Err(AskError::NoReply));
    actor.stop();
    assert_eq!(actor.join(), ExitReason::Normal);
    assert_eq!(recipient.ask(|r| r, PATIENCE), Err(AskError::Closed));
}

#[test]
fn concurrent_sends_through_recipients_are_accounted_exactly() {
    let per_sender: u64 = if cfg!(miri) { 20 } else { 2_000 };
    let (adder, stops) = adder();
    let recipients: Vec<Recipient<Msg>> = (0..3).map(|_| adder.recipient()).collect();
    thread::scope(|s| {
        for recipient in &recipients {
            s.spawn(move || {
                for _ in 0..per_sender {
                    recipient.send(Msg::Add(1)).unwrap();
                }
            });
        }
    });
    // A kill with messages maybe still queued: each one handled or a dead
    // letter, never both, never neither.
    adder.kill();
    assert_eq!(adder.join(), ExitReason::Killed);
    let (total, _) = stops.recv_timeout(PATIENCE).unwrap();
    let stats = adder.stats();
    assert_eq!(stats.handled, total);
    assert_eq!(stats.handled + stats.dead_letters, 3 * per_sender);
    drop(recipients);
}
