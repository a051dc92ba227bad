//! Counters for many threads.
//!
//! - [`AtomicCounter`]: one shared value with exact statistics: its
//!   high-water mark, the number of operations, and a shutdown flag. Its
//!   [`decrement`](AtomicCounter::decrement) never goes below zero, and it can
//!   live in a `static`.
//! - [`ShardedCounter`]: a total spread over cache-padded shards, one per
//!   thread, for counts that many threads bump and few read (as Java's
//!   `LongAdder`).
//! - [`thread_index`](fn@thread_index): the dense per-thread index `ShardedCounter` uses, for
//!   other per-thread slot arrays.
//! - [`AdmissionGate`]: admits operations until closed, then lets a
//!   shutdown wait for the admitted ones to finish (lock-free, one
//!   read-modify-write per entry and per exit); what channels-patterns'
//!   pool and actorlite's mailboxes use to shut down without losing a
//!   message that was mid-way in.
//!
//! - [`PerThreadCounter`]: a count that only grows, each thread bumping a
//!   slot of its own with a plain load and store (no locked instruction).
//! - [`SingleWriterCounter`]: a statistic one thread writes and any reads.
//!
//! And the small pieces every crate of the workspace shares, as
//! crossbeam-utils does for crossbeam:
//!
//! - [`sync`]: a poison-free [`Mutex`](sync::Mutex) and
//!   [`Condvar`](sync::Condvar) and crossbeam's [`Backoff`](sync::Backoff),
//!   all of which become loom's under `--cfg loom`.
//! - [`SizeError`]: the one way a capacity, shard, worker or thread count
//!   that is zero or too large is refused.
//! - [`panic_message`](fn@panic_message), [`panic_text`] and [`drop_panic_payload`]: the text
//!   of a caught panic, and its payload dropped without a second panic;
//!   [`try_drop`] and [`drop_caught`]: a value of user code dropped with
//!   its `Drop`'s panic handed back, or caught; [`FirstPanic`]: the first
//!   panic of a series of calls into user code, resumed after all ran.
//!
//! Which to pick: an `AtomicCounter` costs about as much as a shared
//! `AtomicU64::fetch_add` and gives a value you can read cheaply at any
//! moment (below its ceiling, `i64::MAX`); a `ShardedCounter` keeps
//! scaling when threads increment at once, at the price of a read that
//! visits every shard. `docs/benchmarks.md` in the
//! repository has the measured ratios.
//!
//! # Examples
//!
//! ```
//! use atomics_kit::{AtomicCounter, ShardedCounter};
//!
//! let in_flight = AtomicCounter::new();
//! let served = ShardedCounter::new();
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             in_flight.increment();
//!             served.increment();
//!             in_flight.decrement().expect("incremented above");
//!         });
//!     }
//! });
//! assert_eq!(in_flight.get(), 0);
//! assert!(in_flight.max() >= 1);
//! assert_eq!(served.sum(), 4);
//! ```
#![forbid(unsafe_code)]

mod admission_gate;
mod atomic_counter;
mod caught_drop;
mod counter_overflow;
mod first_panic;
mod panic_message;
mod per_thread_counter;
mod sharded_counter;
mod single_writer_counter;
mod size_error;
pub mod sync;
mod thread_index;
mod thread_stack;

pub use admission_gate::{Admission, AdmissionGate};
pub use atomic_counter::{AtomicCounter, CounterStats};
pub use caught_drop::{drop_caught, try_drop};
pub use counter_overflow::CounterOverflow;
pub use first_panic::FirstPanic;
pub use panic_message::{drop_panic_payload, panic_message, panic_text};
pub use per_thread_counter::PerThreadCounter;
pub use sharded_counter::ShardedCounter;
pub use single_writer_counter::SingleWriterCounter;
pub use size_error::SizeError;
pub use thread_index::thread_index;
pub use thread_stack::{
    default_thread_stack, too_large_for_stack, user_thread_stack, MIN_THREAD_STACK, STACK_PER_VALUE,
};

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
