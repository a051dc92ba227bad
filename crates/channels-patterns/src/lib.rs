//! Channel patterns that lose nothing: fan-out/fan-in, a worker pool, and
//! a bounded MPMC queue for producers and consumers.
//!
//! - Fan-out/fan-in: [`fan_out_fan_in`] (results in input order, on scoped
//!   threads that may borrow), [`fan_out_stream`] (results as they
//!   complete) and [`fan_out_bounded`] (at most N inputs in flight, so an
//!   endless input runs in bounded memory). A panic on one input is
//!   reported with its index ([`ItemPanicked`]); the others still run.
//! - [`WorkerPool`]: N threads applying one function to typed jobs. Each
//!   job gets a [`JobId`]; results arrive on [`Results`] as
//!   `(JobId, Result<R, JobPanicked>)`; a panicking job never kills a
//!   worker; [`shutdown`](WorkerPool::shutdown) runs every accepted job,
//!   [`shutdown_now`](WorkerPool::shutdown_now) hands back the ones not
//!   started; a bounded queue gives blocking submits (backpressure).
//! - [`BoundedQueue`]: crossbeam's `ArrayQueue` with blocking
//!   [`push`](BoundedQueue::push)/[`pop`](BoundedQueue::pop) that back off
//!   and then park, and [`close`](BoundedQueue::close) after which consumers
//!   drain what is queued and end.
//!
//! Misuse and faults are typed errors ([`PoolError`], [`SubmitError`],
//! [`TrySubmitError`], [`FanOutError`], [`PushError`], [`TryPushError`],
//! [`TryPopError`], [`ZeroCapacityError`]), never a panic in another thread
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
#![forbid(unsafe_code)]

mod bounded_queue;
mod fan_out;
mod fan_out_stream;
mod in_flight;
mod item_panicked;
mod job;
mod panic_payload;
mod pool;
mod pool_builder;
mod pool_error;
mod queue_error;
mod results;
mod sync;
mod wait_set;

pub use bounded_queue::{BoundedQueue, QueueIter};
pub use fan_out::{fan_out_fan_in, FanOutError};
pub use fan_out_stream::{fan_out_bounded, fan_out_stream, FanOutStream};
pub use item_panicked::ItemPanicked;
pub use job::{JobId, JobPanicked};
pub use pool::{PoolStats, WorkerPool};
pub use pool_builder::WorkerPoolBuilder;
pub use pool_error::{PoolError, SubmitError, TrySubmitError};
pub use queue_error::{PushError, TryPopError, TryPushError, ZeroCapacityError};
pub use results::{Completed, Results, ResultsIntoIter, ResultsIter, ResultsTryIter};

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
