//! Thread-based actors without an async runtime.
//!
//! An [`Actor`] owns its state on its own thread and changes it one message
//! at a time. [`spawn`] starts one and returns an [`ActorHandle`]
//! (`Clone + Send + Sync`) to talk to it:
//!
//! - [`send`](ActorHandle::send) (waits while a bounded mailbox is full),
//!   [`try_send`](ActorHandle::try_send),
//!   [`send_timeout`](ActorHandle::send_timeout): a refused message always
//!   comes back in the error;
//! - [`ask`](ActorHandle::ask): request/reply through a [`Reply`], with a
//!   timeout;
//! - [`stop`](ActorHandle::stop) (handle what is queued, then stop),
//!   [`kill`](ActorHandle::kill) (drop what is queued, counted as dead
//!   letters), [`join`](ActorHandle::join) (the [`ExitReason`]),
//!   [`join_timeout`](ActorHandle::join_timeout),
//!   [`is_alive`](ActorHandle::is_alive), [`stats`](ActorHandle::stats).
//!
//! [`downgrade`](ActorHandle::downgrade) gives a [`WeakActorHandle`], which
//! does not keep the actor alive (for an actor's handle to itself, or
//! actors holding each other's).
//!
//! [`recipient`](ActorHandle::recipient) gives a [`Recipient<M>`], a
//! handle typed by the message alone, so handles to actors of different
//! types that take the same message fit in one `Vec<Recipient<M>>`.
//!
//! [`monitor`](ActorHandle::monitor) (and
//! [`Context::monitor`]) tells another actor, once, when this one stops,
//! with its [`ExitReason`]: Erlang's monitors, on which supervision can be
//! layered above single actors.
//!
//! [`send_after`](ActorHandle::send_after) and
//! [`send_interval`](ActorHandle::send_interval) (also on [`Recipient`]
//! and [`Context`]) send a message after a delay or at an interval, from
//! one timer thread shared by the whole process (started when needed,
//! gone a second after the last timer); the [`TimerHandle`] cancels the timer
//! (when dropped too, unless detached).
//!
//! A handler that panics is caught: the actor stops with
//! [`ExitReason::Panicked`], or, started with [`spawn_supervised`], is
//! rebuilt with fresh state and goes on with the messages queued behind the
//! failing one, within a [`RestartPolicy`].
//!
//! Every message a send accepted is handled, lost with a handler's panic,
//! or counted as a dead letter; none disappears silently
//! (`docs/actorlite.md` in the repository has the exact rules).
//!
//! # When to use it, when ractor or kameo
//!
//! actorlite is for programs without an async runtime, or whose actors
//! block (files, a C library, heavy computation): each actor is an OS
//! thread, so it suits tens to a few thousand long-lived actors, and it
//! counts what became of every message. For tens of thousands of actors,
//! async handlers, actors on other machines, registries by name or
//! supervision trees as a library feature, use
//! [ractor](https://docs.rs/ractor) or [kameo](https://docs.rs/kameo)
//! (both on tokio). `docs/actorlite.md` in the repository compares them.
//!
//! # Examples
//!
//! The seed article's counter, asked for its total:
//!
//! ```
//! use actorlite::{spawn, Actor, Context, Reply};
//! use std::time::Duration;
//!
//! struct Counter(u64);
//! enum Msg {
//!     Increment,
//!     Get(Reply<u64>),
//! }
//! impl Actor for Counter {
//!     type Message = Msg;
//!     fn handle(&mut self, msg: Msg, _: &mut Context<Self>) {
//!         match msg {
//!             Msg::Increment => self.0 += 1,
//!             Msg::Get(reply) => reply.send(self.0),
//!         }
//!     }
//! }
//!
//! let counter = spawn(Counter(0));
//! std::thread::scope(|s| {
//!     for _ in 0..5 {
//!         s.spawn(|| (0..100).for_each(|_| counter.send(Msg::Increment).unwrap()));
//!     }
//! });
//! assert_eq!(counter.ask(Msg::Get, Duration::from_secs(5))?, 500);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)] // allowed in `mailbox_list` alone

mod actor;
mod builder;
mod context;
mod errors;
mod exit_reason;
mod handle;
mod lifecycle;
mod mailbox;
#[allow(unsafe_code)]
mod mailbox_list;
mod mailbox_queue;
mod monitor;
mod recipient;
mod reply;
mod restart_policy;
mod runner;
mod shared;
mod stats;
mod sync;
mod timer;
mod wait;

pub use actor::Actor;
pub use atomics_kit::SizeError;
pub use builder::{spawn, spawn_supervised, ActorBuilder};
pub use context::Context;
pub use errors::{AskError, SendError, SendTimeoutError, SpawnError, TrySendError};
pub use exit_reason::ExitReason;
pub use handle::{ActorHandle, WeakActorHandle};
pub use mailbox::Mailbox;
pub use recipient::{Recipient, WeakRecipient};
pub use reply::Reply;
pub use restart_policy::RestartPolicy;
pub use stats::ActorStats;
pub use timer::TimerHandle;

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
