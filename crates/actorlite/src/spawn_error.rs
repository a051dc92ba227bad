//! What can go wrong starting an actor.

use std::error::Error;
use std::fmt;
use std::io;

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
/// assert!(matches!(error, SpawnError::ZeroCapacity));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SpawnError {
    /// A bounded mailbox of capacity zero: no message could ever be queued.
    ZeroCapacity,
    /// The operating system refused to start the actor's thread.
    Spawn(io::Error),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroCapacity => f.write_str("a bounded mailbox needs a capacity of at least one"),
            Self::Spawn(error) => write!(f, "could not start the actor's thread: {error}"),
        }
    }
}

impl Error for SpawnError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Spawn(error) => Some(error),
            Self::ZeroCapacity => None,
        }
    }
}
