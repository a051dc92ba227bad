//! Locks and waiting that behave the same under [loom] as under `std`.
//!
//! Every crate of the workspace takes its locks and its spin-wait from
//! here, so the poison handling and the loom stand-ins exist once:
//!
//! - [`Mutex`] and [`Condvar`]: `std`'s, without lock poisoning (as
//!   parking_lot's and tokio's internal locks). A panic while the lock is
//!   held does not make every later `lock` fail: the data is handed out as
//!   is, so a critical section must leave it consistent before anything in
//!   it can panic. Our crates run no user code under a lock.
//! - [`Backoff`]: crossbeam-utils' `Backoff` (spin, then yield).
//! - [`take_eagerly`](fn@take_eagerly): spin, then yield, before blocking, for a consumer
//!   that usually finds work again within microseconds.
//! - [`UnsafeCell`]: `std`'s behind loom's closure API, for the crates
//!   whose unsafe code loom checks, and [`CELLS_NEED_BUILDING`].
//! - [`order_seqcst_accesses`](fn@order_seqcst_accesses): nothing, or under loom the fence that
//!   stands in for the total order of `SeqCst` accesses.
//!
//! Built with `RUSTFLAGS="--cfg loom"`, the same names are loom's
//! primitives (and a `Backoff` whose every step yields, since loom must run
//! the other threads for a waiting one to make progress), so a crate's loom
//! models check the code it ships. This folder is the only place in the
//! crate that mentions `cfg(loom)`.
//!
//! [loom]: https://docs.rs/loom
//!
//! # Examples
//!
//! ```
//! use atomics_kit::sync::{Condvar, Mutex};
//! use std::sync::Arc;
//!
//! let ready = Arc::new((Mutex::new(false), Condvar::new()));
//! let setter = Arc::clone(&ready);
//! let thread = std::thread::spawn(move || {
//!     *setter.0.lock() = true;
//!     setter.1.notify_all();
//! });
//! let mut is_ready = ready.0.lock();
//! while !*is_ready {
//!     is_ready = ready.1.wait(is_ready);
//! }
//! drop(is_ready);
//! thread.join().unwrap();
//! ```

mod backoff;
mod condvar;
mod mutex;
mod order_seqcst_accesses;
mod take_eagerly;
mod thread_registry;
mod unsafe_cell;

pub use backoff::Backoff;
pub use condvar::Condvar;
pub use mutex::{Mutex, MutexGuard};
pub use order_seqcst_accesses::order_seqcst_accesses;
pub use take_eagerly::take_eagerly;
pub(crate) use thread_registry::{claim_index, current_thread_index, release_index};
pub use unsafe_cell::{UnsafeCell, CELLS_NEED_BUILDING};

/// Sleeps the thread; under loom, yields instead (loom has no time, and a
/// waiting thread must yield for the others to run).
#[cfg(not(loom))]
pub(crate) fn sleep(duration: std::time::Duration) {
    std::thread::sleep(duration);
}
#[cfg(loom)]
pub(crate) fn sleep(_duration: std::time::Duration) {
    loom::thread::yield_now();
}

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The primitives the wrappers in this folder delegate to.
#[cfg(not(loom))]
use std::sync as primitive;

#[cfg(loom)]
use loom::sync as primitive;

/// Declares `$vis const fn` outside loom and a plain `$vis fn` under loom,
/// whose atomics and locks have no `const` constructors. For the crates of
/// this workspace, whose `new` functions are `const` so that their types
/// can live in a `static`.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::AtomicU64;
///
/// struct Hits(AtomicU64);
///
/// impl Hits {
///     atomics_kit::const_fn_outside_loom! {
///         /// No hits yet.
///         pub fn new() -> Hits {
///             Hits(AtomicU64::new(0))
///         }
///     }
/// }
///
/// static HITS: Hits = Hits::new();
/// # let _ = &HITS;
/// ```
#[macro_export]
macro_rules! const_fn_outside_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $arg_ty:ty),*) -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name($($arg: $arg_ty),*) -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name($($arg: $arg_ty),*) -> $ret $body
    };
}
