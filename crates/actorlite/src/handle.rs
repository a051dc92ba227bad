//! `ActorHandle`: how the rest of the program talks to an actor.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::actor::Actor;
use crate::errors::AskError;
use crate::errors::{SendError, SendTimeoutError, TrySendError};
use crate::exit_reason::ExitReason;
use crate::recipient::Recipient;
use crate::reply::Reply;
use crate::shared::{Shared, KILL, STOP};
use crate::stats::ActorStats;
use crate::timer::{self, TimerHandle};

/// A handle to a running (or stopped) actor: `Clone + Send + Sync`, cheap
/// to clone. When the last handle is dropped, the actor stops as by
/// [`stop`](Self::stop).
///
/// Every message a send accepts is handled, or counted as a dead letter
/// (the actor was killed, or stopped by a panic, before its handler began
/// on it: still queued, or just taken from the mailbox), or
/// lost with a handler's panic (counted in
/// [`ActorStats::panicked_messages`]); a refused message comes back in the
/// error.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context};
///
/// struct Printer;
/// impl Actor for Printer {
///     type Message = String;
///     fn handle(&mut self, line: String, _: &mut Context<Self>) {
///         println!("{line}");
///     }
/// }
///
/// let printer = spawn(Printer);
/// let copy = printer.clone();
/// std::thread::spawn(move || copy.send("from another thread".into()).unwrap()).join().unwrap();
/// printer.stop();
/// printer.join();
/// assert_eq!(printer.stats().handled, 1);
/// ```
pub struct ActorHandle<A: Actor> {
    shared: Arc<Shared<A::Message>>,
}

impl<A: Actor> ActorHandle<A> {
    pub(crate) fn new(shared: Arc<Shared<A::Message>>) -> Self {
        shared.handle_created();
        Self { shared }
    }

