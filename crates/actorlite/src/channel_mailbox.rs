//! An unbounded mailbox: a crossbeam-channel list behind an admission gate.
//!
//! Bounded mailboxes are a ring whose close rides on the push's claim
//! (`channels_patterns::BoundedQueue`, see `mailbox_queue.rs`); a
//! crossbeam channel cannot be closed while its sender lives, so here every
//! send passes an [`AdmissionGate`] that a stop or kill closes, and the
//! actor drains until every admitted send is in.

use atomics_kit::AdmissionGate;
use crossbeam_channel::{Receiver, Sender};

use crate::errors::TrySendError;
use crate::sync::{take_eagerly, AtomicU64, AtomicUsize, Backoff, Ordering};

/// What the channel carries: a message, or a nudge that makes an idle
/// actor look at its stop request.
enum Envelope<M> {
    Message(M),
    Wake,
}

pub(crate) struct ChannelMailbox<M> {
    sender: Sender<Envelope<M>>,
    receiver: Receiver<Envelope<M>>,
    /// Every send passes it; a stop or kill closes it, and the actor waits
    /// for the sends already admitted before it counts its mailbox drained.
    /// A send that queued its message hands its admission over (no locked
    /// instruction): the actor counts the messages it takes instead.
    gate: AdmissionGate,
    /// Messages the actor took: each one a send that handed its admission
    /// over. Written by the actor's thread alone.
    received: AtomicU64,
    /// Wake-ups in the channel (or about to be, or just taken): counted up
    /// before one is queued and down after the actor took it, so never
    /// below those in the channel; `len` leaves them out.
    wakes: AtomicUsize,
    /// Bumped after every change of `wakes` (it never goes back), so that
    /// `len` can tell whether `wakes` stayed put while it read the
    /// channel's length.
    wake_changes: AtomicUsize,
}

impl<M> ChannelMailbox<M> {
    pub(crate) fn new() -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        Self {
            sender,
            receiver,
            gate: AdmissionGate::new(),
            received: AtomicU64::new(0),
            wakes: AtomicUsize::new(0),
            wake_changes: AtomicUsize::new(0),
        }
    }

    /// Puts `message` in past the gate; an unbounded channel never waits.
    pub(crate) fn try_put(&self, message: M) -> Result<(), TrySendError<M>> {
        let Some(admission) = self.gate.enter() else {
            return Err(TrySendError::Closed(message));
        };
        // The receiver lives as long as the sender (both here): an
        // unbounded channel with a receiver accepts every message.
        match self.sender.try_send(Envelope::Message(message)) {
            Ok(()) => {
                admission.hand_over();
                Ok(())
            }
            Err(error) => match error.into_inner() {
                Envelope::Message(message) => Err(TrySendError::Closed(message)),
                Envelope::Wake => unreachable!("a send never gives a wake-up back"),
            },
        }
    }

    /// Refuses later sends and nudges an idle actor awake (once: a second
    /// call changes nothing).
    pub(crate) fn close(&self) {
        if !self.gate.close() {
            return;
        }
        // SeqCst (all the wake counts): `len` must see a change of `wakes`
        // that came before a change of the channel it saw; this runs once
        // per actor, so the cost does not matter.
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.wake_changes.fetch_add(1, Ordering::SeqCst);
        // Unbounded, and the receiver is alive: the wake-up goes in.
        let _ = self.sender.try_send(Envelope::Wake);
    }

    /// The actor's next message, waiting eagerly; `None` after a wake-up
    /// (look at the stop request).
    pub(crate) fn next(&self) -> Option<M> {
        // The receiver never disconnects: the sender lives beside it.
        let next = take_eagerly(None, || self.receiver.try_recv().ok())
            .or_else(|| self.receiver.recv().ok())?;
        self.open(next)
    }

    /// After `close`: passes every message that is, or will be, in the
    /// channel to `each`, and returns once no more can come.
    pub(crate) fn drain(&self, mut each: impl FnMut(M)) {
        let backoff = Backoff::new();
        loop {
            // Checked before draining: once every admitted send has
            // finished, this drain empties the channel for good.
            // Relaxed: written by this thread alone.
            let received = self.received.load(Ordering::Relaxed);
            let all_in = self.gate.try_wait_for_admitted_with(received).is_some();
            while let Ok(envelope) = self.receiver.try_recv() {
                if let Some(message) = self.open(envelope) {
                    each(message);
                }
            }
            if all_in {
                return;
            }
            backoff.snooze();
        }
    }

    /// Counts what the actor took out of the channel.
    fn open(&self, envelope: Envelope<M>) -> Option<M> {
        match envelope {
            Envelope::Message(message) => {
                // Relaxed: written by the actor's thread alone; the gate's
                // wait reads it on that thread.
                let received = self.received.load(Ordering::Relaxed);
                self.received.store(received + 1, Ordering::Relaxed);
                Some(message)
            }
            Envelope::Wake => {
                // SeqCst: as in `close`.
                self.wakes.fetch_sub(1, Ordering::SeqCst);
                self.wake_changes.fetch_add(1, Ordering::SeqCst);
                None
            }
        }
    }

    /// The messages in the channel, wake-ups left out. A snapshot: with a
    /// close and the actor racing, it may be one off for a moment.
    pub(crate) fn len(&self) -> usize {
        // A wake-up queued or taken while the length is read would make
        // it one off: read again until no wake count changed meanwhile.
        // SeqCst (all): as in `close`; a change of `wakes` comes before
        // the channel change it stands for (the send or the take), and
        // `wake_changes` moves after it.
        loop {
            let changes = self.wake_changes.load(Ordering::SeqCst);
            let wakes = self.wakes.load(Ordering::SeqCst);
            let len = self.receiver.len();
            if self.wake_changes.load(Ordering::SeqCst) == changes
                && self.wakes.load(Ordering::SeqCst) == wakes
            {
                return len.saturating_sub(wakes);
            }
        }
    }
}
