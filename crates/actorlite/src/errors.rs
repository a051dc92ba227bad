//! What can go wrong with an actor, each error giving back what it can:
//! [`SpawnError`] starting one, [`SendError`], [`TrySendError`] and
//! [`SendTimeoutError`] sending to one (the message always comes back), and
//! [`AskError`] asking one.

use std::error::Error;
use std::fmt;
use std::io;

use atomics_kit::SizeError;

/// [`ActorBuilder::spawn`](crate::ActorBuilder::spawn) could not start the
/// actor.
///
/// # Examples
///
/// ```
/// use actorlite::{Actor, ActorBuilder, Context, Mailbox, SpawnError};
///
/// struct Idle;
/// impl Actor for Idle {
///     type Message = ();
///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
/// }
///
/// let error = ActorBuilder::new().mailbox(Mailbox::Bounded(0)).spawn(Idle).unwrap_err();
/// assert!(matches!(error, SpawnError::InvalidSize(_)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// A bounded mailbox of capacity zero (no message could ever be
    /// queued), above [`Mailbox::MAX_BOUNDED`](crate::Mailbox::MAX_BOUNDED),
    /// or one whose slots the allocator refused
    /// ([`SizeError::is_allocation_failure`]).
    InvalidSize(SizeError),
    /// The name holds a NUL byte, which no thread name may (given back).
    InvalidName(String),
    /// The actor or its message type (the larger, `size` bytes) is a 32nd
    /// or more of the actor thread's stack (`stack` bytes), which it may
    /// overflow ([`atomics_kit::STACK_PER_VALUE`]): raise
    /// [`ActorBuilder::stack_size`](crate::ActorBuilder::stack_size), or
    /// box the large part.
    StackTooSmall {
        /// The larger of the actor's and the message's sizes, in bytes.
        size: usize,
        /// The stack the actor's thread would have, in bytes.
        stack: usize,
    },
    /// The operating system refused to start the actor's thread.
    Spawn(io::Error),
}

impl From<SizeError> for SpawnError {
    fn from(error: SizeError) -> Self {
        Self::InvalidSize(error)
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSize(error) => write!(f, "cannot spawn the actor: {error}"),
            Self::InvalidName(name) => write!(f, "actor name {name:?} holds a NUL byte"),
            Self::StackTooSmall { size, stack } => write!(
                f,
                "cannot spawn the actor: it or its message takes {size} bytes, \
                 and a stack of {stack} bytes carries values under 1/{} of it; \
                 raise `stack_size` or box it",
                atomics_kit::STACK_PER_VALUE
            ),
            Self::Spawn(error) => write!(f, "could not start the actor's thread: {error}"),
        }
    }
}

/// No `source`: the message already holds the cause's text, which a
/// printer walking the chain (anyhow's `{:#}`) would show twice.
impl Error for SpawnError {}

/// [`ActorHandle::send`](crate::ActorHandle::send) found the actor stopped
/// or stopping; the message is given back.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, SendError};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = String;
///     fn handle(&mut self, _: String, _: &mut Context<Self>) {}
/// }
///
/// let sink = spawn(Sink);
/// sink.stop();
/// let SendError(back) = sink.send("late".to_owned()).unwrap_err();
/// assert_eq!(back, "late");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<M>(pub M);

impl<M> SendError<M> {
    /// The message that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::SendError;
    ///
    /// assert_eq!(SendError(3).into_inner(), 3);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> M {
        self.0
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the actor has stopped; the message was not delivered")
    }
}

impl<M> Error for SendError<M> {}

/// [`ActorHandle::try_send`](crate::ActorHandle::try_send) could not send;
/// the message is given back.
///
/// # Examples
///
/// ```
/// use actorlite::{Actor, ActorBuilder, Context, TrySendError};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = u8;
///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
/// }
///
/// let sink = ActorBuilder::new().spawn(Sink)?;
/// sink.kill();
/// sink.join();
/// assert_eq!(sink.try_send(1), Err(TrySendError::Closed(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<M> {
    /// The bounded mailbox is full.
    Full(M),
    /// The actor has stopped or is stopping.
    Closed(M),
}