    /// Sends a message; with a bounded mailbox, waits while it is full.
    ///
    /// # Errors
    ///
    /// Gives the message back in [`SendError`] if the actor has stopped or
    /// is stopping when the send starts, or if, while it waits for room,
    /// a [`stop`](Self::stop) or [`kill`](Self::kill) is requested or the
    /// actor stops on a panic it cannot recover from (the message is then
    /// not a dead letter: it was never queued). A stop refuses what is not
    /// in the mailbox yet, as crossbeam-channel refuses a send blocked on a
    /// full channel once its receiver is gone; what is in is handled.
    ///
    /// Sent by the actor's own handler (through
    /// [`Context::handle`](crate::Context::handle)) to its full mailbox,
    /// the send cannot be helped by waiting (only this thread makes room):
    /// it waits until a `stop` or `kill` is requested by anyone, then gives
    /// the message back. Dropping every other handle does not request it:
    /// the handle this send goes through keeps the count above zero. Use
    /// [`try_send`](Self::try_send) there.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Sum(u64);
    /// impl Actor for Sum {
    ///     type Message = u64;
    ///     fn handle(&mut self, n: u64, _: &mut Context<Self>) {
    ///         self.0 += n;
    ///     }
    /// }
    ///
    /// let sum = spawn(Sum(0));
    /// for n in 0..1_000 {
    ///     sum.send(n)?; // waits whenever 64 messages are queued
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, message: A::Message) -> Result<(), SendError<A::Message>> {
        self.shared.send(message)
    }

    /// Sends a message if the mailbox has room, without waiting.
    ///
    /// # Errors
    ///
    /// Gives the message back in [`TrySendError::Full`] or
    /// [`TrySendError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{Actor, ActorBuilder, Context, Mailbox, TrySendError};
    /// use std::sync::mpsc;
    ///
    /// struct Blocked(mpsc::Receiver<()>);
    /// impl Actor for Blocked {
    ///     type Message = u8;
    ///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {
    ///         self.0.recv().unwrap(); // waits for the test to release it
    ///     }
    /// }
    ///
    /// let (release, gate) = mpsc::channel();
    /// let actor = ActorBuilder::new().mailbox(Mailbox::Bounded(1)).spawn(Blocked(gate))?;
    /// actor.send(1)?; // taken by the actor, which now waits
    /// while actor.mailbox_len() != 0 {
    ///     std::thread::yield_now();
    /// }
    /// actor.send(2)?; // fills the mailbox
    /// assert_eq!(actor.try_send(3), Err(TrySendError::Full(3)));
    /// release.send(())?;
    /// release.send(())?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_send(&self, message: A::Message) -> Result<(), TrySendError<A::Message>> {
        self.shared.try_send(message)
    }

    /// Sends a message, waiting at most `timeout` for room in a bounded
    /// mailbox.
    ///
    /// # Errors
    ///
    /// Gives the message back in [`SendTimeoutError::Timeout`] if the
    /// mailbox stayed full, or [`SendTimeoutError::Closed`] in the cases
    /// [`send`](Self::send) gives [`SendError`] (a stop or kill request
    /// releases a waiting send at once). Any `Duration` works; `Duration::MAX` waits as long
    /// as it takes.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u8;
    ///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// sink.send_timeout(1, Duration::from_millis(100))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_timeout(
        &self,
        message: A::Message,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<A::Message>> {
        self.shared.send_timeout(message, timeout)
    }

    /// Sends the message `request` builds around a fresh [`Reply`], and
    /// waits at most `timeout` in all (for room in the mailbox, then for the
    /// answer). Any `Duration` works; `Duration::MAX` waits as long as it
    /// takes. A request the mailbox refused (`Timeout`, `Closed`) is
    /// dropped here; a panic of its `Drop` is caught and reported in
    /// [`last_panic`](Self::last_panic), and the error still returned. So
    /// is an answer that arrived after the timeout, if this call is the one
    /// that frees it (else the actor's thread does, catching the panic
    /// too: a late answer fails neither side).
    ///
    /// # Errors
    ///
    /// [`AskError::Timeout`] if no answer came in time,
    /// [`AskError::Closed`] if the actor has stopped or is stopping, or
    /// stopped before handling the request (it was a dead letter, or the
    /// actor ended holding its `Reply`), [`AskError::NoReply`] if the
    /// handler dropped the `Reply` unanswered (returning or panicking),
    /// even during a graceful stop, [`AskError::OwnThread`] (at once,
    /// nothing sent) if called on the actor's own thread, which could never
    /// answer while it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, Reply};
    /// use std::time::Duration;
    ///
    /// struct Doubler;
    /// impl Actor for Doubler {
    ///     type Message = (u32, Reply<u32>);
    ///     fn handle(&mut self, (n, reply): Self::Message, _: &mut Context<Self>) {
    ///         reply.send(n * 2);
    ///     }
    /// }
    ///
    /// let doubler = spawn(Doubler);
    /// assert_eq!(doubler.ask(|reply| (21, reply), Duration::from_secs(5))?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ask<R, F>(&self, request: F, timeout: Duration) -> Result<R, AskError>
    where
        F: FnOnce(Reply<R>) -> A::Message,
    {
        self.shared.ask(request, timeout)
    }

    /// Stops the actor gracefully: later sends are refused, the messages
    /// already accepted are handled, then [`Actor::stopped`] runs with
    /// [`ExitReason::Normal`]. Returns at once; [`join`](Self::join) waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u8;
    ///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// (0..10).for_each(|n| sink.send(n).unwrap());
    /// sink.stop();
    /// assert_eq!(sink.join(), ExitReason::Normal);
    /// assert_eq!(sink.stats().handled, 10, "queued before the stop: handled");
    /// ```
    pub fn stop(&self) {
        self.shared.request(STOP);
    }

    /// Stops the actor now: later sends are refused, the messages whose
    /// handling has not begun are dropped and counted as dead letters, then
    /// [`Actor::stopped`] runs with [`ExitReason::Killed`]. The message
    /// being handled, if any, finishes first. "Not begun" includes a
    /// message the actor took from the mailbox a moment before the kill
    /// and had not yet passed to its handler, which
    /// [`mailbox_len`](Self::mailbox_len) no longer counted: the actor
    /// looks at the kill request between taking a message and handling it.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    ///
    /// struct Slow;
    /// impl Actor for Slow {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {
    ///         std::thread::sleep(std::time::Duration::from_millis(1));
    ///     }
    /// }
    ///
    /// let slow = spawn(Slow);
    /// (0..20).for_each(|_| slow.send(()).unwrap());
    /// slow.kill();
    /// assert_eq!(slow.join(), ExitReason::Killed);
    /// let stats = slow.stats();
    /// assert_eq!(stats.handled + stats.dead_letters, 20);
    /// ```
    pub fn kill(&self) {
        self.shared.request(KILL);
    }

    /// Waits until the actor has stopped, and returns why.
    ///
    /// # Panics
    ///
    /// If called on the actor's own thread (from its handler, `started`,
    /// `stopped`, the actor's `Drop`, a monitor's `map` or a dead letter's
    /// `Drop` run there): it would wait for itself. From the handler, the
    /// panic is the handler's, so the actor stops (or restarts) as for any
    /// handler panic. Only that case is recognised:
    /// actors that join each other in a cycle (A's handler joins B while
    /// B's joins A) wait forever, as threads joining each other do, and
    /// `kill` cannot end them (it takes effect between messages); use
    /// [`join_timeout`](Self::join_timeout) where a cycle is possible.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    ///
    /// struct Fragile;
    /// impl Actor for Fragile {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {
    ///         panic!("broke");
    ///     }
    /// }
    ///
    /// let fragile = spawn(Fragile);
    /// fragile.send(())?;
    /// assert_eq!(fragile.join(), ExitReason::Panicked("broke".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn join(&self) -> ExitReason {
        self.refuse_own_thread("join");
        let reason = self.shared.wait_for_exit();
        self.reap();
        reason
    }

    /// Waits at most `timeout` for the actor to stop: `Some` with why it
    /// stopped (at once if it has already), `None` if it is still running
    /// (or stopping) when the time is up. Any `Duration` works;
    /// `Duration::MAX` waits as [`join`](Self::join) does. Unlike `join`,
    /// it does not wait for the actor's thread to end once the actor has
    /// stopped (the thread may still run its thread-locals' destructors).
    ///
    /// # Panics
    ///
    /// If called on the actor's own thread (from its handler, or any of its
    /// code that [`join`](Self::join) names), as
    /// [`join`](Self::join).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    /// use std::time::Duration;
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// let idle = spawn(Idle);
    /// assert_eq!(idle.join_timeout(Duration::ZERO), None, "nobody stopped it");
    /// idle.stop();
    /// assert_eq!(idle.join_timeout(Duration::from_secs(5)), Some(ExitReason::Normal));
    /// ```
    #[must_use = "`None` means the actor is still running"]
    pub fn join_timeout(&self, timeout: Duration) -> Option<ExitReason> {
        self.refuse_own_thread("join_timeout");
        // The thread is not joined here: after the actor's exit it still
        // runs its thread-locals' destructors (user code), which could hold
        // this call far past `timeout` (`JoinHandle::is_finished` is true
        // before they run). `join` reaps it; else it ends detached.
        self.shared.wait_for_exit_timeout(timeout)
    }

    /// Panics on the actor's own thread, which would wait for itself.
    fn refuse_own_thread(&self, what: &str) {
        assert!(
            !self.shared.is_own_thread(),
            "ActorHandle::{what} called on the actor's own thread: it would wait for itself"
        );
    }

    /// Joins the actor's thread once it has recorded its exit (the first
    /// joiner does; it has nothing left to run but its return).
    fn reap(&self) {
        self.shared.reap();
    }

    /// Whether the actor has not stopped yet (it may be stopping).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// let idle = spawn(Idle);
    /// assert!(idle.is_alive());
    /// idle.stop();
    /// idle.join();
    /// assert!(!idle.is_alive());
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.shared.exit_reason().is_none()
    }

    /// A snapshot of the actor's counters; exact once it has stopped, and
    /// final then, except
    /// [`undelivered`](crate::ActorStats::undelivered): a timer still due
    /// or a monitor still to fire for this actor counts there when it
    /// comes, after the stop (cancel the timers to settle it).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// assert_eq!(spawn(Idle).stats().handled, 0);
    /// ```
    #[must_use]
    pub fn stats(&self) -> ActorStats {
        self.shared.stats()
    }

    /// The message of the latest panic caught on this actor's thread,
    /// whether the actor restarted after it or not: how a supervised
    /// actor's failures are reported. `None` if nothing panicked.
    ///
    /// Every place the actor's thread runs user code is caught and
    /// reported here: the handler and `started` (with, after `"; then "`,
    /// a panic of the broken instance's `Drop` or of the factory), the
    /// `Drop` of a dead letter (`"dropping a dead letter panicked: .."`; it
    /// stays counted as a dead letter), and the clean-up at the end
    /// (`stopped`, the actor's `Drop`, the factory's `Drop`; also in
    /// [`ExitReason::CleanupPanicked`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn_supervised, Actor, Context, Reply, RestartPolicy};
    /// use std::time::Duration;
    ///
    /// struct Picky;
    /// impl Actor for Picky {
    ///     type Message = (u8, Reply<u8>);
    ///     fn handle(&mut self, (n, reply): Self::Message, _: &mut Context<Self>) {
    ///         assert!(n != 0, "zero is not accepted");
    ///         reply.send(n);
    ///     }
    /// }
    ///
    /// let picky = spawn_supervised(|| Picky, RestartPolicy::default());
    /// assert_eq!(picky.last_panic(), None);
    /// assert!(picky.ask(|r| (0, r), Duration::from_secs(5)).is_err());
    /// assert_eq!(picky.ask(|r| (7, r), Duration::from_secs(5))?, 7); // restarted
    /// assert_eq!(picky.last_panic().as_deref(), Some("zero is not accepted"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn last_panic(&self) -> Option<String> {
        self.shared.last_panic()
    }

    /// Messages waiting in the mailbox now (a snapshot: with sends and the
    /// actor racing it, a moment's count). A send still landing is counted
    /// once it has claimed its place; a stop or kill queues nothing, so an
    /// idle actor's mailbox reads 0 after them.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// assert_eq!(spawn(Idle).mailbox_len(), 0);
    /// ```
    #[must_use]
    pub fn mailbox_len(&self) -> usize {
        self.shared.mailbox_len()
    }

    /// A weak handle to this actor: it reaches the actor (through
    /// [`WeakActorHandle::upgrade`]) while some `ActorHandle` keeps it
    /// alive, but does not keep it alive itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// let idle = spawn(Idle);
    /// let weak = idle.downgrade();
    /// weak.upgrade().expect("`idle` keeps it alive").send(())?;
    /// drop(idle); // the last handle: the actor stops
    /// assert!(weak.upgrade().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn downgrade(&self) -> WeakActorHandle<A> {
        WeakActorHandle::new(&self.shared)
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<A::Message>> {
        &self.shared
    }

    /// Tells `watcher` when this actor stops (Erlang's monitor): it gets
    /// `map(reason)`, with the [`ExitReason`], exactly once, as the actor
    /// stops (after its [`stopped`](crate::Actor::stopped) hook and
    /// clean-up, before [`join`](Self::join) returns), or at once if it
    /// has stopped already. Any number of monitors may watch one actor; one watcher may
    /// watch many (tell them apart in `map`).
    ///
    /// - The monitor does not keep the watcher alive: a watcher stopped or
    ///   stopping when the notification comes does not get it, and it is
    ///   counted in the watcher's
    ///   [`ActorStats::undelivered`](crate::ActorStats::undelivered).
    /// - Delivering never blocks: a notification that finds the watcher's
    ///   bounded mailbox full is retried by the process's one timer thread
    ///   (the one behind [`TimerHandle`]) until it gets
    ///   in or the watcher stops.
    /// - `map` runs on the stopping actor's thread (on the calling thread
    ///   if the actor has already stopped), as part of its stopping: keep
    ///   it short, as `join` waits for it (and `join_timeout` counts it).
    ///   A watcher handling the notification may still see
    ///   [`is_alive`](Self::is_alive) true for a moment; `join` from there
    ///   returns as soon as the other notifications are out. Once in the
    ///   watcher's mailbox, the notification is a message as any other:
    ///   handled, lost with a handler's panic, or a dead letter.
    /// - There is no way to take a monitor back: a watcher that no longer
    ///   cares ignores the message.
    ///
    /// # Panics
    ///
    /// Never for user code: a panic in `map` (or in the `Drop` of a
    /// notification the watcher did not take) is caught, counted in the
    /// watcher's `undelivered` and reported in its
    /// [`last_panic`](Self::last_panic).
    /// If the watcher's message type or `map` is a 32nd or more of the
    /// watched actor thread's stack ([`atomics_kit::STACK_PER_VALUE`]), or
    /// the message 1 MiB or more (the most the timer thread, which resends
    /// a notification a full mailbox refused, carries): it would pass
    /// through that stack by value, and overflow it. `map` is dropped
    /// first.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    /// use std::sync::mpsc;
    ///
    /// struct Fragile;
    /// impl Actor for Fragile {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {
    ///         panic!("broke");
    ///     }
    /// }
    ///
    /// enum Event {
    ///     Down(&'static str, ExitReason),
    /// }
    /// struct Supervisor(mpsc::Sender<String>);
    /// impl Actor for Supervisor {
    ///     type Message = Event;
    ///     fn handle(&mut self, Event::Down(who, reason): Event, _: &mut Context<Self>) {
    ///         self.0.send(format!("{who} {reason}")).unwrap();
    ///     }
    /// }
    ///
    /// let (log, lines) = mpsc::channel();
    /// let supervisor = spawn(Supervisor(log));
    /// let fragile = spawn(Fragile);
    /// fragile.monitor(&supervisor.recipient(), |reason| Event::Down("fragile", reason));
    /// fragile.send(())?;
    /// assert_eq!(lines.recv()?, "fragile panicked: broke");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monitor<W, F>(&self, watcher: &Recipient<W>, map: F)
    where
        W: Send + 'static,
        F: FnOnce(ExitReason) -> W + Send + 'static,
    {
        self.shared.monitor_by(Arc::clone(watcher.shared()), map);
    }

    /// Sends `message` to this actor once, after `delay`, from the
    /// process's one timer thread; exactly
    /// [`Recipient::send_after`](crate::Recipient::send_after). Dropping
    /// the returned [`TimerHandle`] cancels it.
    ///
    /// # Panics
    ///
    /// If the timer thread cannot be started.
    /// Also if the message is 1 MiB or more (the timer thread passes it
    /// through its stack by value, in more frames than an actor's thread:
    /// it carries values under a 128th of its 128 MiB), once it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u8;
    ///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// sink.send_after(Duration::from_millis(1), 1).detach();
    /// while sink.stats().handled == 0 {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn send_after(&self, delay: Duration, message: A::Message) -> TimerHandle {
        timer::start_once(&self.shared, delay, message)
    }

    /// Sends this actor a message built by `make` every `period`; exactly
    /// [`Recipient::send_interval`](crate::Recipient::send_interval).
    ///
    /// # Panics
    ///
    /// If `period` is zero, or if the timer thread cannot be started.
    /// Also if a message or `make` is 1 MiB or more (the timer thread
    /// passes them through its stack by value, in more frames than an
    /// actor's thread: it carries values under a 128th of its 128 MiB),
    /// once `make` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// let ticks = sink.send_interval(Duration::from_millis(1), || ());
    /// while sink.stats().handled < 2 {
    ///     std::thread::yield_now();
    /// }
    /// drop(ticks); // cancels
    /// ```
    pub fn send_interval<F>(&self, period: Duration, make: F) -> TimerHandle
    where
        F: FnMut() -> A::Message + Send + 'static,
    {
        timer::start_interval(&self.shared, period, make)
    }

    /// A [`Recipient`] of this actor's messages: a handle typed by the
    /// message alone, so that handles to actors of different types taking
    /// the same message fit in one collection. It keeps the actor alive as
    /// this handle does. `Recipient::from(handle)` does the same, taking
    /// the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, Recipient};
    ///
    /// struct Shouter;
    /// impl Actor for Shouter {
    ///     type Message = String;
    ///     fn handle(&mut self, line: String, _: &mut Context<Self>) {
    ///         println!("{}", line.to_uppercase());
    ///     }
    /// }
    /// struct Whisperer;
    /// impl Actor for Whisperer {
    ///     type Message = String;
    ///     fn handle(&mut self, line: String, _: &mut Context<Self>) {
    ///         println!("{}", line.to_lowercase());
    ///     }
    /// }
    ///
    /// let shouter = spawn(Shouter);
    /// let listeners: Vec<Recipient<String>> = vec![shouter.recipient(), spawn(Whisperer).into()];
    /// for listener in &listeners {
    ///     listener.send("Hello".to_owned())?;
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn recipient(&self) -> Recipient<A::Message> {
        Recipient::new(Arc::clone(&self.shared))
    }

    /// The actor's name.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{Actor, ActorBuilder, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// assert_eq!(ActorBuilder::new().name("idle").spawn(Idle)?.name(), "idle");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.name
    }
}

