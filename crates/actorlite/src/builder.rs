//! Starting actors: `spawn`, `spawn_supervised`, and `ActorBuilder`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use crate::actor::Actor;
use crate::handle::ActorHandle;
use crate::mailbox::Mailbox;
use crate::mailbox_queue::MailboxQueue;
use crate::restart_policy::{RestartBudget, RestartPolicy};
use crate::runner::{Runner, Supervisor};
use crate::shared::Shared;
use atomics_kit::SizeError;

use crate::errors::SpawnError;

/// Starts `actor` on its own thread with the default mailbox (bounded, 64
/// messages) and returns a handle to it. The seed article's
/// `spawn_actor`.
///
/// # Panics
///
/// If the operating system refuses to start a thread (as
/// [`std::thread::spawn`]); [`ActorBuilder::spawn`] returns that as an
/// error instead.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context};
///
/// struct Hello;
/// impl Actor for Hello {
///     type Message = &'static str;
///     fn handle(&mut self, name: &'static str, _: &mut Context<Self>) {
///         println!("hello, {name}");
///     }
/// }
///
/// let hello = spawn(Hello);
/// hello.send("world")?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spawn<A: Actor>(actor: A) -> ActorHandle<A> {
    match ActorBuilder::new().spawn(actor) {
        Ok(handle) => handle,
        Err(error) => panic!("actorlite::spawn: {error}"),
    }
}

/// Starts a supervised actor: when a handler panics, the actor is rebuilt
/// by `factory` (fresh state) and goes on with the messages queued behind
/// the failing one, which is lost and counted in
/// [`ActorStats::panicked_messages`](crate::ActorStats::panicked_messages).
/// Handles stay valid across restarts. One restart more than `policy`
/// allows and the actor stops with
/// [`ExitReason::Panicked`](crate::ExitReason::Panicked).
///
/// The factory's first call runs here, on the calling thread; restarts
/// call it on the actor's thread.
///
/// # Panics
///
/// If the operating system refuses to start a thread;
/// [`ActorBuilder::spawn_supervised`] returns that as an error instead.
/// If the factory's first call panics (the same panic; no actor starts).
///
/// # Examples
///
/// ```
/// use actorlite::{spawn_supervised, Actor, Context, Reply, RestartPolicy};
/// use std::time::Duration;
///
/// struct Divider;
/// enum Msg {
///     Divide(u32, u32, Reply<u32>),
/// }
/// impl Actor for Divider {
///     type Message = Msg;
///     fn handle(&mut self, Msg::Divide(a, b, reply): Msg, _: &mut Context<Self>) {
///         reply.send(a / b); // panics when b == 0
///     }
/// }
///
/// let divider = spawn_supervised(|| Divider, RestartPolicy::default());
/// let ask = |a, b| divider.ask(|r| Msg::Divide(a, b, r), Duration::from_secs(5));
/// assert!(ask(1, 0).is_err()); // the handler panicked; the actor restarted
/// assert_eq!(ask(6, 3)?, 2);
/// assert_eq!(divider.stats().restarts, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spawn_supervised<A, F>(factory: F, policy: RestartPolicy) -> ActorHandle<A>
where
    A: Actor,
    F: FnMut() -> A + Send + 'static,
{
    match ActorBuilder::new().spawn_supervised(factory, policy) {
        Ok(handle) => handle,
        Err(error) => panic!("actorlite::spawn_supervised: {error}"),
    }
}

/// Options for starting an actor: its name, its mailbox and its
/// thread's stack size.
///
/// # Examples
///
/// ```
/// use actorlite::{Actor, ActorBuilder, Context, Mailbox};
///
/// struct Logger;
/// impl Actor for Logger {
///     type Message = String;
///     fn handle(&mut self, line: String, _: &mut Context<Self>) {
///         eprintln!("{line}");
///     }
/// }
///
/// let logger = ActorBuilder::new().name("logger").mailbox(Mailbox::Unbounded).spawn(Logger)?;
/// assert_eq!(logger.name(), "logger");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a builder does nothing until `spawn`"]
pub struct ActorBuilder {
    name: Option<String>,
    mailbox: Mailbox,
    stack_size: Option<usize>,
}

impl ActorBuilder {
    /// The defaults: an automatic name (`actor-N`), a bounded mailbox of 64.
    pub fn new() -> Self {
        Self::default()
    }

