//! Hammer tests: many senders, every accepted message handled exactly once
//! (or counted), every message value dropped exactly once, with bounded and
//! unbounded mailboxes. Run by `cargo xtask sanitizers` under
//! AddressSanitizer and ThreadSanitizer, and by `cargo xtask miri`: the
//! unbounded mailbox's list of blocks is the crate's own unsafe code, so
//! the tests that race it are named `concurrent_*` and run over many seeds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use actorlite::{
    spawn, spawn_supervised, Actor, ActorBuilder, Context, ExitReason, Mailbox, Reply,
    RestartPolicy,
};

/// `full` natively; under miri, which runs these too (slowly), `miri`.
const fn amount(full: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        full
    }
}

/// A message that counts its drops.
struct Tracked {
    sender: usize,
    seq: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// Records every message it handles; panics on every 50th message of
/// sender 0 when asked to.
struct Recorder {
    seen: Vec<(usize, usize)>,
    fragile: bool,
}

enum Msg {
    Track(Tracked),
    Seen(Reply<Vec<(usize, usize)>>),
}

impl Actor for Recorder {
    type Message = Msg;
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Track(t) => {
                if self.fragile && t.sender == 0 && t.seq % 50 == 49 {
                    panic!("message {} of sender 0", t.seq);
                }
                self.seen.push((t.sender, t.seq));
            }
            Msg::Seen(reply) => reply.send(std::mem::take(&mut self.seen)),
        }
    }
}

/// Sender `sender`'s message number `seq`, counting its drop in `drops`.
fn track(sender: usize, seq: usize, drops: &Arc<AtomicUsize>) -> Msg {
    Msg::Track(Tracked {
        sender,
        seq,
        drops: Arc::clone(drops),
    })
}

fn send_all(
    handle: &actorlite::ActorHandle<Recorder>,
    senders: usize,
    each: usize,
    drops: &Arc<AtomicUsize>,
) {
    thread::scope(|s| {
        for sender in 0..senders {
            s.spawn(move || {
                for seq in 0..each {
                    let message = track(sender, seq, drops);
                    assert!(handle.send(message).is_ok(), "the actor is running");
                }
            });
        }
    });
}

#[test]
fn many_senders_into_a_bounded_mailbox_every_message_handled_once_and_in_order_per_sender() {
    many_senders_every_message_handled_once_and_in_order_per_sender(Mailbox::Bounded(16));
}

#[test]
fn concurrent_senders_into_an_unbounded_mailbox_every_message_handled_once_and_in_order_per_sender()
{
    many_senders_every_message_handled_once_and_in_order_per_sender(Mailbox::Unbounded);
}

/// 4 senders (120 messages under miri: two of the unbounded list's
/// 63-message blocks).
fn many_senders_every_message_handled_once_and_in_order_per_sender(mailbox: Mailbox) {
    let (senders, each) = (4, amount(20_000, 30));
    let drops = Arc::new(AtomicUsize::new(0));
    let handle = ActorBuilder::new()
        .mailbox(mailbox)
        .spawn(Recorder {
            seen: Vec::new(),
            fragile: false,
        })
        .unwrap();
    send_all(&handle, senders, each, &drops);
    let seen = handle.ask(Msg::Seen, Duration::from_secs(60)).unwrap();
    assert_eq!(seen.len(), senders * each);
    assert_eq!(handle.mailbox_len(), 0);
    for sender in 0..senders {
        let order: Vec<usize> = seen
            .iter()
            .filter(|(s, _)| *s == sender)
            .map(|(_, q)| *q)
            .collect();
        assert!(
            order.iter().copied().eq(0..each),
            "sender {sender}: each once, in order"
        );
    }
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    assert_eq!(drops.load(Ordering::SeqCst), senders * each);
}

#[test]
fn supervised_restarts_lose_exactly_the_failing_messages() {
    let (senders, each) = (3, amount(5_000, 100));
    let drops = Arc::new(AtomicUsize::new(0));
    let seen_total = Arc::new(AtomicUsize::new(0));
    let handle = spawn_supervised(
        || Recorder {
            seen: Vec::new(),
            fragile: true,
        },
        RestartPolicy {
            max_restarts: u32::MAX,
            within: Duration::from_secs(3600),
        },
    );
    send_all(&handle, senders, each, &drops);
    // A restart starts fresh: only what the current instance saw is here.
    seen_total.fetch_add(
        handle
            .ask(Msg::Seen, Duration::from_secs(60))
            .unwrap()
            .len(),
        Ordering::SeqCst,
    );
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    let stats = handle.stats();
    let failing = each / 50;
    assert_eq!(stats.panicked_messages as usize, failing);
    assert_eq!(stats.restarts as usize, failing);
    assert_eq!(
        stats.handled as usize,
        senders * each - failing + 1,
        "+1: the Seen request"
    );
    assert_eq!(stats.dead_letters, 0);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        senders * each,
        "every message dropped once, panicked ones too"
    );
}

