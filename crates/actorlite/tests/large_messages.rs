//! Messages of a mebibyte: only the actor's thread carries them by value
//! (the docs send users to `ActorBuilder::stack_size` for it); dropping an
//! actor's last handle, on any thread, moves none through that thread's
//! stack.

use std::thread;

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
