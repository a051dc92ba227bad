//! [`panic_message`]: the text of a caught panic, without a second panic.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The message of a panic caught by `catch_unwind`, and the payload
/// dropped.
///
/// `panic!("..")` payloads are a `&'static str` or a `String`; any other
/// payload gives `"non-string panic payload"`. Dropping a payload can
/// itself panic (a payload type with a panicking `Drop`): that second
/// panic is caught and its payload leaked, so the calling thread (a
/// worker, an actor) survives it.
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
    let message = if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        String::from("non-string panic payload")
    };
    if let Err(second) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(second);
    }
    message
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
