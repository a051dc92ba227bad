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
//! Each part is a public module behind a cargo feature of the same name,
//! all on by default; a user of one part turns the others off and does not
//! compile their dependencies:
//!
//! | feature / module | what | dependencies beyond atomics-kit |
//! |---|---|---|
//! | [`cache`] | [`Cache`] | dashmap, foldhash |
//! | [`logger`] | [`LockFreeLogger`] | crossbeam-queue, log |
//! | [`pool`] | [`WorkStealingPool`] | crossbeam-deque |
//!
//! ```toml
//! cache-kit = { version = "0.1", default-features = false, features = ["logger"] }
//! ```
//!
//! # Examples
//!
//! ```
//! use cache_kit::Cache;
//!
//! let cache = Cache::new(1_000)?;
//! let squared = cache.get_or_insert_with(&12_u64, || 12 * 12);
//! assert_eq!(squared, 144);
//! assert_eq!(cache.get(&12), Some(144));
//! # Ok::<(), cache_kit::SizeError>(())
//! ```
// The pool's jobs need `unsafe` (type- and lifetime-erased job pointers,
// as rayon-core's); it is allowed in the `pool` module only, whose safe
// files deny it again, and in the logger's `clock` module, for `rdtsc`.
#![deny(unsafe_code)]

#[cfg(feature = "cache")]
pub mod cache;
#[cfg(feature = "logger")]
pub mod logger;
#[cfg(feature = "pool")]
#[allow(unsafe_code)]
pub mod pool;
mod sync;

pub use atomics_kit::SizeError;
#[cfg(feature = "cache")]
pub use cache::{Cache, CacheBuilder, CacheStats, DefaultHashBuilder, RemovalCause};
#[cfg(feature = "logger")]
pub use logger::{
    FilterError, InstallError, LockFreeLogger, LoggerBuilder, LoggerGuard, LoggerStats, Overflow,
    ShutdownTimeout, StartError,
};
#[cfg(feature = "tracing")]
pub use logger::{LoggerLayer, LoggerMakeWriter};
#[cfg(feature = "pool")]
pub use pool::{
    BroadcastContext, PoolBuildError, PoolBuilder, PoolShutDown, Scope, WorkStealingPool,
    WorkStealingPoolStats, WorkerStats,
};

/// The pool's sleep protocol and its waiters' latch, for `tests/loom.rs`
/// only.
#[cfg(all(loom, feature = "pool"))]
#[doc(hidden)]
pub use pool::{latch::Latch, sleep::Sleep};

/// The logger's wait for room in Block mode, for `tests/loom.rs` only.
#[cfg(all(loom, feature = "logger"))]
#[doc(hidden)]
pub use logger::room::Room;

/// The README's example, compiled and run by `cargo test --doc` (it uses
/// all three parts: with one of them off it is not built).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "cache", feature = "logger", feature = "pool"))]
pub struct ReadmeDoctests;
