//! Every fault a typed error, nothing hangs: panics with and without
//! supervision, sends after stop, asks of a dead actor, dropped replies,
//! stop while senders are busy, an actor dropping its own handle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use fearless_test_support::on_tiny_default_stacks;

use actorlite::{
    spawn, spawn_supervised, Actor, ActorBuilder, ActorHandle, AskError, Context, ExitReason,
    Mailbox, Reply, RestartPolicy, SendError, SendTimeoutError, SpawnError, TrySendError,
};

const PATIENCE: Duration = Duration::from_secs(10);

/// Adds numbers; panics on 13; answers its total; counts its `stopped`.
struct Adder {
    total: u64,
    stopped: Arc<Mutex<Vec<ExitReason>>>,
}

enum Msg {
    Add(u64),
    Total(Reply<u64>),
    Ignore(Reply<u64>),
}

impl Actor for Adder {
    type Message = Msg;
    fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
        match msg {
            Msg::Add(13) => panic!("thirteen"),
            Msg::Add(n) => self.total += n,
            Msg::Total(reply) => reply.send(self.total),
            Msg::Ignore(reply) => drop(reply),
        }
    }
    fn stopped(&mut self, reason: &ExitReason) {
        self.stopped.lock().unwrap().push(reason.clone());
    }
}

fn adder() -> (Adder, Arc<Mutex<Vec<ExitReason>>>) {
    let stopped = Arc::new(Mutex::new(Vec::new()));
    (
        Adder {
            total: 0,
            stopped: Arc::clone(&stopped),
        },
        stopped,
    )
}

#[test]
fn a_panicking_handler_stops_an_unsupervised_actor_with_the_message() {
    let (actor, stopped) = adder();
    let handle = spawn(actor);
    handle.send(Msg::Add(1)).unwrap();
    handle.send(Msg::Add(13)).unwrap();
    assert_eq!(handle.join(), ExitReason::Panicked("thirteen".into()));
    assert!(!handle.is_alive());
    // The panicked instance's `stopped` is not run: its state may be broken.
    assert!(stopped.lock().unwrap().is_empty());
    let stats = handle.stats();
    assert_eq!((stats.handled, stats.panicked_messages), (1, 1));
    assert!(matches!(
        handle.send(Msg::Add(2)),
        Err(SendError(Msg::Add(2)))
    ));
    assert_eq!(handle.ask(Msg::Total, PATIENCE), Err(AskError::Closed));
}

#[test]
fn a_supervised_actor_restarts_fresh_and_keeps_the_messages_behind_the_failing_one() {
    let stops = Arc::new(Mutex::new(Vec::new()));
    let factory = {
        let stops = Arc::clone(&stops);
        move || Adder {
            total: 100,
            stopped: Arc::clone(&stops),
        }
    };
    let handle = spawn_supervised(
        factory,
        RestartPolicy {
            max_restarts: 3,
            within: Duration::from_secs(60),
        },
    );
    handle.send(Msg::Add(1)).unwrap();
    handle.send(Msg::Add(13)).unwrap();
    handle.send(Msg::Add(5)).unwrap();
    // Fresh state (100) plus the message queued behind the panic (5).
    assert_eq!(handle.ask(Msg::Total, PATIENCE), Ok(105));
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    let stats = handle.stats();
    assert_eq!(
        (stats.restarts, stats.panicked_messages, stats.handled),
        (1, 1, 3)
    );
    assert_eq!(
        *stops.lock().unwrap(),
        [ExitReason::Normal],
        "the replacement's stopped ran"
    );
}

