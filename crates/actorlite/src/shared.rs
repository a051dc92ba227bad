//! What an actor's handles, its context and its thread share.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use atomics_kit::SingleWriterCounter;
use crossbeam_channel::RecvTimeoutError;

use crate::errors::{AskError, SendError, SendTimeoutError, TrySendError};
use crate::reply::{Answer, Reply};
use crate::wait;

use crate::exit_reason::ExitReason;
use crate::mailbox_queue::{MailboxQueue, Refused};
use crate::monitor::Registry;
use crate::stats::ActorStats;
use crate::sync::{Condvar, Mutex, Ordering};
use crate::timer;
use atomics_kit::panic_message;

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
            undelivered: 0,
        }
    }
}

/// Runs user code, catching a panic as its message (the payload is dropped
/// by `panic_message`, which survives a payload whose `Drop` panics).
pub(crate) fn catching<T>(user_code: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(user_code)).map_err(panic_message)
}

/// Drops `value` (user code: its `Drop` may panic), catching a panic.
pub(crate) fn drop_catching<T>(value: T) -> Result<(), String> {
    atomics_kit::try_drop(value).map_err(panic_message)
}

/// What a monitor does when the actor it watches stops: builds the
/// watcher's message from the reason and delivers it (catching panics).
pub(crate) type Notification = Box<dyn FnOnce(ExitReason) + Send>;

pub(crate) struct Shared<M> {
    pub(crate) name: String,
    /// The stack of the actor's thread, in bytes: a monitor's message is
    /// built and sent on it (see `monitor_by`).
    stack: usize,
    /// What sends put in and the actor takes out; every stop or kill
    /// request closes it.
    pub(crate) queue: MailboxQueue<M>,
    /// Live handles (the last one dropped stops the actor) and the stop
    /// request.
    lifecycle: Lifecycle,
    pub(crate) counters: Counters,
    /// Timer messages and monitor notifications for this actor that found
    /// it stopped or stopping, or could not be built: written by any
    /// thread, so not among the actor thread's `counters`.
    undelivered: crate::sync::AtomicU64,
    /// Who to tell when this actor stops.
    monitors: Registry<Notification, ExitReason>,
    /// The message of the latest handler panic (restarted or not).
    last_panic: Mutex<Option<String>>,
    exit: Mutex<Option<ExitReason>>,
    exited: Condvar,
    /// The actor's thread, for `join` to wait for its end.
    thread: Mutex<ThreadSlot>,
    /// Signalled when the thread is stored or has been joined.
    thread_settled: Condvar,
    pub(crate) thread_id: OnceLock<ThreadId>,
}

/// Where the actor's thread stands, for the joiners.
enum ThreadSlot {
    /// Spawned, its `JoinHandle` not stored yet.
    Starting,
    Running(JoinHandle<()>),
    /// A joiner is waiting for the thread to end.
    Joining,
    Joined,
}

impl<M> Shared<M> {
    /// Stores the actor's thread once spawned.
    pub(crate) fn set_thread(&self, thread: JoinHandle<()>) {
        *self.thread.lock() = ThreadSlot::Running(thread);
        self.thread_settled.notify_all();
    }

    /// Waits until the actor's thread has ended (its thread-locals'
    /// destructors included): the first caller joins it, any other waits
    /// for that join, so that every `join` returns only after the thread
    /// is gone. The lock is not held during the join.
    pub(crate) fn reap(&self) {
        let mut slot = self.thread.lock();
        loop {
            match std::mem::replace(&mut *slot, ThreadSlot::Joining) {
                ThreadSlot::Running(thread) => {
                    drop(slot);
                    // The actor's thread catches every panic of the actor's
                    // code.
                    let _ = thread.join();
                    *self.thread.lock() = ThreadSlot::Joined;
                    self.thread_settled.notify_all();
                    return;
                }
                ThreadSlot::Joined => {
                    *slot = ThreadSlot::Joined;
                    return;
                }
                waiting @ (ThreadSlot::Starting | ThreadSlot::Joining) => {
                    *slot = waiting;
                    slot = self.thread_settled.wait(slot);
                }
            }
        }
    }

