//! Messages of a mebibyte: only the actor's thread carries them by value
//! (the docs send users to `ActorBuilder::stack_size` for it); dropping an
//! actor's last handle, on any thread, moves none through that thread's
//! stack.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;
use std::time::Duration;

use actorlite::{Actor, ActorBuilder, Context, ExitReason, Mailbox, SpawnError};

const MESSAGE: usize = 1 << 20;

struct Sink;

impl Actor for Sink {
    type Message = [u8; MESSAGE];
    fn handle(&mut self, _: [u8; MESSAGE], _: &mut Context<Self>) {}
}

/// Spawns, stops and joins a `Sink` on a big stack, then drops its last
/// handle on a thread whose stack is a quarter of one message.
fn last_handle_dropped_on_a_small_stack(mailbox: Mailbox) {
    let handle = ActorBuilder::new()
        .mailbox(mailbox)
        .stack_size(64 << 20)
        .spawn(Sink)
        .unwrap();
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
    let dropper = thread::Builder::new()
        .stack_size(MESSAGE / 4)
        .spawn(move || drop(handle))
        .unwrap();
    // Before the fix, an unbounded mailbox's drop took its (absent)
    // messages out through the dropping thread's stack: the process
    // aborted with a stack overflow here.
    dropper.join().unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn the_last_handle_of_an_unbounded_actor_of_1_mib_messages_drops_on_a_small_stack() {
    last_handle_dropped_on_a_small_stack(Mailbox::Unbounded);
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn the_last_handle_of_a_bounded_actor_of_1_mib_messages_drops_on_a_small_stack() {
    last_handle_dropped_on_a_small_stack(Mailbox::Bounded(4));
}

/// An actor whose messages are larger than the stack std gives a thread.
struct SmallSink;

const HUGE: usize = 64 << 20;

impl Actor for SmallSink {
    type Message = Box<[u8; 1]>;
    fn handle(&mut self, _: Box<[u8; 1]>, _: &mut Context<Self>) {}
}

struct HugeMessages;

impl Actor for HugeMessages {
    type Message = [u8; HUGE];
    fn handle(&mut self, _: [u8; HUGE], _: &mut Context<Self>) {}
}

#[test]
fn an_actor_whose_message_outgrows_its_stack_is_refused_with_a_typed_error() {
    // Before the check, the actor's thread overflowed its stack as it
    // started and the process aborted.
    let error = ActorBuilder::new().spawn(HugeMessages).unwrap_err();
    let SpawnError::StackTooSmall { size, stack } = error else {
        panic!("expected StackTooSmall, got {error:?}");
    };
    assert_eq!(size, HUGE);
    assert_eq!(stack, atomics_kit::default_thread_stack());
    assert!(error.to_string().contains("stack_size"), "{error}");
    // The bound follows `stack_size`.
    let error = ActorBuilder::new()
        .stack_size(HUGE / 2)
        .spawn_supervised(|| HugeMessages, actorlite::RestartPolicy::default())
        .unwrap_err();
    assert!(matches!(error, SpawnError::StackTooSmall { stack, .. } if stack == HUGE / 2));
    // A small actor and message on the same builder spawns.
    let handle = ActorBuilder::new()
        .stack_size(HUGE / 2)
        .spawn(SmallSink)
        .unwrap();
    handle.stop();
    assert_eq!(handle.join(), ExitReason::Normal);
}

/// Messages of `N` bytes, counted; answers its count.
struct Frames<const N: usize>(u64);

impl<const N: usize> Actor for Frames<N> {
    type Message = ([u8; N], Option<actorlite::Reply<u64>>);
    fn handle(&mut self, (frame, reply): Self::Message, _: &mut Context<Self>) {
        self.0 += u64::from(frame[N - 1]);
        if let Some(reply) = reply {
            reply.send(self.0);
        }
    }
}

/// Runs `body` on a thread with a stack for messages of a few MiB.
fn on_a_big_stack(body: impl FnOnce() + Send + 'static) {
    thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(body)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn a_message_of_a_32nd_of_the_stack_is_refused_and_one_below_it_is_carried() {
    // A break run: a 512 KiB message type on the default 2 MiB stack was
    // accepted, and the idle actor's thread overflowed its stack (the
    // process aborted); a debug build's did from a 16th of the stack.
    let stack = 2 << 20;
    let error = ActorBuilder::new()
        .stack_size(stack)
        .spawn(Frames::<{ 64 << 10 }>(0))
        .unwrap_err();
    assert!(
        matches!(error, SpawnError::StackTooSmall { size, stack: given } if given == stack && size > 64 << 10),
        "{error:?}"
    );
    on_a_big_stack(move || {
        let handle = ActorBuilder::new()
            .stack_size(stack)
            .spawn(Frames::<{ 48 << 10 }>(0))
            .unwrap();
        for _ in 0..3 {
            handle.send(([1; 48 << 10], None)).unwrap();
        }
        let total = handle.ask(
            |reply| ([1; 48 << 10], Some(reply)),
            Duration::from_secs(10),
        );
        assert_eq!(total, Ok(4));
        handle.stop();
        assert_eq!(handle.join(), ExitReason::Normal);
    });
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn a_timer_carries_a_512_kib_message_to_an_actor_given_a_stack_for_it() {
    // A break run: the timer thread had std's default 2 MiB stack, and a
    // 1 MiB timed message overflowed it (the process aborted), though its
    // actor had a 64 MiB stack.
    on_a_big_stack(|| {
        let handle = ActorBuilder::new()
            .stack_size(32 << 20)
            .spawn(Frames::<{ 512 << 10 }>(0))
            .unwrap();
        handle
            .send_after(Duration::from_millis(1), ([2; 512 << 10], None))
            .detach();
        let _ticks = handle.send_interval(Duration::from_millis(1), || ([3; 512 << 10], None));
        while handle.stats().handled < 3 {
            thread::yield_now();
        }
        handle.stop();
        assert_eq!(handle.join(), ExitReason::Normal);
    });
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn a_timer_refuses_a_1_mib_message_with_a_panic_on_the_caller() {
    on_a_big_stack(|| {
        let handle = ActorBuilder::new()
            .stack_size(64 << 20)
            .spawn(Frames::<{ 1 << 20 }>(0))
            .unwrap();
        let refused = catch_unwind(AssertUnwindSafe(|| {
            handle
                .send_after(Duration::from_millis(1), ([2; 1 << 20], None))
                .detach();
        }));
        let message = atomics_kit::panic_message(refused.unwrap_err());
        assert!(message.contains("timer"), "{message}");
        let refused = catch_unwind(AssertUnwindSafe(|| {
            let _ticks = handle.send_interval(Duration::from_millis(1), || ([3; 1 << 20], None));
        }));
        assert!(refused.is_err());
        // Nothing was scheduled; the actor still takes the message directly.
        handle.send(([1; 1 << 20], None)).unwrap();
        handle.stop();
        assert_eq!(handle.join(), ExitReason::Normal);
        assert_eq!(handle.stats().handled, 1);
    });
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn a_monitor_refuses_a_message_too_large_for_the_watched_actors_stack() {
    // A break run: the watcher's 48 KiB message, built on a watched actor
    // of the smallest stack (64 KiB), overflowed it; the process aborted.
    let watched = ActorBuilder::new().stack_size(0).spawn(SmallSink).unwrap();
    let watcher = ActorBuilder::new()
        .stack_size(16 << 20)
        .spawn(Frames::<{ 4 << 10 }>(0))
        .unwrap();
    let refused = catch_unwind(AssertUnwindSafe(|| {
        watched.monitor(&watcher.recipient(), |_| ([5; 4 << 10], None));
    }));
    let message = atomics_kit::panic_message(refused.unwrap_err());
    assert!(message.contains("monitor"), "{message}");
    // A watched actor with the stack for it accepts the same monitor.
    let roomy = ActorBuilder::new().spawn(SmallSink).unwrap();
    roomy.monitor(&watcher.recipient(), |_| ([5; 4 << 10], None));
    roomy.stop();
    roomy.join();
    while watcher.stats().handled == 0 {
        thread::yield_now();
    }
    watched.stop();
    watched.join();
    watcher.stop();
    assert_eq!(watcher.join(), ExitReason::Normal);
}