#[test]
fn past_the_restart_budget_a_supervised_actor_stops_panicked_and_queued_messages_are_dead_letters()
{
    let handle = spawn_supervised(
        || adder().0,
        RestartPolicy {
            max_restarts: 1,
            within: Duration::from_secs(60),
        },
    );
    handle.send(Msg::Add(13)).unwrap(); // restart 1
    handle.send(Msg::Add(13)).unwrap(); // over budget
    let mut accepted_after = 0;
    for _ in 0..10 {
        if handle.send(Msg::Add(1)).is_ok() {
            accepted_after += 1;
        }
    }
    assert_eq!(handle.join(), ExitReason::Panicked("thirteen".into()));
    let stats = handle.stats();
    assert_eq!(stats.restarts, 1);
    assert_eq!(stats.panicked_messages, 2);
    assert_eq!(
        stats.handled + stats.dead_letters,
        accepted_after,
        "every accepted message accounted for"
    );
}

#[test]
fn send_after_stop_gives_the_message_back_in_every_flavour() {
    let (actor, stopped) = adder();
    let handle = spawn(actor);
    handle.stop();
    assert!(matches!(
        handle.send(Msg::Add(1)),
        Err(SendError(Msg::Add(1)))
    ));
    assert!(matches!(
        handle.try_send(Msg::Add(2)),
        Err(TrySendError::Closed(Msg::Add(2)))
    ));
    assert!(matches!(
        handle.send_timeout(Msg::Add(3), Duration::from_millis(1)),
        Err(SendTimeoutError::Closed(Msg::Add(3)))
    ));
    assert_eq!(handle.join(), ExitReason::Normal);
    assert_eq!(*stopped.lock().unwrap(), [ExitReason::Normal]);
    assert_eq!(
        SendError(0).to_string(),
        "the actor has stopped; the message was not delivered"
    );
}

#[test]
fn asking_a_dead_actor_or_one_that_drops_the_reply_is_an_error_not_a_hang() {
    let handle = spawn(adder().0);
    assert_eq!(handle.ask(Msg::Ignore, PATIENCE), Err(AskError::NoReply));
    assert_eq!(handle.ask(Msg::Total, PATIENCE), Ok(0));
    handle.kill();
    handle.join();
    assert_eq!(handle.ask(Msg::Total, PATIENCE), Err(AskError::Closed));
}

#[test]
fn ask_times_out_when_the_actor_is_busy() {
    // The actor answers only once the test lets it, after `ask` gave up:
    // the timeout is the only way out, whatever the scheduling.
    struct Gated(Mutex<mpsc::Receiver<()>>);
    impl Actor for Gated {
        type Message = Reply<()>;
        fn handle(&mut self, reply: Reply<()>, _: &mut Context<Self>) {
            self.0.lock().unwrap().recv().unwrap();
            reply.send(());
        }
    }
    let (release, gate) = mpsc::channel();
    let handle = spawn(Gated(Mutex::new(gate)));
    assert_eq!(
        handle.ask(|r| r, Duration::from_millis(1)),
        Err(AskError::Timeout)
    );
    assert_eq!(
        AskError::Timeout.to_string(),
        "the actor did not reply in time"
    );
    release.send(()).unwrap(); // the late answer is dropped
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
}

/// Three threads send to an adder with a small bounded mailbox while
/// `interrupt` stops or kills it; returns the handle (joined) and how many
/// sends were accepted.
fn sends_racing(interrupt: impl FnOnce(&ActorHandle<Adder>)) -> (ActorHandle<Adder>, u64) {
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(4))
        .spawn(adder().0)
        .unwrap();
    let accepted = AtomicUsize::new(0);
    let per_sender = if cfg!(miri) { 20 } else { 2_000 };
    thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..per_sender {
                    if handle.send(Msg::Add(1)).is_ok() {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        thread::yield_now();
        interrupt(&handle);
    });
    let accepted = accepted.load(Ordering::Relaxed) as u64;
    (handle, accepted)
}

#[test]
fn concurrent_stop_while_senders_are_busy_loses_nothing() {
    let (handle, accepted) = sends_racing(ActorHandle::stop);
    assert_eq!(handle.join(), ExitReason::Normal);
    let stats = handle.stats();
    assert_eq!(
        stats.handled, accepted,
        "a graceful stop handles every accepted message"
    );
    assert_eq!(stats.dead_letters, 0);
}

