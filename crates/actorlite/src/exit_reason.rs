//! Why an actor stopped.

use std::fmt;

/// Why an actor stopped, from [`ActorHandle::join`](crate::ActorHandle::join).
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, ExitReason};
///
/// struct Idle;
/// impl Actor for Idle {
///     type Message = ();
///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
/// }
///
/// let actor = spawn(Idle);
/// actor.kill();
/// assert_eq!(actor.join(), ExitReason::Killed);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitReason {
    /// Stopped by [`stop`](crate::ActorHandle::stop), by
    /// [`Context::stop`](crate::Context::stop), or because every handle was
    /// dropped; the messages queued before were handled.
    Normal,
    /// Stopped by [`kill`](crate::ActorHandle::kill); the messages still
    /// queued were dropped and counted as dead letters.
    Killed,
    /// A handler panicked (past the restart budget, if supervised); the
    /// panic message. The messages still queued were dead letters.
    Panicked(String),
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("stopped normally"),
            Self::Killed => f.write_str("killed"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}
