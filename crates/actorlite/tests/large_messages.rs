//! Messages of a mebibyte: only the actor's thread carries them by value
//! (the docs send users to `ActorBuilder::stack_size` for it); dropping an
//! actor's last handle, on any thread, moves none through that thread's
//! stack.

use std::thread;

use actorlite::{Actor, ActorBuilder, Context, ExitReason, Mailbox};

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
