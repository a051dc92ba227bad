//! Channel patterns that lose nothing: fan-out/fan-in, a worker pool, and
//! a bounded MPMC queue for producers and consumers.
//!
//! - Fan-out/fan-in: [`fan_out_fan_in`] (results in input order; `f` may
//!   borrow; helper threads, kept parked between calls, join only when the
//!   work is worth them), [`fan_out_stream`] (results as they
//!   complete) and [`fan_out_bounded`] (at most N inputs in flight, so an
//!   endless input runs in bounded memory). A panic on one input is
//!   reported with its index ([`ItemPanicked`]); the others still run.
//! - [`WorkerPool`]: N threads applying one function to typed jobs. Each
//!   job gets a [`JobId`]; results arrive on [`Results`] as
//!   `(JobId, Result<R, JobPanicked>)`; a panicking job never kills a
//!   worker; [`shutdown`](WorkerPool::shutdown) runs every accepted job,
//!   [`shutdown_now`](WorkerPool::shutdown_now) hands back the ones not
//!   started; a bounded queue gives blocking submits (backpressure).
//!   [`Executor`] is the fire-and-forget pool, with no results handle
//!   ([`WorkerPool::executor`] for closures, as threadpool): `execute` and
//!   [`wait_idle`](Executor::wait_idle).
//! - [`BoundedQueue`]: a lock-free ring with blocking
//!   [`push`](BoundedQueue::push)/[`pop`](BoundedQueue::pop) that back off
//!   and then park, and [`close`](BoundedQueue::close) after which consumers
//!   drain what is queued and end.
//!   [`Producer`] handles close it when the last one drops.
//!
//! Each pattern is a public module ([`fan_out`], [`pool`], [`queue`]) whose
//! items the crate root re-exports.
//!
//! Misuse and faults are typed errors ([`PoolError`], [`SubmitError`],
//! [`TrySubmitError`], [`ExecuteError`], [`FanOutError`], [`PushError`], [`TryPushError`],
//! [`TryPopError`], [`SizeError`]), never a panic in another thread
//! or a hang. `docs/channels-patterns.md` in the repository explains each
//! pattern, why the seed article's versions fail, and the measurements.
//!
//! # Examples
//!
//! ```
//! use channels_patterns::{fan_out_fan_in, BoundedQueue, WorkerPool};
//!
//! // Fan-out/fan-in, in input order.
//! let lengths = fan_out_fan_in(["a", "bb", "ccc"], 2, str::len)?;
//! assert_eq!(lengths, [1, 2, 3]);
//!
//! // A worker pool: every result tied to its job.
//! let (pool, results) = WorkerPool::new(2, |x: u32| x * 10)?;
//! let id = pool.submit(4).unwrap();
//! assert_eq!(results.recv()?, (id, Ok(40)));
//!
//! // Producers and consumers over a bounded queue.
//! let queue = BoundedQueue::new(16)?;
//! std::thread::scope(|s| {
//!     s.spawn(|| {
//!         (0..100).for_each(|i| queue.push(i).unwrap());
//!         queue.close();
//!     });
//!     assert_eq!(queue.iter().sum::<i32>(), 4950);
//! });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)] // allowed in `queue::ring`, `fan_out::helpers`, `fan_out::shared_run` and `pool::drop_catching` alone

pub mod fan_out;
pub mod pool;
pub mod queue;
mod sync;

pub use atomics_kit::SizeError;
pub use fan_out::{
    fan_out_bounded, fan_out_fan_in, fan_out_stream, FanOutError, FanOutStream, ItemPanicked,
};
pub use pool::{
    Completed, ExecuteError, Executor, JobId, JobPanicked, PoolError, RecvError, RecvTimeoutError,
    Results, ResultsIntoIter, ResultsIter, ResultsTryIter, SubmitError, Task, TryRecvError,
    TrySubmitError, WorkerPool, WorkerPoolBuilder, WorkerPoolStats,
};
pub use queue::{BoundedQueue, Producer, PushError, QueueIter, TryPopError, TryPushError};

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