impl<A: Actor> From<ActorHandle<A>> for Recipient<A::Message> {
    fn from(handle: ActorHandle<A>) -> Self {
        handle.recipient()
    }
}

impl<A: Actor> Clone for ActorHandle<A> {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.shared))
    }
}

impl<A: Actor> Drop for ActorHandle<A> {
    fn drop(&mut self) {
        self.shared.handle_dropped();
    }
}

impl<A: Actor> fmt::Debug for ActorHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorHandle")
            .field("name", &self.shared.name)
            .field("alive", &self.is_alive())
            .finish_non_exhaustive()
    }
}

/// A handle that does not keep its actor alive: an actor stops when its
/// last [`ActorHandle`] is dropped, whatever weak handles remain. Made by
/// [`ActorHandle::downgrade`] or [`Context::weak_handle`](crate::Context::weak_handle);
/// `Clone + Send + Sync`.
///
/// For an actor that holds its own handle, or two actors that hold each
/// other's: with strong handles they would keep each other running for
/// good; with weak ones they stop once everyone else lets go.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, WeakActorHandle};
///
/// struct Ticker {
///     myself: Option<WeakActorHandle<Ticker>>,
/// }
/// impl Actor for Ticker {
///     type Message = u32;
///     fn started(&mut self, ctx: &mut Context<Self>) {
///         self.myself = Some(ctx.weak_handle()); // does not keep it alive
///     }
///     fn handle(&mut self, n: u32, _: &mut Context<Self>) {
///         if let Some(me) = self.myself.as_ref().and_then(WeakActorHandle::upgrade) {
///             let _ = me.try_send(n + 1);
///         }
///     }
/// }
///
/// let ticker = spawn(Ticker { myself: None });
/// let weak = ticker.downgrade();
/// ticker.send(0)?;
/// drop(ticker); // the only outside handle
/// // The ticker stops, its own weak handle notwithstanding, as soon as its
/// // handler lets go of the handle it upgraded for a moment.
/// while let Some(ticker) = weak.upgrade() {
///     drop(ticker); // may be the last handle: that stops it
///     std::thread::yield_now();
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WeakActorHandle<A: Actor> {
    shared: Weak<Shared<A::Message>>,
}

