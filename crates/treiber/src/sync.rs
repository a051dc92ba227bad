//! The one module that chooses between `std` and `loom`.
//!
//! crossbeam-epoch switches itself to loom's atomics under
//! `--cfg crossbeam_loom` (which `cargo xtask loom` passes with `--cfg loom`),
//! so the stack's code is the same in both; only `const fn` differs, because
//! loom's atomics have no `const` constructors.

pub(crate) use crossbeam_epoch as epoch;
pub(crate) use std::sync::atomic::Ordering;

/// Declares `$vis const fn` outside loom and a plain `$vis fn` under loom.
macro_rules! const_fn_outside_loom {
    ($(#[$attr:meta])* $vis:vis fn $name:ident() -> $ret:ty $body:block) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $name() -> $ret $body

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $name() -> $ret $body
    };
}
pub(crate) use const_fn_outside_loom;
