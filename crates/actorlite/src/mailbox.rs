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
    /// bound; it is allocated in blocks of 63 messages as they come, and
    /// each block is freed once the actor took its last message.
    Unbounded,
}

impl Mailbox {
    /// The largest bound a mailbox accepts: 65,536 messages.
    ///
    /// A bounded mailbox is a ring (channels-patterns' `BoundedQueue`),
    /// which allocates all of its slots when the actor starts: each holds
    /// a message plus 8 bytes (about 1.5 MiB at this bound for an 8-byte
    /// message, 65 MiB for a 1 KiB one). A bound that large is already
    /// little backpressure; beyond it, use [`Mailbox::Unbounded`], which
    /// allocates as messages come. The bound counts messages, not bytes:
    /// slots the allocator refuses (64 GiB for 1 MiB messages at this
    /// bound) make `spawn` return [`SpawnError::InvalidSize`](crate::SpawnError::InvalidSize) (a
    /// [`SizeError`](crate::SizeError) whose `is_allocation_failure()` is
    /// true) instead of aborting the process, as `Vec::with_capacity`
    /// would; a system that overcommits memory may grant them and kill the
    /// process later, as they are written. Large messages want a `Box`, or
    /// a smaller bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{Actor, ActorBuilder, Context, Mailbox, SpawnError};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u64;
    ///     fn handle(&mut self, _: u64, _: &mut Context<Self>) {}
    /// }
    ///
    /// let too_big = Mailbox::Bounded(Mailbox::MAX_BOUNDED + 1);
    /// let error = ActorBuilder::new().mailbox(too_big).spawn(Sink).unwrap_err();
    /// assert!(matches!(error, SpawnError::InvalidSize(_)));
    /// ```
    pub const MAX_BOUNDED: usize = 1 << 16;
}

impl Default for Mailbox {
    /// Bounded, 64 messages: kameo's default, enough to absorb bursts,
    /// small enough that a stuck actor pushes back on its senders.
    fn default() -> Self {
        Self::Bounded(64)
    }
}
