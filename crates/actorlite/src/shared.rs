//! What an actor's handles, its context and its thread share.

use std::sync::OnceLock;
use std::thread::{JoinHandle, ThreadId};

use atomics_kit::{AdmissionGate, SingleWriterCounter};
use crossbeam_channel::Sender;

use crate::exit_reason::ExitReason;
use crate::mailbox::Envelope;
use crate::stats::ActorStats;
use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering};

use crate::lifecycle::Lifecycle;
pub(crate) use crate::lifecycle::{KILL, RUNNING, STOP};

/// Counters only the actor's thread writes.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    handled: SingleWriterCounter,
    panicked_messages: SingleWriterCounter,
    dead_letters: SingleWriterCounter,
    restarts: SingleWriterCounter,
}

impl Counters {
    pub(crate) fn handled(&self) {
        self.handled.increment();
    }
    pub(crate) fn panicked_message(&self) {
        self.panicked_messages.increment();
    }
    pub(crate) fn dead_letter(&self) {
        self.dead_letters.increment();
    }
    pub(crate) fn restarted(&self) {
        self.restarts.increment();
    }

    fn snapshot(&self) -> ActorStats {
        // `get` is an Acquire load paired with `increment`'s Release store,
        // so a reader that saw the actor stop (through the exit lock) sees
        // the final counts, and one that did not sees a consistent past.
        ActorStats {
            handled: self.handled.get(),
            panicked_messages: self.panicked_messages.get(),
            dead_letters: self.dead_letters.get(),
            restarts: self.restarts.get(),
        }
    }
}

pub(crate) struct Shared<M> {
    pub(crate) name: String,
    pub(crate) mailbox: Sender<Envelope<M>>,
    /// Every send passes it; a stop or kill closes it, and the actor waits
    /// for the sends already admitted before it counts its mailbox drained.
    pub(crate) gate: AdmissionGate,
    /// Live handles (the last one dropped stops the actor) and the stop
    /// request.
    lifecycle: Lifecycle,
    /// Wake-ups in the mailbox (or about to be, or just taken): counted up
    /// before one is queued and down after the actor took it, so never
    /// below those in the mailbox; `mailbox_len` leaves them out.
    wakes: AtomicUsize,
    pub(crate) counters: Counters,
    /// The message of the latest handler panic (restarted or not).
    last_panic: Mutex<Option<String>>,
    exit: Mutex<Option<ExitReason>>,
    exited: Condvar,
    pub(crate) thread: Mutex<Option<JoinHandle<()>>>,
    pub(crate) thread_id: OnceLock<ThreadId>,
}

impl<M> Shared<M> {
    pub(crate) fn new(name: String, mailbox: Sender<Envelope<M>>) -> Self {
        Self {
            name,
            mailbox,
            gate: AdmissionGate::new(),
            lifecycle: Lifecycle::new(),
            wakes: AtomicUsize::new(0),
            counters: Counters::default(),
            last_panic: Mutex::new(None),
            exit: Mutex::new(None),
            exited: Condvar::new(),
            thread: Mutex::new(None),
            thread_id: OnceLock::new(),
        }
    }

    /// Asks the actor to stop (`STOP`) or die (`KILL`): new sends are
    /// refused at once, and an idle actor is nudged awake.
    pub(crate) fn request(&self, kind: u8) {
        self.lifecycle.request(kind);
        self.gate.close();
        // A full mailbox means the actor is busy and will look at the
        // request after its current message; a disconnected one, that it is
        // gone.
        // Relaxed (both): a count for `mailbox_len`'s estimate; it orders
        // nothing (the request itself is the lifecycle's, Release).
        self.wakes.fetch_add(1, Ordering::Relaxed);
        if self.mailbox.try_send(Envelope::Wake).is_err() {
            self.wakes.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The actor took a wake-up out of its mailbox.
    pub(crate) fn woken(&self) {
        // Relaxed: as in `request`.
        self.wakes.fetch_sub(1, Ordering::Relaxed);
    }

    /// The messages in the mailbox, wake-ups left out. A snapshot: with a
    /// request and the actor racing, it may be one off for a moment.
    pub(crate) fn mailbox_len(&self) -> usize {
        // Relaxed: as in `request`.
        let wakes = self.wakes.load(Ordering::Relaxed);
        self.mailbox.len().saturating_sub(wakes)
    }

    pub(crate) fn requested(&self) -> u8 {
        self.lifecycle.requested()
    }

    pub(crate) fn handle_created(&self) {
        self.lifecycle.handle_created();
    }

    pub(crate) fn handle_dropped(&self) {
        if self.lifecycle.handle_dropped() {
            self.request(STOP);
        }
    }

    pub(crate) fn stats(&self) -> ActorStats {
        self.counters.snapshot()
    }

    pub(crate) fn record_panic(&self, message: &str) {
        *self.last_panic.lock() = Some(message.to_owned());
    }

    pub(crate) fn last_panic(&self) -> Option<String> {
        self.last_panic.lock().clone()
    }

    pub(crate) fn finish(&self, reason: ExitReason) {
        *self.exit.lock() = Some(reason);
        self.exited.notify_all();
    }

    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        self.exit.lock().clone()
    }

    pub(crate) fn wait_for_exit(&self) -> ExitReason {
        let mut exit = self.exit.lock();
        loop {
            if let Some(reason) = exit.as_ref() {
                return reason.clone();
            }
            exit = self.exited.wait(exit);
        }
    }
}