#[test]
fn concurrent_kill_while_senders_are_busy_counts_every_unhandled_message() {
    let (handle, accepted) = sends_racing(ActorHandle::kill);
    assert_eq!(handle.join(), ExitReason::Killed);
    let stats = handle.stats();
    assert_eq!(stats.handled + stats.dead_letters, accepted);
}

#[test]
fn dropping_every_handle_stops_the_actor_after_its_queue() {
    let (actor, stopped) = adder();
    let handle = spawn(actor);
    handle.send(Msg::Add(1)).unwrap();
    drop(handle);
    for _ in 0..1_000 {
        if !stopped.lock().unwrap().is_empty() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(*stopped.lock().unwrap(), [ExitReason::Normal]);
}

#[test]
fn an_actor_that_drops_its_own_handle_keeps_running_for_the_others() {
    struct SelfAware;
    impl Actor for SelfAware {
        type Message = Reply<bool>;
        fn handle(&mut self, reply: Reply<bool>, ctx: &mut Context<Self>) {
            let me = ctx.handle();
            drop(me); // another handle (the test's) is still alive
            reply.send(true);
        }
    }
    let handle = spawn(SelfAware);
    assert_eq!(handle.ask(|r| r, PATIENCE), Ok(true));
    assert_eq!(handle.ask(|r| r, PATIENCE), Ok(true));
    assert!(handle.is_alive());
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
}

#[test]
fn join_from_the_actors_own_thread_panics_in_the_handler_instead_of_hanging() {
    struct Joiner;
    impl Actor for Joiner {
        type Message = ();
        fn handle(&mut self, _: (), ctx: &mut Context<Self>) {
            ctx.handle().join();
        }
    }
    let handle = spawn(Joiner);
    handle.send(()).unwrap();
    match handle.join() {
        ExitReason::Panicked(message) => assert!(message.contains("wait for itself"), "{message}"),
        other => panic!("expected a panic, got {other:?}"),
    }
}

#[test]
fn try_send_on_a_full_mailbox_and_send_timeout_give_the_message_back() {
    struct Gated(mpsc::Receiver<()>);
    impl Actor for Gated {
        type Message = u8;
        fn handle(&mut self, _: u8, _: &mut Context<Self>) {
            self.0.recv().unwrap();
        }
    }
    let (release, gate) = mpsc::channel();
    let handle = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(1))
        .spawn(Gated(gate))
        .unwrap();
    handle.send(1).unwrap();
    while handle.mailbox_len() != 0 {
        thread::yield_now();
    }
    handle.send(2).unwrap();
    assert_eq!(handle.try_send(3), Err(TrySendError::Full(3)));
    assert_eq!(
        handle.send_timeout(4, Duration::from_millis(5)),
        Err(SendTimeoutError::Timeout(4))
    );
    release.send(()).unwrap();
    release.send(()).unwrap();
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    assert_eq!(handle.stats().handled, 2);
}

#[test]
fn zero_capacity_mailbox_is_an_error() {
    let error = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(0))
        .spawn(adder().0)
        .unwrap_err();
    assert!(matches!(error, SpawnError::InvalidSize(e) if e.argument() == "mailbox capacity"));
    assert_eq!(
        error.to_string(),
        "cannot spawn the actor: `mailbox capacity` must be at least 1, not 0"
    );
}

#[test]
fn a_panic_in_started_counts_as_the_actors_failure() {
    struct BadStart;
    impl Actor for BadStart {
        type Message = ();
        fn handle(&mut self, _: (), _: &mut Context<Self>) {}
        fn started(&mut self, _: &mut Context<Self>) {
            panic!("no start");
        }
    }
    let handle = spawn(BadStart);
    assert_eq!(handle.join(), ExitReason::Panicked("no start".into()));
    let supervised = spawn_supervised(
        || BadStart,
        RestartPolicy {
            max_restarts: 2,
            within: Duration::from_secs(60),
        },
    );
    assert_eq!(supervised.join(), ExitReason::Panicked("no start".into()));
    assert_eq!(supervised.stats().restarts, 2);
}

