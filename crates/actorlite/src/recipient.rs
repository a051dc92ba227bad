//! `Recipient<M>` and `WeakRecipient<M>`: handles typed by the message
//! rather than the actor.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::errors::{AskError, SendError, SendTimeoutError, TrySendError};
use crate::exit_reason::ExitReason;
use crate::reply::Reply;
use crate::shared::Shared;
use crate::timer::{self, TimerHandle};

/// A handle to an actor typed by its message `M` rather than by the actor:
/// handles to actors of different types whose
/// [`Message`](crate::Actor::Message) is `M` fit in one
/// `Vec<Recipient<M>>`. Made by
/// [`ActorHandle::recipient`](crate::ActorHandle::recipient) or
/// `Recipient::from(handle)`; `Clone + Send + Sync`.
///
/// It is a handle in every way that matters to the actor: it keeps the
/// actor alive (the actor stops when its last `ActorHandle` *and*
/// `Recipient` are dropped), and its sends are accounted for exactly as an
/// `ActorHandle`'s (a refused message comes back in the error; an accepted
/// one is handled, lost with a handler's panic, or counted as a dead
/// letter). It cannot stop, kill or join the actor: that stays with the
/// `ActorHandle`s.
///
/// `M` is the actor's whole message type: there is no conversion from a
/// narrower message, because a refused message must come back to the
/// sender as the `M` it sent.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, Recipient, Reply};
/// use std::time::Duration;
///
/// enum Ping {
///     Ping(Reply<&'static str>),
/// }
/// struct Cat;
/// impl Actor for Cat {
///     type Message = Ping;
///     fn handle(&mut self, Ping::Ping(reply): Ping, _: &mut Context<Self>) {
///         reply.send("meow");
///     }
/// }
/// struct Dog;
/// impl Actor for Dog {
///     type Message = Ping;
///     fn handle(&mut self, Ping::Ping(reply): Ping, _: &mut Context<Self>) {
///         reply.send("woof");
///     }
/// }
///
/// let pets: Vec<Recipient<Ping>> = vec![spawn(Cat).into(), spawn(Dog).recipient()];
/// let sounds = pets
///     .iter()
///     .map(|pet| pet.ask(Ping::Ping, Duration::from_secs(5)))
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(sounds, ["meow", "woof"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Recipient<M: Send + 'static> {
    shared: Arc<Shared<M>>,
}

impl<M: Send + 'static> Recipient<M> {
    pub(crate) fn new(shared: Arc<Shared<M>>) -> Self {
        shared.handle_created();
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared<M>> {
        &self.shared
    }

    /// Sends a message; with a bounded mailbox, waits while it is full.
    /// Exactly [`ActorHandle::send`](crate::ActorHandle::send).
    ///
    /// # Errors
    ///
    /// As [`ActorHandle::send`](crate::ActorHandle::send): the message
    /// comes back in [`SendError`] if the actor has stopped or is stopping,
    /// or is stopped or killed while the send waits for room.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, Recipient};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// let recipient: Recipient<u32> = sink.recipient();
    /// recipient.send(7)?;
    /// sink.stop();
    /// assert_eq!(recipient.send(8).unwrap_err().into_inner(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(&self, message: M) -> Result<(), SendError<M>> {
        self.shared.send(message)
    }

    /// Sends a message if the mailbox has room, without waiting. Exactly
    /// [`ActorHandle::try_send`](crate::ActorHandle::try_send).
    ///
    /// # Errors
    ///
    /// Gives the message back in [`TrySendError::Full`] or
    /// [`TrySendError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, TrySendError};
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// let recipient = sink.recipient();
    /// sink.kill();
    /// assert_eq!(recipient.try_send(1), Err(TrySendError::Closed(1)));
    /// ```
    pub fn try_send(&self, message: M) -> Result<(), TrySendError<M>> {
        self.shared.try_send(message)
    }

    /// Sends a message, waiting at most `timeout` for room in a bounded
    /// mailbox. Exactly
    /// [`ActorHandle::send_timeout`](crate::ActorHandle::send_timeout); any
    /// `Duration` works.
    ///
    /// # Errors
    ///
    /// Gives the message back in [`SendTimeoutError::Timeout`] or
    /// [`SendTimeoutError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// spawn(Sink).recipient().send_timeout(1, Duration::from_millis(100))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_timeout(&self, message: M, timeout: Duration) -> Result<(), SendTimeoutError<M>> {
        self.shared.send_timeout(message, timeout)
    }

    /// Sends the message `request` builds around a fresh [`Reply`] and
    /// waits at most `timeout` in all for the answer. Exactly
    /// [`ActorHandle::ask`](crate::ActorHandle::ask); any `Duration` works.
    ///
    /// # Errors
    ///
    /// [`AskError::Timeout`], [`AskError::Closed`], [`AskError::NoReply`] or
    /// [`AskError::OwnThread`], as for [`ActorHandle::ask`](crate::ActorHandle::ask).
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
    /// let doubler = spawn(Doubler).recipient();
    /// assert_eq!(doubler.ask(|reply| (21, reply), Duration::from_secs(5))?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ask<R, F>(&self, request: F, timeout: Duration) -> Result<R, AskError>
    where
        F: FnOnce(Reply<R>) -> M,
    {
        self.shared.ask(request, timeout)
    }

    /// Whether the actor is still running (`false` once it has stopped for
    /// good, its clean-up done).
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
    /// let recipient = idle.recipient();
    /// assert!(recipient.is_alive());
    /// idle.kill();
    /// idle.join();
    /// assert!(!recipient.is_alive());
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.shared.exit_reason().is_none()
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
    /// let idle = ActorBuilder::new().name("idle").spawn(Idle)?;
    /// assert_eq!(idle.recipient().name(), "idle");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Tells `watcher` when this actor stops, as
    /// [`ActorHandle::monitor`](crate::ActorHandle::monitor) does.
    ///
    /// # Panics
    ///
    /// Never for user code: a panic in `map` is caught and counted in the
    /// watcher's [`ActorStats::undelivered`](crate::ActorStats::undelivered).
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
    /// struct Idle;
    /// impl Actor for Idle {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    /// struct Watcher(mpsc::Sender<ExitReason>);
    /// impl Actor for Watcher {
    ///     type Message = ExitReason;
    ///     fn handle(&mut self, reason: ExitReason, _: &mut Context<Self>) {
    ///         self.0.send(reason).unwrap();
    ///     }
    /// }
    ///
    /// let (tell, told) = mpsc::channel();
    /// let watcher = spawn(Watcher(tell));
    /// let idle = spawn(Idle);
    /// idle.recipient().monitor(&watcher.recipient(), |reason| reason);
    /// idle.kill();
    /// assert_eq!(told.recv()?, ExitReason::Killed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monitor<W, F>(&self, watcher: &Recipient<W>, map: F)
    where
        W: Send + 'static,
        F: FnOnce(ExitReason) -> W + Send + 'static,
    {
        self.shared.monitor_by(Arc::clone(watcher.shared()), map);
    }

    /// Sends `message` to the actor once, after `delay`, from the
    /// process's one timer thread (no thread per timer; see
    /// [`TimerHandle`]). Dropping the returned handle cancels the timer;
    /// [`TimerHandle::detach`] lets it run.
    ///
    /// - The timer does not keep the actor alive. If the actor is stopped
    ///   or stopping when the time comes, the message is dropped and
    ///   counted in [`ActorStats::undelivered`](crate::ActorStats::undelivered).
    ///   Once in the mailbox it is a message as any other (handled, lost
    ///   with a panic, or a dead letter).
    /// - A full bounded mailbox delays it (retried after 1 ms, doubling up
    ///   to 64 ms) until it gets in; the timer thread never blocks.
    /// - Any `Duration`: one too long for an `Instant` never falls due.
    ///
    /// # Panics
    ///
    /// If the timer thread is not running and the operating system refuses
    /// to start it (as [`std::thread::spawn`]); nothing is then sent.
    /// Also if the message is 1 MiB or more (the timer thread passes it
    /// through its stack by value, in more frames than an actor's thread:
    /// it carries values under a 128th of its 128 MiB), once it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// struct Bell(mpsc::Sender<&'static str>);
    /// impl Actor for Bell {
    ///     type Message = &'static str;
    ///     fn handle(&mut self, sound: &'static str, _: &mut Context<Self>) {
    ///         self.0.send(sound).unwrap();
    ///     }
    /// }
    ///
    /// let (ring, rings) = mpsc::channel();
    /// let bell = spawn(Bell(ring)).recipient();
    /// let _timer = bell.send_after(Duration::from_millis(5), "ding");
    /// assert_eq!(rings.recv()?, "ding");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_after(&self, delay: Duration, message: M) -> TimerHandle {
        timer::start_once(&self.shared, delay, message)
    }

    /// Sends the actor a message built by `make` every `period` (the first
    /// after one period), from the process's one timer thread, until the
    /// returned handle is cancelled or dropped, the actor stops (that tick
    /// is counted in [`ActorStats::undelivered`](crate::ActorStats::undelivered)
    /// and the interval ends), or `make` panics (the interval ends; the
    /// panic is in the actor's `last_panic`).
    ///
    /// `make` runs on the timer thread, which all timers share: keep it
    /// short. A tick that finds a full bounded mailbox waits for room (as
    /// [`send_after`](Self::send_after)'s message does); ticks that fall
    /// due meanwhile are skipped, not piled up.
    ///
    /// # Panics
    ///
    /// If `period` is zero, or as [`send_after`](Self::send_after) if the
    /// timer thread cannot be started.
    /// Also if a message or `make` is 1 MiB or more (the timer thread
    /// passes them through its stack by value, in more frames than an
    /// actor's thread: it carries values under a 128th of its 128 MiB),
    /// once `make` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// struct Clock(mpsc::Sender<u32>);
    /// impl Actor for Clock {
    ///     type Message = u32;
    ///     fn handle(&mut self, tick: u32, _: &mut Context<Self>) {
    ///         self.0.send(tick).unwrap();
    ///     }
    /// }
    ///
    /// let (tell, ticks) = mpsc::channel();
    /// let clock = spawn(Clock(tell)).recipient();
    /// let mut n = 0;
    /// let timer = clock.send_interval(Duration::from_millis(1), move || {
    ///     n += 1;
    ///     n
    /// });
    /// assert_eq!(ticks.iter().take(3).collect::<Vec<_>>(), [1, 2, 3]);
    /// timer.cancel();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_interval<F>(&self, period: Duration, make: F) -> TimerHandle
    where
        F: FnMut() -> M + Send + 'static,
    {
        timer::start_interval(&self.shared, period, make)
    }

    /// A [`WeakRecipient`], which does not keep the actor alive.
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
    /// let recipient = spawn(Idle).recipient(); // the handle is gone: this keeps it alive
    /// let weak = recipient.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(recipient);
    /// assert!(weak.upgrade().is_none());
    /// ```
    #[must_use]
    pub fn downgrade(&self) -> WeakRecipient<M> {
        WeakRecipient {
            shared: Arc::downgrade(&self.shared),
        }
    }
}

