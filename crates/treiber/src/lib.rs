//! A sound lock-free stack.
//!
//! [`TreiberStack`] is Treiber's stack (1986): a linked list whose head every
//! push and pop replaces with one compare-and-swap. Popped nodes are reused
//! only when no thread's hazard pointer names them, and freed only with the
//! stack, so there is no use-after-free and no ABA, the two bugs of the
//! textbook version (`docs/treiber.md` shows both, step by step).
//!
//! - [`TreiberStack::push`], [`pop`](TreiberStack::pop),
//!   [`is_empty`](TreiberStack::is_empty);
//! - [`TreiberStack::push_all`] (also `Extend` and `FromIterator`) links many
//!   values privately and publishes them with one CAS;
//! - [`TreiberStack::pop_all`] takes everything with one atomic swap and
//!   returns it as an owned iterator, [`PopAll`].
//!
//! # Examples
//!
//! ```
//! use treiber::TreiberStack;
//!
//! let stack = TreiberStack::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| stack.push_all(0..100));
//!     s.spawn(|| {
//!         let mut popped = 0;
//!         while popped < 10 {
//!             if stack.pop().is_some() {
//!                 popped += 1;
//!             }
//!         }
//!     });
//! });
//! assert_eq!(stack.pop_all().len(), 90);
//! ```

mod drop_all;
mod elimination;
mod free_list;
mod hazard;
mod node;
mod pop_all;
mod stack;
mod sync;

#[cfg(loom)]
#[doc(hidden)]
pub use free_list::model as free_list_model;
pub use pop_all::PopAll;
pub use stack::TreiberStack;

/// The README's example, compiled and run by `cargo test --doc`.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
