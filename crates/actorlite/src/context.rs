//! `Context`: what a handler can do besides changing the actor's state.

use std::fmt;
use std::sync::Arc;

use crate::actor::Actor;
use crate::handle::{ActorHandle, WeakActorHandle};
use crate::shared::{Shared, STOP};

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
    /// [`try_send`](ActorHandle::try_send) for messages to itself.
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

    /// Stops the actor after this message: later sends are refused, the
    /// messages already queued are handled, then [`Actor::stopped`] runs
    /// with [`ExitReason::Normal`](crate::ExitReason::Normal).
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
