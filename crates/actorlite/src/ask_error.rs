//! What can go wrong asking an actor.

use std::error::Error;
use std::fmt;

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
    /// The actor has stopped, or stopped before answering.
    Closed,
    /// The actor dropped the [`Reply`](crate::Reply) without answering
    /// (its handler returned without replying, or panicked).
    NoReply,
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("the actor did not reply in time"),
            Self::Closed => f.write_str("the actor has stopped"),
            Self::NoReply => f.write_str("the actor dropped the reply handle without replying"),
        }
    }
}

impl Error for AskError {}