    /// The actor's name, also its thread's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The mailbox: [`Mailbox::Bounded`] (the default, 64) or
    /// [`Mailbox::Unbounded`].
    pub fn mailbox(mut self, mailbox: Mailbox) -> Self {
        self.mailbox = mailbox;
        self
    }

    /// The stack size of the actor's thread, in bytes (default: std's,
    /// 2 MiB unless `RUST_MIN_STACK` says otherwise, and at least 64 KiB
    /// either way: `atomics_kit::user_thread_stack`). A message moves
    /// through that stack by value on its way to `handle`, and in a few
    /// frames at once (more in a debug build): a message of tens of KiB or
    /// more wants a bigger stack, or a `Box`; an actor or message type of a
    /// 32nd of the stack or more ([`atomics_kit::STACK_PER_VALUE`]: a debug
    /// build's idle actor overflowed the stack from a 16th) makes `spawn`
    /// fail with [`SpawnError::StackTooSmall`]. Every size is accepted
    /// here: one below 64 KiB is raised to 64 KiB (with less, a panic in
    /// the actor's code overflowed the stack while it unwound, and the
    /// process aborted, even for a panic that supervision would catch); the
    /// platform rounds it to whole pages; one it cannot map makes `spawn`
    /// fail with [`SpawnError::Spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{Actor, ActorBuilder, Context, Mailbox};
    ///
    /// /// Takes 32 KiB frames by value.
    /// struct Frames(u64);
    /// impl Actor for Frames {
    ///     type Message = [u8; 32 << 10];
    ///     fn handle(&mut self, frame: [u8; 32 << 10], _: &mut Context<Self>) {
    ///         self.0 += u64::from(frame[0]);
    ///     }
    /// }
    ///
    /// let actor = ActorBuilder::new()
    ///     .mailbox(Mailbox::Bounded(1))
    ///     .stack_size(16 << 20)
    ///     .spawn(Frames(0))?;
    /// actor.send([1; 32 << 10])?;
    /// # actor.stop();
    /// # assert_eq!(actor.join(), actorlite::ExitReason::Normal);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes.max(atomics_kit::MIN_THREAD_STACK));
        self
    }

    /// Starts `actor` on its own thread.
    ///
    /// # Errors
    ///
    /// [`SpawnError::InvalidSize`] for `Mailbox::Bounded(0)` or a bound
    /// above [`Mailbox::MAX_BOUNDED`], [`SpawnError::InvalidName`] for a
    /// name holding a NUL byte, [`SpawnError::StackTooSmall`] for an actor
    /// or message type of a 32nd of the actor thread's stack or more (see
    /// [`stack_size`](Self::stack_size)), [`SpawnError::Spawn`] if the
    /// thread could not be started. Except on Linux near the process's
    /// limit of memory mappings (`vm.max_map_count`, 65,530 by default; each
    /// thread takes a few), somewhere past 16,000 threads in the process:
    /// there std's setup of the new thread fails inside it and aborts the
    /// process before an error can come back. An actor is a thread: keep live actors to the
    /// low thousands. A refused `actor` is dropped on the calling thread
    /// before the error returns; a panic of its `Drop` is caught there (the
    /// panic hook has printed it), and the error is what the call reports.
    pub fn spawn<A: Actor>(self, actor: A) -> Result<ActorHandle<A>, SpawnError> {
        if let Err(refusal) = self.check::<A>() {
            drop_refused(actor);
            return Err(refusal);
        }
        self.start(actor, None)
    }

    /// Refuses what `start` could not honour, before any user code runs.
    fn check<A: Actor>(&self) -> Result<(), SpawnError> {
        if let Mailbox::Bounded(capacity) = self.mailbox {
            SizeError::check("mailbox capacity", capacity, Mailbox::MAX_BOUNDED)?;
        }
        // The actor lives on its thread's stack (in the runner's frame), and
        // each message passes through it on its way to `handle`, in several
        // frames at once: one of a quarter of the stack overflowed it, even
        // in an idle actor, and the overflow aborted the process (a break
        // run; see `STACK_PER_VALUE` for the measurements).
        let stack = self.stack();
        if let Some(size) = atomics_kit::too_large_for_stack::<A, A::Message>(stack) {
            return Err(SpawnError::StackTooSmall { size, stack });
        }
        match &self.name {
            Some(name) if name.contains('\0') => Err(SpawnError::InvalidName(name.clone())),
            _ => Ok(()),
        }
    }

    /// The stack the actor's thread gets, in bytes.
    fn stack(&self) -> usize {
        self.stack_size
            .unwrap_or_else(atomics_kit::user_thread_stack)
    }

    /// Starts a supervised actor (see [`spawn_supervised`]). The factory
    /// makes the first instance on the calling thread, after the builder's
    /// options were checked: a spawn refused for its options never calls
    /// it. A panic in that first call is the caller's: it propagates out of
    /// this call, and no actor starts. Should the operating system then
    /// refuse the thread ([`SpawnError::Spawn`]), that first instance and
    /// the factory are dropped on the calling thread, each with a panic of
    /// its `Drop` caught (as for [`spawn`](Self::spawn)'s refused actor; a
    /// factory refused for the options is dropped so too). Every later call
    /// (a restart) runs on the actor's thread, where a panic is caught.
    ///
    /// # Panics
    ///
    /// If the factory's first call panics (the same panic).
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn).
    pub fn spawn_supervised<A, F>(
        self,
        mut factory: F,
        policy: RestartPolicy,
    ) -> Result<ActorHandle<A>, SpawnError>
    where
        A: Actor,
        F: FnMut() -> A + Send + 'static,
    {
        if let Err(refusal) = self.check::<A>() {
            drop_refused(factory);
            return Err(refusal);
        }
        let first = factory();
        let supervisor = Supervisor {
            factory: Box::new(factory),
            budget: RestartBudget::new(policy),
        };
        self.start(first, Some(supervisor))
    }

    fn start<A: Actor>(
        self,
        actor: A,
        supervisor: Option<Supervisor<A>>,
    ) -> Result<ActorHandle<A>, SpawnError> {
        let (queue, taker) = match MailboxQueue::new(self.mailbox) {
            Ok(mailbox) => mailbox,
            Err(refusal) => {
                // One by one: in a tuple, a second panic would come while
                // the first unwinds.
                drop_refused(actor);
                drop_refused(supervisor);
                return Err(refusal.into());
            }
        };
        let stack = self.stack();
        let name = self.name.unwrap_or_else(|| {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            // Relaxed: a unique number, nothing to order.
            format!("actor-{}", NEXT.fetch_add(1, Ordering::Relaxed))
        });
        let shared = Arc::new(Shared::new(name.clone(), stack, queue));
        let handle = ActorHandle::new(Arc::clone(&shared));
        // Should the thread not start, std drops the closure on this
        // thread: the actor and the supervisor (its factory) apart, each
        // with its panic caught.
        let (actor, supervisor) = (DroppedCaught(Some(actor)), DroppedCaught(Some(supervisor)));
        let runner_shared = Arc::clone(&shared);
        // Always an explicit size: a `RUST_MIN_STACK` below the minimum is
        // raised too (see `atomics_kit::user_thread_stack`).
        let thread = thread::Builder::new()
            .name(name)
            .stack_size(stack)
            .spawn(move || {
                Runner::new(
                    actor.into_inner(),
                    supervisor.into_inner(),
                    runner_shared,
                    taker,
                )
                .run();
            })
            .map_err(SpawnError::Spawn)?;
        shared.set_thread(thread);
        Ok(handle)
    }
}

/// Drops what a refused spawn was given (the actor, or the factory and its
/// first instance): user code, whose `Drop` may panic. The panic is caught
/// (the hook has printed it): the refusal is what the call reports, and a
/// second panic while the first unwound aborted the process (a break run:
/// a supervised spawn whose thread would not start, with an instance and a
/// factory that both panic when dropped).
fn drop_refused<T>(refused: T) {
    atomics_kit::drop_caught(refused);
}

/// A value dropped with [`drop_refused`] unless taken out: the actor, or
/// its supervisor, moved into the closure of a thread that may not start.
struct DroppedCaught<T>(Option<T>);

impl<T> DroppedCaught<T> {
    fn into_inner(mut self) -> T {
        self.0.take().expect("taken once")
    }
}

impl<T> Drop for DroppedCaught<T> {
    fn drop(&mut self) {
        drop_refused(self.0.take());
    }
}
