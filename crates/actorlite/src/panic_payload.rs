//! The text of a caught panic.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// The message of a panic caught by `catch_unwind`; the payload is dropped
/// here, and a panic from its own `Drop` is caught (and the payload leaked)
/// so that the actor's thread survives it.
pub(crate) fn message_of(payload: Box<dyn Any + Send>) -> String {
    let text = match (
        payload.downcast_ref::<&str>(),
        payload.downcast_ref::<String>(),
    ) {
        (Some(text), _) => (*text).to_owned(),
        (None, Some(text)) => text.clone(),
        (None, None) => "non-string panic payload".to_owned(),
    };
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
    text
}
