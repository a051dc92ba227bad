//! [`panic_message`], [`panic_text`] and [`drop_panic_payload`]: the text
//! of a caught panic, and its payload dropped without a second panic.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The message of a panic caught by `catch_unwind`, and the payload
/// dropped.
///
/// `panic!("..")` payloads are a `&'static str` or a `String`; any other
/// payload gives `"non-string panic payload"`. Dropping a payload can
/// itself panic (a payload type with a panicking `Drop`): that second
/// panic is caught, and its payload dropped if it is a string (as
/// `panic!` makes) or leaked otherwise, so the calling thread (a worker, an
/// actor) survives it.
///
/// # Examples
///
/// ```
/// use atomics_kit::panic_message;
///
/// let payload = std::panic::catch_unwind(|| panic!("disk {} is full", 2)).unwrap_err();
/// assert_eq!(panic_message(payload), "disk 2 is full");
///
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
/// assert_eq!(panic_message(payload), "non-string panic payload");
/// ```
#[must_use]
pub fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = panic_text(&*payload)
        .unwrap_or("non-string panic payload")
        .to_owned();
    drop_panic_payload(payload);
    message
}

/// Drops a caught panic's payload without letting a panic out of its
/// `Drop`: that second panic is caught, and its own payload dropped if it
/// is a string (as `panic!` makes) or leaked otherwise. For a thread that
/// must survive whatever the code it ran panicked with.
///
/// # Examples
///
/// ```
/// struct Grenade;
/// impl Drop for Grenade {
///     fn drop(&mut self) {
///         panic!("the payload's drop panics too");
///     }
/// }
///
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(Grenade)).unwrap_err();
/// atomics_kit::drop_panic_payload(payload); // returns normally
/// ```
pub fn drop_panic_payload(payload: Box<dyn Any + Send>) {
    if let Err(second) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // A string payload drops without running user code; any other
        // might panic again, so it is leaked.
        if panic_text(&*second).is_some() {
            drop(second);
        } else {
            std::mem::forget(second);
        }
    }
}

/// The text of a panic payload, borrowed: `Some` for the `&'static str`
/// and `String` payloads of `panic!("..")`, `None` for any other. For a
/// panic hook, which sees the payload without owning it.
///
/// # Examples
///
/// ```
/// std::panic::set_hook(Box::new(|info| {
///     eprintln!("panicked: {}", atomics_kit::panic_text(info.payload()).unwrap_or("?"));
/// }));
/// # let _ = std::panic::take_hook();
/// ```
#[must_use]
pub fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct PanicsOnDrop;

    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("dropping the payload");
        }
    }

    #[test]
    fn a_payload_whose_drop_panics_gives_a_message_and_no_second_panic() {
        let payload = panic::catch_unwind(|| panic::panic_any(PanicsOnDrop)).unwrap_err();
        assert_eq!(panic_message(payload), "non-string panic payload");
    }
}
