//! `ActorHandle` is `Clone + Send + Sync` (its messages are `Send`, which
//! the `Actor` trait requires); the compile-fail cases in tests/ui show
//! what must not compile.

use actorlite::{
    Actor, ActorHandle, AskError, Context, ExitReason, Recipient, Reply, SendError, SpawnError,
    TimerHandle, WeakRecipient,
};

struct Cellular(std::cell::Cell<u32>);

impl Actor for Cellular {
    // Cell is Send but not Sync: a message is owned by one thread at a time.
    type Message = std::cell::Cell<u32>;
    fn handle(&mut self, message: Self::Message, _: &mut Context<Self>) {
        self.0.set(message.get());
    }
}

fn assert_clone_send_sync<T: Clone + Send + Sync>() {}
fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn handles_are_clone_send_and_sync_and_errors_cross_threads() {
    assert_clone_send_sync::<ActorHandle<Cellular>>();
    assert_clone_send_sync::<Recipient<std::cell::Cell<u32>>>();
    assert_clone_send_sync::<WeakRecipient<std::cell::Cell<u32>>>();
    assert_send::<Reply<String>>();
    assert_send_sync::<TimerHandle>();
    assert_send_sync::<SendError<String>>();
    assert_send_sync::<AskError>();
    assert_send_sync::<ExitReason>();
    assert_send_sync::<SpawnError>();
}

#[test]
#[cfg_attr(miri, ignore = "trybuild runs the compiler")]
fn actors_and_messages_that_are_not_send_are_refused() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
