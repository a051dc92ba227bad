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
    /// panic message. The messages still queued were dead letters. If
    /// dropping the broken instance (or, at the end, the supervisor's
    /// factory) panicked too, the message says so after a `"; then "`.
    Panicked(String),
    /// The actor stopped as `reason` says ([`Normal`](Self::Normal) or
    /// [`Killed`](Self::Killed), with every message handled or counted as
    /// that reason promises), then its clean-up panicked: its
    /// [`stopped`](crate::Actor::stopped) hook, its `Drop`, or the `Drop`
    /// of a supervised actor's factory. `panic` has each of those panics'
    /// messages, joined by `"; then "`; the latest is also in
    /// [`last_panic`](crate::ActorHandle::last_panic).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    ///
    /// struct Sore;
    /// impl Actor for Sore {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    ///     fn stopped(&mut self, _: &ExitReason) {
    ///         panic!("could not flush");
    ///     }
    /// }
    ///
    /// let actor = spawn(Sore);
    /// actor.stop();
    /// let ExitReason::CleanupPanicked { reason, panic } = actor.join() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(*reason, ExitReason::Normal);
    /// assert_eq!(panic, "`stopped` panicked: could not flush");
    /// ```
    CleanupPanicked {
        /// Why the actor stopped: `Normal` or `Killed`.
        reason: Box<ExitReason>,
        /// What the clean-up panicked with.
        panic: String,
    },
}

impl ExitReason {
    /// `self`, with a panic of the clean-up after it.
    pub(crate) fn with_cleanup_panic(self, panic: String) -> Self {
        match self {
            Self::Panicked(message) => Self::Panicked(format!("{message}; then {panic}")),
            Self::CleanupPanicked {
                reason,
                panic: first,
            } => Self::CleanupPanicked {
                reason,
                panic: format!("{first}; then {panic}"),
            },
            reason => Self::CleanupPanicked {
                reason: Box::new(reason),
                panic,
            },
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Normal => f.write_str("stopped normally"),
            Self::Killed => f.write_str("killed"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
            Self::CleanupPanicked { reason, panic } => {
                write!(f, "{reason}, then its clean-up panicked: {panic}")
            }
        }
    }
}
