//! Caching, logging and scheduling building blocks for many threads.
//!
//! - [`Cache`]: a bounded concurrent cache on dashmap with S3-FIFO
//!   eviction and single-flight loads
//!   ([`get_or_insert_with`](Cache::get_or_insert_with)): a hit takes one
//!   shard read lock, a load runs once per key with no lock held.
//! - [`LockFreeLogger`]: logging threads push records into a bounded
//!   lock-free queue and return; a writer thread writes them in batches.
//!   A full buffer drops and counts the record and says so in the log
//!   ([`Overflow::DropNewest`]), or waits ([`Overflow::Block`]); it serves
//!   the `log` facade ([`LoggerBuilder::install`]).
//! - [`WorkStealingPool`]: worker threads with crossbeam-deque deques, an
//!   injector, parking for idle workers, and `spawn`, `scope` and `join`
//!   (allocation-free on a pool thread).
//!
//! # Examples
//!
//! ```
//! use cache_kit::Cache;
//!
//! let cache = Cache::new(1_000)?;
//! let squared = cache.get_or_insert_with(12_u64, || 12 * 12);
//! assert_eq!(squared, 144);
//! assert_eq!(cache.get(&12), Some(144));
//! # Ok::<(), cache_kit::ZeroCapacityError>(())
//! ```
// The pool's jobs need `unsafe` (type- and lifetime-erased job pointers,
// as rayon-core's); it is allowed in exactly the modules marked below.
#![deny(unsafe_code)]

mod cache;
mod cache_builder;
mod cache_stats;
mod flight;
#[allow(unsafe_code)]
mod job;
mod log_line;
mod logger;
mod logger_builder;
mod logger_errors;
mod logger_stats;
mod map;
mod overflow;
mod policy;
mod pool_builder;
mod pool_errors;
mod pool_shared;
mod pool_stats;
#[allow(unsafe_code)]
mod scope;
// Public only for the loom models of the sleep protocol.
#[allow(unreachable_pub)]
mod sleep;
mod slot;
mod sync;
mod thread_counter;
#[allow(unsafe_code)]
mod work_stealing_pool;
#[allow(unsafe_code)]
mod worker_thread;
mod zero_capacity_error;

pub use cache::{Cache, DefaultHashBuilder};
pub use cache_builder::CacheBuilder;
pub use cache_stats::CacheStats;
pub use logger::LockFreeLogger;
pub use logger_builder::LoggerBuilder;
pub use logger_errors::{InstallError, ShutdownTimeout};
pub use logger_stats::LoggerStats;
pub use overflow::Overflow;
pub use pool_builder::PoolBuilder;
pub use pool_errors::{PoolShutDown, ZeroThreadsError};
pub use pool_stats::{PoolStats, WorkerStats};
pub use scope::Scope;
pub use work_stealing_pool::WorkStealingPool;
pub use zero_capacity_error::ZeroCapacityError;

/// The pool's sleep protocol, for `tests/loom.rs` only.
#[cfg(loom)]
#[doc(hidden)]
pub use sleep::Sleep;

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