impl<M: Send + 'static> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.shared))
    }
}

impl<M: Send + 'static> Drop for Recipient<M> {
    fn drop(&mut self) {
        self.shared.handle_dropped();
    }
}

impl<M: Send + 'static> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient")
            .field("name", &self.shared.name)
            .field("alive", &self.is_alive())
            .finish_non_exhaustive()
    }
}

/// A [`Recipient`] that does not keep its actor alive, as
/// [`WeakActorHandle`](crate::WeakActorHandle) is to `ActorHandle`. Made by
/// [`Recipient::downgrade`]; `Clone + Send + Sync`.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, WeakRecipient};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = u8;
///     fn handle(&mut self, _: u8, _: &mut Context<Self>) {}
/// }
///
/// let sink = spawn(Sink);
/// let weak: WeakRecipient<u8> = sink.recipient().downgrade();
/// weak.upgrade().expect("`sink` keeps it alive").send(1)?;
/// drop(sink);
/// assert!(weak.upgrade().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WeakRecipient<M: Send + 'static> {
    shared: Weak<Shared<M>>,
}

impl<M: Send + 'static> WeakRecipient<M> {
    /// A [`Recipient`], if some handle or recipient still keeps the actor
    /// alive; `None` for good once the last was dropped.
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
    /// let weak = idle.recipient().downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(idle);
    /// assert!(weak.upgrade().is_none());
    /// ```
    #[must_use]
    pub fn upgrade(&self) -> Option<Recipient<M>> {
        let shared = self.shared.upgrade()?;
        shared.try_handle_created().then(|| Recipient { shared })
    }
}

impl<M: Send + 'static> Clone for WeakRecipient<M> {
    fn clone(&self) -> Self {
        Self {
            shared: Weak::clone(&self.shared),
        }
    }
}

impl<M: Send + 'static> fmt::Debug for WeakRecipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("WeakRecipient");
        if let Some(shared) = self.shared.upgrade() {
            debug.field("name", &shared.name);
        }
        debug.finish_non_exhaustive()
    }
}