impl<A: Actor> WeakActorHandle<A> {
    pub(crate) fn new(shared: &Arc<Shared<A::Message>>) -> Self {
        Self {
            shared: Arc::downgrade(shared),
        }
    }

    /// A handle to the actor, if some `ActorHandle` still keeps it alive;
    /// `None` once the last one was dropped (the actor is then stopping or
    /// stopped, for good). The handle it returns keeps the actor alive as
    /// any other. An actor stopped by [`ActorHandle::stop`] while handles
    /// remain still upgrades: its handle then refuses sends.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    ///
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// let idle = spawn(Idle);
    /// let weak = idle.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(idle);
    /// assert!(weak.upgrade().is_none());
    /// ```
    #[must_use]
    pub fn upgrade(&self) -> Option<ActorHandle<A>> {
        let shared = self.shared.upgrade()?;
        shared.try_handle_created().then(|| ActorHandle { shared })
    }
}

impl<A: Actor> Clone for WeakActorHandle<A> {
    fn clone(&self) -> Self {
        Self {
            shared: Weak::clone(&self.shared),
        }
    }
}

impl<A: Actor> fmt::Debug for WeakActorHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("WeakActorHandle");
        if let Some(shared) = self.shared.upgrade() {
            debug.field("name", &shared.name);
        }
        debug.finish_non_exhaustive()
    }
}