#[test]
fn asking_with_the_longest_timeout_waits_for_the_answer() {
    struct Echo;
    impl Actor for Echo {
        type Message = (u32, Reply<u32>);
        fn handle(&mut self, (n, reply): (u32, Reply<u32>), _: &mut Context<Self>) {
            reply.send(n);
        }
    }
    let echo = actorlite::spawn(Echo);
    assert_eq!(echo.ask(|reply| (7, reply), Duration::MAX), Ok(7));
}

/// An actor asking itself: its handler would wait for an answer only that
/// same handler could give. With `Duration::MAX` that hung the actor for
/// good (and `kill` could not reach it); now the ask fails at once, by
/// handle and by recipient, sends nothing, and the actor goes on.
#[test]
fn an_actor_asking_itself_gets_an_error_at_once_instead_of_hanging() {
    enum Msg {
        AskMyself,
        Echo(u32, Reply<u32>),
    }
    struct Narcissus {
        outcomes: mpsc::Sender<(Result<u32, AskError>, Result<u32, AskError>)>,
    }
    impl Actor for Narcissus {
        type Message = Msg;
        fn handle(&mut self, message: Msg, ctx: &mut Context<Self>) {
            match message {
                Msg::AskMyself => {
                    let by_handle = ctx.handle().ask(|reply| Msg::Echo(1, reply), Duration::MAX);
                    let recipient = ctx.handle().recipient();
                    let by_recipient = recipient.ask(|reply| Msg::Echo(2, reply), Duration::MAX);
                    self.outcomes.send((by_handle, by_recipient)).unwrap();
                }
                Msg::Echo(n, reply) => reply.send(n),
            }
        }
    }
    let (outcomes, results) = mpsc::channel();
    let actor = spawn(Narcissus { outcomes });
    actor.send(Msg::AskMyself).unwrap();
    let (by_handle, by_recipient) = results
        .recv_timeout(PATIENCE)
        .expect("the actor hung asking itself");
    assert_eq!(by_handle, Err(AskError::OwnThread));
    assert_eq!(by_recipient, Err(AskError::OwnThread));
    assert!(AskError::OwnThread.to_string().contains("own thread"));
    // Still serving others, and the refused asks sent nothing.
    assert_eq!(actor.ask(|reply| Msg::Echo(3, reply), PATIENCE), Ok(3));
    actor.stop();
    assert_eq!(actor.join(), ExitReason::Normal);
    let stats = actor.stats();
    assert_eq!((stats.handled, stats.dead_letters), (2, 0));
}

#[test]
fn a_spawn_error_shows_its_cause_once_in_a_printed_chain() {
    // The cause's text is in the message, so `source` is `None`: a printer
    // walking the chain (anyhow's `{:#}`) would show it twice otherwise.
    let zero = ActorBuilder::new()
        .mailbox(actorlite::Mailbox::Bounded(0))
        .spawn(adder().0)
        .unwrap_err();
    let SpawnError::InvalidSize(ref size) = zero else {
        panic!("{zero:?}");
    };
    let spawn = SpawnError::Spawn(std::io::Error::other("no threads left"));
    for (error, cause) in [
        (&zero, size.to_string()),
        (&spawn, "no threads left".into()),
    ] {
        assert!(std::error::Error::source(error).is_none(), "{error:?}");
        assert!(error.to_string().contains(&cause), "{error}");
    }
}

#[test]
fn a_name_with_a_nul_byte_is_refused_with_a_typed_error() {
    let error = ActorBuilder::new()
        .name("bad\0name")
        .spawn(adder().0)
        .unwrap_err();
    assert!(matches!(error, SpawnError::InvalidName(ref name) if name == "bad\0name"));
    assert!(error.to_string().contains("NUL"), "{error}");
}

/// A message bigger than a default thread's stack allows when passed by
/// value a few frames deep (2 MiB: a break run's 512 KiB message aborted
/// the process in release, 128 KiB in debug).
const BIG: usize = if cfg!(miri) { 1 << 12 } else { 1 << 20 };

