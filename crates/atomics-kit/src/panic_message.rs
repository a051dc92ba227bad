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
/// panic is caught and its payload dropped as [`drop_panic_payload`]
/// drops one, so the calling thread (a worker, an actor) survives it.
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
/// `Drop`: that second panic is caught and its own payload dropped the same
/// way, and so on, up to 8 payloads deep; one beyond that is leaked (a
/// `Drop` that panics with a new such payload every time would otherwise
/// never end). For a thread that must survive whatever the code it ran
/// panicked with.
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
    let mut next = Some(payload);
    for _ in 0..MAX_NESTED_PAYLOADS {
        let Some(payload) = next.take() else {
            return;
        };
        if let Err(raised) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            next = Some(raised);
        }
    }
    // Still raising new payloads: leaked, as the docs say.
    std::mem::forget(next);
}

/// How many payloads deep [`drop_panic_payload`] goes: a payload, the one
/// its `Drop` panicked with, and so on. Before a version that stopped at the
/// second, a non-string payload raised by a payload's `Drop` was leaked.
const MAX_NESTED_PAYLOADS: usize = 8;

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

    /// A payload whose `Drop` panics with the next one, `depth` deep; each
    /// counts its drop in `drops`.
    struct Nested {
        depth: usize,
        drops: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Drop for Nested {
        fn drop(&mut self) {
            self.drops.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.depth > 0 {
                panic::panic_any(Nested {
                    depth: self.depth - 1,
                    drops: std::sync::Arc::clone(&self.drops),
                });
            }
        }
    }

    fn nested(
        depth: usize,
    ) -> (
        Box<dyn Any + Send>,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) {
        let drops = std::sync::Arc::default();
        let payload = Box::new(Nested {
            depth,
            drops: std::sync::Arc::clone(&drops),
        });
        (payload, drops)
    }

    #[test]
    fn payloads_raised_by_payloads_drops_are_each_dropped_once() {
        for depth in [1, 2, MAX_NESTED_PAYLOADS - 1] {
            let (payload, drops) = nested(depth);
            drop_panic_payload(payload);
            // Before, the second payload (not a string) was leaked: 1.
            assert_eq!(
                drops.load(std::sync::atomic::Ordering::SeqCst),
                depth + 1,
                "{depth}"
            );
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "leaks by design: the payload past the bound is leaked, as documented"
    )]
    fn an_endless_chain_of_payloads_ends_after_the_bound() {
        let (payload, drops) = nested(usize::MAX);
        drop_panic_payload(payload);
        assert_eq!(
            drops.load(std::sync::atomic::Ordering::SeqCst),
            MAX_NESTED_PAYLOADS
        );
    }

    #[test]
    fn a_payload_whose_drop_panics_gives_a_message_and_no_second_panic() {
        let payload = panic::catch_unwind(|| panic::panic_any(PanicsOnDrop)).unwrap_err();
        assert_eq!(panic_message(payload), "non-string panic payload");
    }
}
