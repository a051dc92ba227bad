//! `Context`: what a handler can do besides changing the actor's state.

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::exit_reason::ExitReason;
use crate::handle::{ActorHandle, WeakActorHandle};
use crate::shared::{Shared, STOP};
use crate::timer::{self, TimerHandle};
use std::time::Duration;

/// Given to [`Actor::handle`] and [`Actor::started`]: the actor's name, a
/// handle to itself, and a way to stop.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context, ExitReason};
///
/// struct CountDown(u32);
/// impl Actor for CountDown {
///     type Message = ();
///     fn handle(&mut self, _: (), ctx: &mut Context<Self>) {
///         self.0 -= 1;
///         if self.0 == 0 {
///             ctx.stop();
///         } else {
///             // A message to itself; try_send, as a full mailbox would
///             // otherwise make the actor wait for itself.
///             let _ = ctx.handle().try_send(());
///         }
///     }
/// }
///
/// let actor = spawn(CountDown(3));
/// actor.send(())?;
/// assert_eq!(actor.join(), ExitReason::Normal);
/// assert_eq!(actor.stats().handled, 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Context<A: Actor> {
    shared: Arc<Shared<A::Message>>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(shared: Arc<Shared<A::Message>>) -> Self {
        Self { shared }
    }

    /// The actor's name (its thread's name too).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{Actor, ActorBuilder, Context, Reply};
    /// use std::time::Duration;
    ///
    /// struct Named;
    /// impl Actor for Named {
    ///     type Message = Reply<String>;
    ///     fn handle(&mut self, reply: Reply<String>, ctx: &mut Context<Self>) {
    ///         reply.send(ctx.name().to_owned());
    ///     }
    /// }
    ///
    /// let actor = ActorBuilder::new().name("bob").spawn(Named)?;
    /// assert_eq!(actor.ask(|r| r, Duration::from_secs(5))?, "bob");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// A handle to this actor, for sending to itself or handing to others.
    /// Like every handle it keeps the actor alive: an actor that stores its
    /// own handle stops only by [`stop`](Self::stop) or a `stop`/`kill`
    /// from outside (store a [`weak_handle`](Self::weak_handle) instead).
    ///
    /// A blocking [`send`](ActorHandle::send) through it to this actor's
    /// own full mailbox waits until a stop or kill is requested (nothing
    /// else can make room), then gives the message back; prefer
    /// [`try_send`](ActorHandle::try_send) for messages to itself. The
    /// handle the send goes through counts like any other: while it waits,
    /// dropping every handle outside requests no stop (the count never
    /// reaches zero), so only a `stop` or `kill` (through a handle, or a
    /// weak one upgraded) releases it.
    #[must_use]
    pub fn handle(&self) -> ActorHandle<A> {
        ActorHandle::new(Arc::clone(&self.shared))
    }

    /// A weak handle to this actor, which does not keep it alive (see
    /// [`WeakActorHandle`]): what an actor should keep of itself, so that
    /// it still stops when every outside handle is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason, WeakActorHandle};
    /// use std::sync::mpsc;
    ///
    /// struct Selfie {
    ///     me: Option<WeakActorHandle<Selfie>>,
    ///     stopped: mpsc::Sender<ExitReason>,
    /// }
    /// impl Actor for Selfie {
    ///     type Message = ();
    ///     fn started(&mut self, ctx: &mut Context<Self>) {
    ///         self.me = Some(ctx.weak_handle());
    ///     }
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    ///     fn stopped(&mut self, reason: &ExitReason) {
    ///         self.stopped.send(reason.clone()).unwrap();
    ///     }
    /// }
    ///
    /// let (stopped, stops) = mpsc::channel();
    /// drop(spawn(Selfie { me: None, stopped }));
    /// assert_eq!(stops.recv()?, ExitReason::Normal);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn weak_handle(&self) -> WeakActorHandle<A> {
        WeakActorHandle::new(&self.shared)
    }

    /// Makes this actor a watcher of `watched`: when `watched` stops, this
    /// actor receives `map(reason)`, exactly once (at once if `watched`
    /// has stopped already). As
    /// [`ActorHandle::monitor`](crate::ActorHandle::monitor), with this
    /// actor as the watcher; the monitor does not keep this actor alive.
    ///
    /// # Panics
    ///
    /// Never for user code: a panic in `map` is caught, counted in this
    /// actor's [`ActorStats::undelivered`](crate::ActorStats::undelivered)
    /// and reported in its `last_panic`.
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
    /// use actorlite::{spawn, Actor, ActorHandle, Context, ExitReason, Reply};
    /// use std::time::Duration;
    ///
    /// struct Worker;
    /// impl Actor for Worker {
    ///     type Message = ();
    ///     fn handle(&mut self, _: (), _: &mut Context<Self>) {}
    /// }
    ///
    /// enum Msg {
    ///     Watch(ActorHandle<Worker>),
    ///     Down(ExitReason),
    ///     Downs(Reply<Vec<ExitReason>>),
    /// }
    /// struct Overseer(Vec<ExitReason>);
    /// impl Actor for Overseer {
    ///     type Message = Msg;
    ///     fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
    ///         match msg {
    ///             Msg::Watch(worker) => ctx.monitor(&worker, Msg::Down),
    ///             Msg::Down(reason) => self.0.push(reason),
    ///             Msg::Downs(reply) => reply.send(self.0.clone()),
    ///         }
    ///     }
    /// }
    ///
    /// let overseer = spawn(Overseer(Vec::new()));
    /// let worker = spawn(Worker);
    /// overseer.send(Msg::Watch(worker.clone()))?;
    /// worker.stop();
    /// worker.join();
    /// while overseer.ask(Msg::Downs, Duration::from_secs(5))?.is_empty() {
    ///     std::thread::yield_now();
    /// }
    /// assert_eq!(overseer.ask(Msg::Downs, Duration::from_secs(5))?, [ExitReason::Normal]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monitor<B, F>(&self, watched: &ActorHandle<B>, map: F)
    where
        B: Actor,
        F: FnOnce(ExitReason) -> A::Message + Send + 'static,
    {
        watched.shared().monitor_by(Arc::clone(&self.shared), map);
    }

    /// Sends this actor `message` after `delay` (a reminder to itself),
    /// from the process's one timer thread; as
    /// [`Recipient::send_after`](crate::Recipient::send_after). The timer
    /// does not keep the actor alive; keep the [`TimerHandle`] (in the
    /// actor's state) to be able to cancel it, or
    /// [`detach`](TimerHandle::detach) it.
    ///
    /// # Panics
    ///
    /// If the timer thread cannot be started (a panic in the handler).
    /// Also if the message is 1 MiB or more (the timer thread passes it
    /// through its stack by value, in more frames than an actor's thread:
    /// it carries values under a 128th of its 128 MiB), once it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason};
    /// use std::time::Duration;
    ///
    /// enum Msg {
    ///     Start,
    ///     TimeUp,
    /// }
    /// struct Egg;
    /// impl Actor for Egg {
    ///     type Message = Msg;
    ///     fn handle(&mut self, msg: Msg, ctx: &mut Context<Self>) {
    ///         match msg {
    ///             Msg::Start => ctx.send_after(Duration::from_millis(3), Msg::TimeUp).detach(),
    ///             Msg::TimeUp => ctx.stop(),
    ///         }
    ///     }
    /// }
    ///
    /// let egg = spawn(Egg);
    /// egg.send(Msg::Start)?;
    /// assert_eq!(egg.join(), ExitReason::Normal);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_after(&self, delay: Duration, message: A::Message) -> TimerHandle {
        timer::start_once(&self.shared, delay, message)
    }

    /// Sends this actor a message built by `make` every `period`; as
    /// [`Recipient::send_interval`](crate::Recipient::send_interval). The
    /// timer does not keep the actor alive, and ends when the actor stops.
    ///
    /// # Panics
    ///
    /// If `period` is zero, or if the timer thread cannot be started (a
    /// panic in the handler).
    /// Also if a message or `make` is 1 MiB or more (the timer thread
    /// passes them through its stack by value, in more frames than an
    /// actor's thread: it carries values under a 128th of its 128 MiB),
    /// once `make` is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context, ExitReason, TimerHandle};
    /// use std::time::Duration;
    ///
    /// enum Msg {
    ///     Tick,
    /// }
    /// struct Heartbeat {
    ///     beats: u32,
    ///     timer: Option<TimerHandle>,
    /// }
    /// impl Actor for Heartbeat {
    ///     type Message = Msg;
    ///     fn started(&mut self, ctx: &mut Context<Self>) {
    ///         self.timer = Some(ctx.send_interval(Duration::from_millis(1), || Msg::Tick));
    ///     }
    ///     fn handle(&mut self, Msg::Tick: Msg, ctx: &mut Context<Self>) {
    ///         self.beats += 1;
    ///         if self.beats == 3 {
    ///             ctx.stop(); // the timer is dropped with the actor: cancelled
    ///         }
    ///     }
    /// }
    ///
    /// let heart = spawn(Heartbeat { beats: 0, timer: None });
    /// assert_eq!(heart.join(), ExitReason::Normal);
    /// assert!(heart.stats().handled >= 3); // ticks queued before the stop are handled too
    /// ```
    pub fn send_interval<F>(&self, period: Duration, make: F) -> TimerHandle
    where
        F: FnMut() -> A::Message + Send + 'static,
    {
        timer::start_interval(&self.shared, period, make)
    }

    /// Stops the actor after this message: later sends are refused, the
    /// messages already queued are handled, then [`Actor::stopped`] runs
    /// with [`ExitReason::Normal`].
    pub fn stop(&mut self) {
        self.shared.request(STOP);
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}