    pub(crate) fn new(name: String, stack: usize, queue: MailboxQueue<M>) -> Self {
        Self {
            name,
            stack,
            queue,
            lifecycle: Lifecycle::new(),
            counters: Counters::default(),
            undelivered: crate::sync::AtomicU64::new(0),
            monitors: Registry::new(),
            last_panic: Mutex::new(None),
            exit: Mutex::new(None),
            exited: Condvar::new(),
            thread: Mutex::new(ThreadSlot::Starting),
            thread_settled: Condvar::new(),
            thread_id: OnceLock::new(),
        }
    }

    /// Asks the actor to stop (`STOP`) or die (`KILL`): new sends are
    /// refused at once, sends waiting for room get their messages back,
    /// and an idle actor is woken.
    pub(crate) fn request(&self, kind: u8) {
        self.lifecycle.request(kind);
        self.queue.close();
    }

    /// `ActorHandle::send`'s and `Recipient::send`'s body.
    pub(crate) fn send(&self, message: M) -> Result<(), SendError<M>> {
        self.queue
            .put(message, None)
            .map_err(|refused| match refused {
                Refused::Closed(message) | Refused::Timeout(message) => SendError(message),
            })
    }

    /// `try_send`'s body: into the mailbox if it is open and has room.
    pub(crate) fn try_send(&self, message: M) -> Result<(), TrySendError<M>> {
        self.queue.try_put(message)
    }

