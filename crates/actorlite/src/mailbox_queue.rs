//! The queue behind an actor's mailbox, by its kind: what sends put in,
//! what the actor takes out, and the close that ends both without losing
//! a message.

use std::time::Instant;

use channels_patterns::{BoundedQueue, PushError, TryPopError, TryPushError};

use crate::errors::TrySendError;
use crate::mailbox::Mailbox;
use crate::mailbox_list::{MailboxList, Nothing, Taker};
use crate::sync::Backoff;
use atomics_kit::SizeError;

/// Why [`MailboxQueue::put`] gave the message back.
pub(crate) enum Refused<M> {
    /// Stopped, stopping, or released while waiting for room.
    Closed(M),
    /// No room before the deadline.
    Timeout(M),
}

pub(crate) enum MailboxQueue<M> {
    /// Bounded: Vyukov's ring, whose close is a bit in the tail that each
    /// push's claim checks. A push either claimed its slot before the close
    /// (the actor will take it) or gets its message back: no count of
    /// sends in flight, and a send is one locked instruction, as in
    /// crossbeam-channel's bounded flavor.
    Ring(BoundedQueue<M>),
    /// Unbounded: a linked list of blocks whose close is a bit in the tail
    /// that each push's claim checks, as the ring's; the actor, its one
    /// taker, takes without a locked instruction.
    List(MailboxList<M>),
}

/// The actor's right to take from its mailbox, held by its runner: an
/// unbounded mailbox's list has one taker (a ring takes from any thread).
/// The default holds no right: a runner's, once its drain took it.
#[derive(Debug, Default)]
pub(crate) struct MailboxTaker(Option<Taker>);

impl MailboxTaker {
    fn list(&mut self) -> &mut Taker {
        self.0
            .as_mut()
            .expect("an unbounded mailbox's taker comes with it")
    }
}

impl<M> MailboxQueue<M> {
    /// An open, empty queue of the kind asked for, and the right to take
    /// from it.
    ///
    /// # Errors
    ///
    /// A capacity of 0, one too large for the ring, or one whose slots the
    /// allocator refused.
    pub(crate) fn new(mailbox: Mailbox) -> Result<(Self, MailboxTaker), SizeError> {
        Ok(match mailbox {
            Mailbox::Bounded(capacity) => {
                (Self::Ring(BoundedQueue::new(capacity)?), MailboxTaker(None))
            }
            Mailbox::Unbounded => {
                let (list, taker) = MailboxList::new();
                (Self::List(list), MailboxTaker(Some(taker)))
            }
        })
    }

    /// Puts `message` in, waiting for room until `deadline` (`None`: as
    /// long as it takes). A close (any stop or kill) ends the wait with
    /// the message given back.
    pub(crate) fn put(&self, message: M, deadline: Option<Instant>) -> Result<(), Refused<M>> {
        let ring = match self {
            // Never full: straight in (a tell's hot path).
            Self::List(list) => return list.push(message).map_err(Refused::Closed),
            Self::Ring(ring) => ring,
        };
        let message = match ring.try_push(message) {
            Ok(()) => return Ok(()),
            Err(TryPushError::Closed(message)) => return Err(Refused::Closed(message)),
            Err(TryPushError::Full(message)) => message,
        };
        match deadline {
            None => ring
                .push(message)
                .map_err(|PushError(message)| Refused::Closed(message)),
            Some(deadline) => ring
                .push_timeout(message, deadline.saturating_duration_since(Instant::now()))
                .map_err(|error| match error {
                    TryPushError::Full(message) => Refused::Timeout(message),
                    TryPushError::Closed(message) => Refused::Closed(message),
                }),
        }
    }

    /// Puts `message` in if there is room, without waiting.
    pub(crate) fn try_put(&self, message: M) -> Result<(), TrySendError<M>> {
        match self {
            Self::Ring(ring) => ring.try_push(message).map_err(|error| match error {
                TryPushError::Full(message) => TrySendError::Full(message),
                TryPushError::Closed(message) => TrySendError::Closed(message),
            }),
            Self::List(list) => list.push(message).map_err(TrySendError::Closed),
        }
    }

    /// Refuses every later send, gives their messages back to the sends
    /// waiting for room, and wakes the idle actor. Idempotent.
    pub(crate) fn close(&self) {
        match self {
            Self::Ring(ring) => {
                ring.close();
            }
            Self::List(list) => {
                list.close();
            }
        }
    }

    /// The actor's next message, spinning and yielding briefly before it
    /// blocks (a request/reply exchange then costs no wake-up). `None`
    /// once the queue is closed (by a stop or kill request: look at it)
    /// and drained.
    pub(crate) fn next(&self, taker: &mut MailboxTaker) -> Option<M> {
        match self {
            // Each `pop` waits eagerly before it parks.
            Self::Ring(ring) => ring.pop(),
            Self::List(list) => list.pop(taker.list()),
        }
    }

    /// After [`close`](Self::close), on the actor's thread: passes every
    /// message that is in the queue, or is still landing, to `each`, and
    /// returns once no more can come.
    pub(crate) fn drain(&self, taker: &mut MailboxTaker, mut each: impl FnMut(M)) {
        let backoff = Backoff::new();
        loop {
            // `Closed` only once closed and every claimed slot was taken;
            // a take waits for a claimed push still landing.
            match self.try_take(taker) {
                Ok(message) => each(message),
                Err(Nothing::Closed) => return,
                Err(Nothing::Empty) => {
                    debug_assert!(false, "drained before the close");
                    backoff.snooze();
                }
            }
        }
    }

    /// The actor's next message, without waiting.
    fn try_take(&self, taker: &mut MailboxTaker) -> Result<M, Nothing> {
        match self {
            Self::Ring(ring) => ring.try_pop().map_err(|error| match error {
                TryPopError::Empty => Nothing::Empty,
                TryPopError::Closed => Nothing::Closed,
            }),
            Self::List(list) => list.try_pop(taker.list()),
        }
    }

    /// The messages queued now. A snapshot.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Ring(ring) => ring.len(),
            Self::List(list) => list.len(),
        }
    }
}