impl<M> TrySendError<M> {
    /// The message that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::TrySendError;
    ///
    /// assert_eq!(TrySendError::Full('m').into_inner(), 'm');
    /// ```
    #[must_use]
    pub fn into_inner(self) -> M {
        match self {
            Self::Full(message) | Self::Closed(message) => message,
        }
    }
}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => {
                f.write_str("the actor's mailbox is full; the message was not delivered")
            }
            Self::Closed(_) => f.write_str("the actor has stopped; the message was not delivered"),
        }
    }
}

impl<M> Error for TrySendError<M> {}

/// [`ActorHandle::send_timeout`](crate::ActorHandle::send_timeout) could not
/// send in time; the message is given back.
///
/// # Examples
///
/// ```
/// use actorlite::SendTimeoutError;
///
/// let error = SendTimeoutError::Timeout(5);
/// assert_eq!(error.to_string(), "the actor's mailbox stayed full; the message was not delivered");
/// assert_eq!(error.into_inner(), 5);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendTimeoutError<M> {
    /// The bounded mailbox stayed full for the whole timeout.
    Timeout(M),
    /// The actor has stopped or is stopping.
    Closed(M),
}

impl<M> SendTimeoutError<M> {
    /// The message that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::SendTimeoutError;
    ///
    /// assert_eq!(SendTimeoutError::Closed("m").into_inner(), "m");
    /// ```
    #[must_use]
    pub fn into_inner(self) -> M {
        match self {
            Self::Timeout(message) | Self::Closed(message) => message,
        }
    }
}

impl<M> fmt::Debug for SendTimeoutError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => f.write_str("Timeout(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for SendTimeoutError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(_) => {
                f.write_str("the actor's mailbox stayed full; the message was not delivered")
            }
            Self::Closed(_) => f.write_str("the actor has stopped; the message was not delivered"),
        }
    }
}

impl<M> Error for SendTimeoutError<M> {}

/// [`ActorHandle::ask`](crate::ActorHandle::ask) got no answer.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, AskError, Context, Reply};
/// use std::time::Duration;
///
/// struct Forgetful;
/// impl Actor for Forgetful {
///     type Message = Reply<u8>;
///     fn handle(&mut self, reply: Reply<u8>, _: &mut Context<Self>) {
///         drop(reply); // never answers
///     }
/// }
///
/// let actor = spawn(Forgetful);
/// assert_eq!(actor.ask(|reply| reply, Duration::from_secs(5)), Err(AskError::NoReply));
/// actor.stop();
/// actor.join();
/// assert_eq!(actor.ask(|reply| reply, Duration::from_secs(5)), Err(AskError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AskError {
    /// No reply within the timeout (the request may still be handled later;
    /// its reply is then dropped).
    Timeout,
    /// The actor has stopped or is stopping, or stopped before handling
    /// the request (the message was a dead letter), or the instance holding
    /// the [`Reply`](crate::Reply) ended: the actor stopped, or, supervised,
    /// the instance broke and a new one took over (the actor may still be
    /// running).
    Closed,
    /// The [`Reply`](crate::Reply) was dropped without an answer by the
    /// handler (it returned without replying, or panicked, supervised or
    /// not) or by whatever the handler passed it to.
    NoReply,
    /// Asked from the actor's own thread (its handler, `started` or
    /// `stopped`): the actor handles one message at a time, so it could
    /// never answer while it waits. Nothing was sent.
    OwnThread,
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("the actor did not reply in time"),
            Self::Closed => f.write_str(
                "the actor stopped, or the instance holding the reply ended, before replying",
            ),
            Self::NoReply => f.write_str("the actor dropped the reply handle without replying"),
            Self::OwnThread => f.write_str(
                "the actor was asked from its own thread, where it could never answer; nothing was sent",
            ),
        }
    }
}

impl Error for AskError {}