/// Takes big frames by value and adds up their first bytes.
struct Frames(Arc<AtomicUsize>);

impl Actor for Frames {
    type Message = Box<[u8; BIG]>;
    fn handle(&mut self, frame: Box<[u8; BIG]>, _: &mut Context<Self>) {
        self.0.fetch_add(usize::from(frame[0]), Ordering::Relaxed);
    }
}

/// The same frames unboxed: by value all the way into `handle`.
struct UnboxedFrames(Arc<AtomicUsize>);

impl Actor for UnboxedFrames {
    type Message = [u8; BIG];
    fn handle(&mut self, frame: [u8; BIG], _: &mut Context<Self>) {
        self.0.fetch_add(usize::from(frame[0]), Ordering::Relaxed);
    }
}

#[test]
fn a_big_message_by_value_is_handled_on_a_stack_sized_for_it() {
    let sum = Arc::new(AtomicUsize::new(0));
    // The sending side on a big stack too: the message is built there.
    let sender = thread::Builder::new().stack_size(64 << 20);
    let actor_sum = Arc::clone(&sum);
    let stats = sender
        .spawn(move || {
            let actor = ActorBuilder::new()
                .mailbox(Mailbox::Bounded(1))
                .stack_size(64 << 20)
                .spawn(UnboxedFrames(actor_sum))
                .unwrap();
            for byte in 1..=3 {
                actor
                    .send([byte; BIG])
                    .unwrap_or_else(|_| panic!("refused"));
            }
            actor.stop();
            assert_eq!(actor.join(), ExitReason::Normal);
            actor.stats()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!((stats.handled, sum.load(Ordering::Relaxed)), (3, 6));
    // Boxed, the default stack does.
    let actor = spawn(Frames(Arc::clone(&sum)));
    actor.send(vec![7; BIG].try_into().unwrap()).unwrap();
    actor.stop();
    assert_eq!(actor.join(), ExitReason::Normal);
    assert_eq!(sum.load(Ordering::Relaxed), 13);
}

#[test]
#[cfg_attr(miri, ignore = "miri's threads ignore the stack size asked for")]
fn a_stack_size_no_thread_can_have_is_a_typed_error_and_drops_the_first_instance() {
    for bytes in [usize::MAX, 1 << 60] {
        let error = ActorBuilder::new()
            .stack_size(bytes)
            .spawn(adder().0)
            .unwrap_err();
        assert!(matches!(error, SpawnError::Spawn(_)), "{error:?}");
        assert!(error.to_string().contains("could not start"), "{error}");
        let made = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&made);
        let (alive, gone) = mpsc::channel::<()>();
        let error = ActorBuilder::new()
            .stack_size(bytes)
            .spawn_supervised(
                move || {
                    counter.fetch_add(1, Ordering::Relaxed);
                    // Held by the instance: dropped with it.
                    Holder(alive.clone())
                },
                RestartPolicy::default(),
            )
            .unwrap_err();
        assert!(matches!(error, SpawnError::Spawn(_)), "{error:?}");
        assert_eq!(made.load(Ordering::Relaxed), 1, "the first instance only");
        assert_eq!(
            gone.recv_timeout(PATIENCE),
            Err(mpsc::RecvTimeoutError::Disconnected),
            "the instance and the factory were dropped"
        );
    }
}

#[test]
fn a_tiny_stack_size_is_raised_so_a_panicking_handler_is_caught_not_an_abort() {
    // With the 16 KiB a stack of 0 got, the handler's panic overflowed the
    // stack while unwinding and aborted the whole test binary.
    for bytes in [0, 1, 16 << 10] {
        let handle = ActorBuilder::new()
            .stack_size(bytes)
            .spawn(adder().0)
            .unwrap();
        handle.send(Msg::Add(13)).unwrap();
        assert!(matches!(handle.join(), ExitReason::Panicked(p) if p.contains("thirteen")));
        // Supervised, the actor goes on after the panic.
        let supervised = ActorBuilder::new()
            .stack_size(bytes)
            .spawn_supervised(|| adder().0, RestartPolicy::default())
            .unwrap();
        supervised.send(Msg::Add(13)).unwrap();
        supervised.send(Msg::Add(2)).unwrap();
        assert_eq!(supervised.ask(Msg::Total, PATIENCE), Ok(2));
        supervised.stop();
        assert_eq!(supervised.join(), ExitReason::Normal);
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs a child process")]
fn a_tiny_rust_min_stack_is_raised_too_so_a_panicking_handler_is_caught() {
    // As for a tiny `stack_size`: a `RUST_MIN_STACK` below 64 KiB gets
    // 64 KiB (a break run of channels-patterns' pool aborted at 24 KiB).
    on_tiny_default_stacks(
        "a_tiny_rust_min_stack_is_raised_too_so_a_panicking_handler_is_caught",
        || {
            let handle = spawn(adder().0);
            handle.send(Msg::Add(13)).unwrap();
            assert!(matches!(handle.join(), ExitReason::Panicked(p) if p.contains("thirteen")));
        },
    );
}

/// Holds a sender, so that its drop shows.
struct Holder(#[allow(dead_code)] mpsc::Sender<()>);

impl Actor for Holder {
    type Message = ();
    fn handle(&mut self, (): (), _: &mut Context<Self>) {}
}

#[test]
fn a_mailbox_bound_too_large_to_allocate_is_refused() {
    for capacity in [usize::MAX, 1 << 62, Mailbox::MAX_BOUNDED + 1] {
        let error = ActorBuilder::new()
            .mailbox(Mailbox::Bounded(capacity))
            .spawn(adder().0)
            .unwrap_err();
        assert!(matches!(
            error,
            SpawnError::InvalidSize(e) if e.max() == Some(Mailbox::MAX_BOUNDED)
        ));
    }
}

#[test]
fn a_refused_supervised_spawn_never_calls_the_factory() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let error = ActorBuilder::new()
        .mailbox(Mailbox::Bounded(0))
        .spawn_supervised(
            move || {
                counted.fetch_add(1, Ordering::Relaxed);
                adder().0
            },
            RestartPolicy::default(),
        )
        .unwrap_err();
    assert!(matches!(error, SpawnError::InvalidSize(_)));
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}

/// A panic payload whose own `Drop` panics.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the payload's drop panics too");
    }
}

#[test]
fn a_stopped_hook_panicking_with_a_payload_that_panics_on_drop_still_ends_the_actor() {
    struct Fragile;
    impl Actor for Fragile {
        type Message = ();
        fn handle(&mut self, (): (), _: &mut Context<Self>) {}
        fn stopped(&mut self, _: &ExitReason) {
            std::panic::panic_any(Grenade);
        }
    }
    let actor = actorlite::spawn(Fragile);
    actor.stop();
    // A thread killed by the payload would never record its exit: wait
    // on a thread of its own, which a failing test leaves behind.
    let (joined, done) = mpsc::channel();
    let waiter = actor.clone();
    thread::spawn(move || joined.send(waiter.join()).unwrap());
    let reason = done
        .recv_timeout(Duration::from_secs(20))
        .expect("the actor's thread died in `stopped`");
    assert_eq!(
        reason,
        ExitReason::CleanupPanicked {
            reason: Box::new(ExitReason::Normal),
            panic: "`stopped` panicked: non-string panic payload".into()
        }
    );
    assert!(!actor.is_alive());
}

/// Holds its first message until released, then answers, drops or
/// panics on the asks behind it.
struct Doorman(Mutex<mpsc::Receiver<()>>);

enum Door {
    /// Says it is inside the handler, then waits to be released.
    Wait(mpsc::Sender<()>),
    Answer(Reply<u8>),
    Drop(Reply<u8>),
    Panic(#[allow(dead_code)] Reply<u8>),
}

impl Actor for Doorman {
    type Message = Door;
    fn handle(&mut self, msg: Door, _: &mut Context<Self>) {
        match msg {
            Door::Wait(entered) => {
                entered.send(()).unwrap();
                self.0.lock().unwrap().recv().unwrap();
            }
            Door::Answer(reply) => reply.send(1),
            Door::Drop(reply) => drop(reply),
            Door::Panic(_reply) => panic!("panicked holding the reply"),
        }
    }
}

fn doorman() -> (ActorHandle<Doorman>, mpsc::Sender<()>) {
    let (release, gate) = mpsc::channel();
    (spawn(Doorman(Mutex::new(gate))), release)
}

/// A doorman busy in `Wait`: its mailbox only grows until released. It
/// returns once the handler has begun: a message taken but not yet handled
/// when a kill comes is a dead letter, so an empty mailbox is not enough.
fn busy_doorman() -> (ActorHandle<Doorman>, mpsc::Sender<()>) {
    let (handle, release) = doorman();
    let (entered, inside) = mpsc::channel();
    handle.send(Door::Wait(entered)).unwrap();
    inside.recv_timeout(PATIENCE).unwrap();
    (handle, release)
}

/// Asks a busy doorman on a thread of its own, and returns once the ask is
/// queued; the answer comes back on the returned channel.
fn ask_behind(
    handle: &ActorHandle<Doorman>,
    request: fn(Reply<u8>) -> Door,
) -> mpsc::Receiver<Result<u8, AskError>> {
    let (answered, answer) = mpsc::channel();
    let asker = handle.clone();
    let queued = handle.mailbox_len();
    thread::spawn(move || {
        let _ = answered.send(asker.ask(request, PATIENCE));
    });
    while handle.mailbox_len() <= queued {
        thread::yield_now();
    }
    answer
}

#[test]
fn a_handler_panicking_while_holding_the_reply_gives_no_reply_unsupervised_too() {
    for _ in 0..20 {
        let (handle, _release) = doorman();
        assert_eq!(handle.ask(Door::Panic, PATIENCE), Err(AskError::NoReply));
        assert!(matches!(handle.join(), ExitReason::Panicked(_)));
    }
}

#[test]
fn a_reply_dropped_by_the_handler_during_a_stop_is_no_reply_and_one_never_handled_is_closed() {
    // Graceful stop: the queued asks are handled; one handler drops its
    // reply (NoReply, though the actor is stopping), one answers.
    let (handle, release) = busy_doorman();
    let dropped = ask_behind(&handle, Door::Drop);
    let answered = ask_behind(&handle, Door::Answer);
    handle.stop();
    release.send(()).unwrap();
    assert_eq!(dropped.recv_timeout(PATIENCE), Ok(Err(AskError::NoReply)));
    assert_eq!(answered.recv_timeout(PATIENCE), Ok(Ok(1)));
    assert_eq!(handle.join(), ExitReason::Normal);

    // Kill: the queued ask is a dead letter, never handled: Closed.
    let (handle, release) = busy_doorman();
    let unhandled = ask_behind(&handle, Door::Answer);
    handle.kill();
    release.send(()).unwrap();
    assert_eq!(unhandled.recv_timeout(PATIENCE), Ok(Err(AskError::Closed)));
    assert_eq!(handle.join(), ExitReason::Killed);
    assert_eq!(handle.stats().dead_letters, 1);
}

#[test]
fn mailbox_len_does_not_count_the_wake_up_of_a_stop_or_kill_while_busy() {
    let (handle, release) = busy_doorman();
    handle.stop();
    assert_eq!(handle.mailbox_len(), 0, "nothing queued after stop");
    handle.kill();
    assert_eq!(handle.mailbox_len(), 0, "nothing queued after kill");
    release.send(()).unwrap();
    assert_eq!(handle.join(), ExitReason::Killed);
    assert_eq!(handle.mailbox_len(), 0);

    let (handle, release) = busy_doorman();
    let queued = ask_behind(&handle, Door::Answer);
    handle.stop();
    assert_eq!(handle.mailbox_len(), 1, "the ask, not the wake-up");
    release.send(()).unwrap();
    assert_eq!(queued.recv_timeout(PATIENCE), Ok(Ok(1)));
    assert_eq!(handle.join(), ExitReason::Normal);
}

#[test]
fn the_factorys_first_call_runs_on_the_callers_thread_and_its_panic_reaches_the_caller() {
    let threads = Arc::new(Mutex::new(Vec::new()));
    let factory = {
        let threads = Arc::clone(&threads);
        move || {
            threads.lock().unwrap().push(thread::current().id());
            adder().0
        }
    };
    let handle = spawn_supervised(factory, RestartPolicy::default());
    handle.send(Msg::Add(13)).unwrap();
    assert_eq!(handle.ask(Msg::Total, PATIENCE), Ok(0), "restarted");
    handle.stop();
    handle.join();
    let threads = threads.lock().unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0], thread::current().id(), "first call: here");
    assert_ne!(threads[1], thread::current().id(), "restart: the actor's");

    let refused = std::panic::catch_unwind(|| {
        ActorBuilder::new().spawn_supervised(
            || -> Adder { panic!("no first instance") },
            RestartPolicy::default(),
        )
    });
    let payload = refused.expect_err("the first call's panic is the caller's");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"no first instance"));
}

