//! [`try_drop`] and [`drop_caught`]: dropping a value of user code, whose
//! `Drop` may panic, where that panic must not escape.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::drop_panic_payload;

/// Drops `value` and hands back the payload if its `Drop` panicked.
///
/// For a value of user code (a closure, an iterator, a result) dropped
/// where the caller must go on: to drop what it holds before it resumes
/// that panic, or before it builds its return value (a panic while a
/// return value is built leaks that value, rust-lang/rust#47949).
///
/// # Errors
///
/// The panic's payload, if `value`'s `Drop` panicked.
///
/// # Examples
///
/// ```
/// struct Grenade;
/// impl Drop for Grenade {
///     fn drop(&mut self) {
///         panic!("boom");
///     }
/// }
///
/// assert!(atomics_kit::try_drop(vec![1, 2, 3]).is_ok());
/// let payload = atomics_kit::try_drop(Grenade).unwrap_err();
/// assert_eq!(atomics_kit::panic_text(&*payload), Some("boom"));
/// ```
pub fn try_drop<T>(value: T) -> Result<(), Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(move || drop(value)))
}

/// Drops `value`, catching a panic of its `Drop` and dropping that panic's
/// payload through [`drop_panic_payload`]: returns normally whatever the
/// value does.
///
/// For a value of user code dropped where a panic must not escape: while
/// another panic unwinds (a second one aborts the process), in a `Drop`,
/// or on a thread that must end normally.
///
/// # Examples
///
/// ```
/// struct Grenade;
/// impl Drop for Grenade {
///     fn drop(&mut self) {
///         panic!("boom");
///     }
/// }
///
/// atomics_kit::drop_caught(Grenade); // returns normally
/// ```
pub fn drop_caught<T>(value: T) {
    if let Err(payload) = try_drop(value) {
        drop_panic_payload(payload);
    }
}
