//! The mailbox's kind, and what travels in it.

/// An actor's mailbox: bounded (senders wait while it is full:
/// backpressure) or unbounded.
///
/// # Examples
///
/// ```
/// use actorlite::Mailbox;
///
/// assert_eq!(Mailbox::default(), Mailbox::Bounded(64));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mailbox {
    /// At most this many messages wait; `send` blocks beyond, `try_send`
    /// returns `Full`.
    Bounded(usize),
    /// No limit: `send` never waits. A slow actor's queue grows without
    /// bound.
    Unbounded,
}

impl Mailbox {
    /// The largest bound a mailbox accepts: 16,777,216 messages. A bounded
    /// mailbox's slots are allocated when the actor starts; a larger bound
    /// would be no bound (use [`Mailbox::Unbounded`]).
    pub const MAX_BOUNDED: usize = 1 << 24;
}

impl Default for Mailbox {
    /// Bounded, 64 messages: kameo's default, enough to absorb bursts,
    /// small enough that a stuck actor pushes back on its senders.
    fn default() -> Self {
        Self::Bounded(64)
    }
}

/// What the mailbox carries: a message, or a nudge that makes an idle actor
/// look at its stop request.
pub(crate) enum Envelope<M> {
    Message(M),
    Wake,
}

impl<M> Envelope<M> {
    /// The message of an envelope a send built (never a wake-up).
    pub(crate) fn into_message(self) -> M {
        match self {
            Self::Message(message) => message,
            Self::Wake => unreachable!("only `request` sends a wake-up, and never gives it back"),
        }
    }
}