/// Keeps the reply of a `Keep` in its state; breaks on `Break`.
struct ReplyKeeper(Option<Reply<u8>>);

enum Keeping {
    Keep(Reply<u8>),
    Break,
    Answer(Reply<u8>),
}

impl Actor for ReplyKeeper {
    type Message = Keeping;
    fn handle(&mut self, message: Keeping, _: &mut Context<Self>) {
        match message {
            Keeping::Keep(reply) => self.0 = Some(reply),
            Keeping::Break => panic!("breaks holding a reply"),
            Keeping::Answer(reply) => reply.send(7),
        }
    }
}

#[test]
fn closed_by_a_broken_instance_does_not_say_the_running_actor_stopped() {
    // A break run: the asker got `Closed`, displayed as "the actor has
    // stopped", while the restarted actor went on answering.
    let handle = spawn_supervised(|| ReplyKeeper(None), RestartPolicy::default());
    let asking = handle.clone();
    let asker = thread::spawn(move || asking.ask(Keeping::Keep, PATIENCE));
    while handle.stats().handled == 0 {
        thread::yield_now();
    }
    handle.send(Keeping::Break).unwrap();
    let error = asker.join().unwrap().unwrap_err();
    assert_eq!(error, AskError::Closed);
    assert_eq!(handle.ask(Keeping::Answer, PATIENCE), Ok(7));
    let said = error.to_string();
    assert!(said.contains("before replying"), "{said}");
    assert!(!said.starts_with("the actor has stopped"), "{said}");
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
}