    /// `send_timeout`'s body.
    pub(crate) fn send_timeout(
        &self,
        message: M,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<M>> {
        // A timeout too long for an `Instant` is no deadline at all.
        let deadline = Instant::now().checked_add(timeout);
        self.queue
            .put(message, deadline)
            .map_err(|refused| match refused {
                Refused::Closed(message) => SendTimeoutError::Closed(message),
                Refused::Timeout(message) => SendTimeoutError::Timeout(message),
            })
    }

    /// `ask`'s body.
    pub(crate) fn ask<R, F>(&self, request: F, timeout: Duration) -> Result<R, AskError>
    where
        F: FnOnce(Reply<R>) -> M,
    {
        if self.is_own_thread() {
            // The answer would wait for the handler that waits for it.
            return Err(AskError::OwnThread);
        }
        // A timeout too long for an `Instant` is no deadline at all.
        let deadline = Instant::now().checked_add(timeout);
        let (answer, answers) = crossbeam_channel::bounded(1);
        if let Err(refused) = self.send_timeout(request(Reply::new(answer)), timeout) {
            let error = match refused {
                SendTimeoutError::Timeout(_) => AskError::Timeout,
                SendTimeoutError::Closed(_) => AskError::Closed,
            };
            // The request is user code, dropped here: a panic of its `Drop`
            // must not replace the error (it did, a break run), nor pass
            // unseen.
            if let Err(panic) = drop_catching(refused.into_inner()) {
                self.record_panic(&format!(
                    "dropping a refused ask's request panicked: {panic}"
                ));
            }
            return Err(error);
        }
        // A quick answer is picked up without sleeping: waking a parked
        // thread costs more than the typical request.
        let outcome = match wait::recv_eagerly(&answers, deadline) {
            Ok(Answer::Value(value)) => Ok(value),
            // Dropped unhandled: a dead letter, or held by the actor as it
            // ended.
            Ok(Answer::Unhandled) => Err(AskError::Closed),
            Err(RecvTimeoutError::Timeout) => Err(AskError::Timeout),
            // Dropped by the handler (returning or panicking).
            Err(RecvTimeoutError::Disconnected) => Err(AskError::NoReply),
        };
        // An answer that landed after the timeout is freed with the
        // channel's last handle, which may be this one: user code, whose
        // panic must not replace the error (a break run: `ask` panicked,
        // and killed the asking actor).
        if let Err(panic) = drop_catching(answers) {
            self.record_panic(&format!("dropping a late answer panicked: {panic}"));
        }
        outcome
    }

    /// Whether the caller runs on the actor's own thread (in its handler,
    /// `started`, `stopped` or the factory of a restart).
    pub(crate) fn is_own_thread(&self) -> bool {
        self.thread_id.get() == Some(&thread::current().id())
    }

    /// The messages in the mailbox. A snapshot.
    pub(crate) fn mailbox_len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn requested(&self) -> u8 {
        self.lifecycle.requested()
    }

    pub(crate) fn handle_created(&self) {
        self.lifecycle.handle_created();
    }

    pub(crate) fn try_handle_created(&self) -> bool {
        self.lifecycle.try_handle_created()
    }

    pub(crate) fn handle_dropped(&self) {
        if self.lifecycle.handle_dropped() {
            self.request(STOP);
        }
    }

    pub(crate) fn stats(&self) -> ActorStats {
        let mut stats = self.counters.snapshot();
        // Acquire: pairs with `count_undelivered`'s Release; a reader that
        // sees the count sees the drop it followed.
        stats.undelivered = self.undelivered.load(Ordering::Acquire);
        stats
    }

    /// A timer message or notification for this actor was dropped: the
    /// actor was stopped or stopping, or the message could not be built.
    pub(crate) fn count_undelivered(&self) {
        // Release: pairs with `stats`' Acquire.
        self.undelivered.fetch_add(1, Ordering::Release);
    }

    /// Registers a monitor's notification, or, if this actor is down
    /// already, runs it at once (on the calling thread).
    pub(crate) fn add_monitor(&self, notification: Notification) {
        if let Err((notification, reason)) = self.monitors.watch(notification) {
            notification(reason);
        }
    }

    /// Runs every monitor's notification, once, just before `finish`: on
    /// the actor's thread, none under a lock. Each catches its own panics
    /// and never blocks (but runs the user's `map`).
    pub(crate) fn notify_monitors(&self, reason: &ExitReason) {
        for notification in self.monitors.down(reason.clone()) {
            notification(reason.clone());
        }
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

    /// As `wait_for_exit`, for at most `timeout` (any `Duration`).
    pub(crate) fn wait_for_exit_timeout(&self, timeout: Duration) -> Option<ExitReason> {
        // Too far for an `Instant`: no deadline.
        let deadline = Instant::now().checked_add(timeout);
        let mut exit = self.exit.lock();
        loop {
            if let Some(reason) = exit.as_ref() {
                return Some(reason.clone());
            }
            let left = match deadline {
                None => Duration::MAX,
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            };
            if left.is_zero() {
                return None;
            }
            exit = self.exited.wait_timeout(exit, left).0;
        }
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

impl<M: Send + 'static> Shared<M> {
    /// Puts a message no sender waits for (a monitor's notification) into
    /// the mailbox without blocking: a full mailbox hands it to the timer
    /// thread to retry; a closed one drops it and counts it undelivered.
    pub(crate) fn deliver(self: &Arc<Self>, message: M) {
        match self.try_send(message) {
            Ok(()) => {}
            Err(TrySendError::Full(message)) => timer::retry(self, message),
            Err(TrySendError::Closed(message)) => self.undelivered_message(message),
        }
    }

    /// Counts `message` undelivered and drops it, reporting a panic of its
    /// `Drop` in `last_panic`.
    pub(crate) fn undelivered_message(&self, message: M) {
        self.count_undelivered();
        if let Err(panic) = drop_catching(message) {
            self.record_panic(&format!(
                "dropping an undelivered notification panicked: {panic}"
            ));
        }
    }

    /// Makes a notification that gives `watcher` the message `map` builds
    /// from the reason this actor stopped.
    pub(crate) fn monitor_by<W, F>(&self, watcher: Arc<Shared<W>>, map: F)
    where
        W: Send + 'static,
        F: FnOnce(ExitReason) -> W + Send + 'static,
    {
        // `map` runs and its message is sent on this actor's thread, and a
        // watcher's full mailbox has the timer thread send it on: a message
        // too large for either stack overflowed it there, and the process
        // aborted (a break run: a watcher of 48 KiB messages watching an
        // actor of the smallest stack).
        let too_large = atomics_kit::too_large_for_stack::<W, F>(self.stack)
            .or_else(crate::timer::too_large_for_timers::<W, ()>);
        if let Some(size) = too_large {
            let _ = drop_catching(map);
            panic!(
                "actorlite: a monitor's message or closure of {size} bytes is too large for \
                 the watched actor's thread ({} bytes of stack, for values under 1/{} of it) \
                 or the timer thread (values under {} bytes): box the message",
                self.stack,
                atomics_kit::STACK_PER_VALUE,
                crate::timer::MAX_VALUE
            );
        }
        self.add_monitor(Box::new(move |reason| {
            match catching(move || map(reason)) {
                Ok(message) => watcher.deliver(message),
                Err(panic) => {
                    watcher.count_undelivered();
                    watcher.record_panic(&format!("a monitor's message closure panicked: {panic}"));
                }
            }
        }));
    }
}
