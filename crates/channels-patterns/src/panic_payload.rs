//! Turning a caught panic into a message, without a second panic.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The payload of a panic caught by `catch_unwind`.
pub(crate) type Payload = Box<dyn Any + Send>;

/// The panic's message (`panic!("..")` payloads are `&str` or `String`),
/// and the payload dropped. Dropping a payload can itself panic (a payload
/// with a panicking `Drop`); that second panic is caught and the payload
/// leaked, so a worker never dies from it.
pub(crate) fn into_message(payload: Payload) -> String {
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

    fn payload_of(f: impl FnOnce()) -> Payload {
        panic::catch_unwind(AssertUnwindSafe(f)).expect_err("the closure panics")
    }

    #[test]
    fn messages_of_str_string_and_other_payloads() {
        assert_eq!(into_message(payload_of(|| panic!("plain"))), "plain");
        let n = 7;
        assert_eq!(
            into_message(payload_of(|| panic!("formatted {n}"))),
            "formatted 7"
        );
        let other = payload_of(|| std::panic::panic_any(42_u8));
        assert_eq!(into_message(other), "non-string panic payload");
    }
}