/// Joins its own handle from `started` (`in_started`) or from `stopped`.
struct JoinsItself {
    in_started: bool,
    me: Option<ActorHandle<JoinsItself>>,
}

impl Actor for JoinsItself {
    type Message = ();
    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.in_started {
            ctx.handle().join();
        } else {
            self.me = Some(ctx.handle());
        }
    }
    fn handle(&mut self, (): (), ctx: &mut Context<Self>) {
        ctx.stop();
    }
    fn stopped(&mut self, _: &ExitReason) {
        if let Some(me) = self.me.take() {
            me.join();
        }
    }
}

#[test]
fn join_from_started_or_stopped_panics_there_instead_of_hanging() {
    // `join`'s Panics section names every place of the actor's own thread
    // (a break run found them all guarded; the docs named the handler).
    for in_started in [true, false] {
        let handle = spawn(JoinsItself {
            in_started,
            me: None,
        });
        if !in_started {
            handle.send(()).unwrap();
        }
        let (done, joined) = mpsc::channel();
        let joiner = handle.clone();
        thread::spawn(move || done.send(joiner.join()).unwrap());
        let reason = joined.recv_timeout(PATIENCE).expect("join hung");
        let panic = handle.last_panic().unwrap_or_default();
        assert!(
            panic.contains("wait for itself"),
            "in_started {in_started}: {reason:?}, last panic {panic:?}"
        );
    }
}
