//! The `Actor` trait.

use crate::context::Context;
use crate::exit_reason::ExitReason;

/// A piece of state owned by one thread, changed only by the messages it
/// handles, one at a time.
///
/// [`spawn`](crate::spawn) moves the actor to its own thread and returns an
/// [`ActorHandle`](crate::ActorHandle) to send it messages.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, Reply};
/// use std::time::Duration;
///
/// struct Counter(u64);
///
/// enum Msg {
///     Add(u64),
///     Get(Reply<u64>),
/// }
///
/// impl Actor for Counter {
///     type Message = Msg;
///
///     fn handle(&mut self, msg: Msg, _ctx: &mut Context<Self>) {
///         match msg {
///             Msg::Add(n) => self.0 += n,
///             Msg::Get(reply) => reply.send(self.0),
///         }
///     }
/// }
///
/// let counter = spawn(Counter(0));
/// counter.send(Msg::Add(2))?;
/// counter.send(Msg::Add(3))?;
/// assert_eq!(counter.ask(Msg::Get, Duration::from_secs(5))?, 5);
/// counter.stop();
/// counter.join();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Actor: Send + Sized + 'static {
    /// What the actor receives. It moves by value through a few frames of
    /// the sending thread's stack and of the actor thread's on its way to
    /// [`handle`](Self::handle) (more in a debug build, where a handler
    /// sending 64 KiB messages to its own actor overflowed the default
    /// 2 MiB stack): box a message of tens of KiB or more, or give the
    /// actor's thread a bigger stack
    /// ([`ActorBuilder::stack_size`](crate::ActorBuilder::stack_size)); a
    /// stack overflow aborts the process, as on any thread. A message of a
    /// 32nd of the actor thread's stack or more (64 KiB of the default;
    /// [`atomics_kit::STACK_PER_VALUE`]) is refused at `spawn`
    /// ([`SpawnError::StackTooSmall`](crate::SpawnError::StackTooSmall)),
    /// and one of 1 MiB or more by `send_after` and `send_interval`, which
    /// panic (the timer thread's limit). Spawning, and
    /// dropping the last handle, move no message through the caller's
    /// stack, whatever the message's size.
    type Message: Send + 'static;

    /// Handles one message. A panic here is caught: the actor stops with
    /// [`ExitReason::Panicked`], or a supervised actor restarts. The broken
    /// instance is dropped at once; a panic in its `Drop` is caught too and
    /// added to the panic's message (`"..; then dropping the actor
    /// panicked: .."`), and a supervised actor still restarts (that counts
    /// as one restart, not two).
    fn handle(&mut self, message: Self::Message, ctx: &mut Context<Self>);

    /// Runs on the actor's thread before the first message (and after each
    /// restart of a supervised actor).
    fn started(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx;
    }

    /// Runs on the actor's thread after the last message, with the reason
    /// it stopped. Not called on an actor instance whose handler panicked
    /// (its state may be broken); a supervised actor's replacement is
    /// called.
    ///
    /// A panic here, or in the actor's `Drop` right after, is caught: the
    /// actor still stops, [`join`](crate::ActorHandle::join) returns
    /// [`ExitReason::CleanupPanicked`] (with the reason it stopped and the
    /// panic), and [`last_panic`](crate::ActorHandle::last_panic) has it.
    fn stopped(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}