#[test]
fn killing_under_load_with_a_bounded_mailbox_accounts_for_every_accepted_message() {
    killing_under_load_accounts_for_every_accepted_message(Mailbox::Bounded(8));
}

#[test]
fn concurrent_kill_under_load_with_an_unbounded_mailbox_accounts_for_every_accepted_message() {
    killing_under_load_accounts_for_every_accepted_message(Mailbox::Unbounded);
}

fn killing_under_load_accounts_for_every_accepted_message(mailbox: Mailbox) {
    struct Slowish;
    impl Actor for Slowish {
        type Message = Tracked;
        fn handle(&mut self, _: Tracked, _: &mut Context<Self>) {
            std::hint::black_box(0);
        }
    }
    let each = amount(20_000, 30);
    let drops = Arc::new(AtomicUsize::new(0));
    let accepted = AtomicUsize::new(0);
    let handle = ActorBuilder::new().mailbox(mailbox).spawn(Slowish).unwrap();
    thread::scope(|s| {
        for sender in 0..3 {
            let (handle, drops, accepted) = (&handle, &drops, &accepted);
            s.spawn(move || {
                for seq in 0..each {
                    if handle
                        .send(Tracked {
                            sender,
                            seq,
                            drops: Arc::clone(drops),
                        })
                        .is_ok()
                    {
                        accepted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
        thread::sleep(Duration::from_millis(1));
        handle.kill();
    });
    assert_eq!(handle.join(), ExitReason::Killed);
    let stats = handle.stats();
    assert_eq!(
        (stats.handled + stats.dead_letters) as usize,
        accepted.load(Ordering::SeqCst)
    );
    assert_eq!(handle.mailbox_len(), 0);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3 * each,
        "accepted or refused, every message dropped once"
    );
}

#[test]
fn concurrent_ask_from_many_threads_gets_every_answer() {
    struct Echo;
    impl Actor for Echo {
        type Message = (usize, Reply<usize>);
        fn handle(&mut self, (n, reply): Self::Message, _: &mut Context<Self>) {
            reply.send(n);
        }
    }
    let handle = spawn(Echo);
    let each = amount(2_000, 10);
    thread::scope(|s| {
        for t in 0..4 {
            let handle = &handle;
            s.spawn(move || {
                for i in 0..each {
                    let n = t * each + i;
                    assert_eq!(handle.ask(|r| (n, r), Duration::from_secs(60)), Ok(n));
                }
            });
        }
    });
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    assert_eq!(handle.stats().handled as usize, 4 * each);
}

#[test]
fn concurrent_stop_while_senders_fill_an_unbounded_mailbox_handles_every_accepted_message() {
    let each = amount(20_000, 30);
    let drops = Arc::new(AtomicUsize::new(0));
    let (accepted, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Unbounded)
        .spawn(Recorder {
            seen: Vec::new(),
            fragile: false,
        })
        .unwrap();
    thread::scope(|s| {
        for sender in 0..3 {
            let (handle, drops) = (&handle, &drops);
            let (accepted, refused) = (&accepted, &refused);
            s.spawn(move || {
                for seq in 0..each {
                    if handle.send(track(sender, seq, drops)).is_err() {
                        // Refused once closed: the message came back, and
                        // was dropped here.
                        refused.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        thread::yield_now();
        handle.stop();
    });
    assert_eq!(handle.join(), ExitReason::Normal);
    let stats = handle.stats();
    let accepted = accepted.load(Ordering::SeqCst);
    assert_eq!(
        stats.handled as usize, accepted,
        "a graceful stop handles what it accepted"
    );
    assert_eq!(stats.dead_letters, 0);
    assert_eq!(handle.mailbox_len(), 0);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        accepted + refused.load(Ordering::SeqCst),
        "accepted or refused, every message dropped once"
    );
}
