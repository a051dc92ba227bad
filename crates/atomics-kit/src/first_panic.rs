//! [`FirstPanic`]: the first panic of a series of calls into user code,
//! kept to resume once the whole series has run.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::drop_panic_payload;

/// The first panic of a series of calls into user code (dropping each of
/// many values, telling a listener of each), kept so that every call runs
/// and the first panic is resumed at the end, as `Vec`'s drop does with
/// its elements.
///
/// A later panic's payload is dropped at once, through
/// [`drop_panic_payload`] (a payload's own `Drop` may panic too), and so is
/// the kept one if it is never resumed. Two panics never overlap: a second
/// one while the first unwinds would abort the process.
///
/// # Examples
///
/// ```
/// use atomics_kit::FirstPanic;
///
/// let mut panics = FirstPanic::new();
/// let mut ran = Vec::new();
/// for n in 0..4 {
///     panics.catch(|| {
///         ran.push(n);
///         assert!(n % 2 == 0, "{n} is odd");
///     });
/// }
/// assert_eq!(ran, [0, 1, 2, 3]); // every call ran
/// let payload = panics.take().expect("two calls panicked");
/// assert_eq!(atomics_kit::panic_message(payload), "1 is odd"); // the first
/// ```
#[derive(Default)]
pub struct FirstPanic {
    first: Option<Box<dyn Any + Send>>,
}

impl FirstPanic {
    /// No panic caught yet.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!atomics_kit::FirstPanic::new().caught());
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self { first: None }
    }

    /// Runs `call`, keeping its panic if it is the first; `None` if it
    /// panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// assert_eq!(panics.catch(|| 1), Some(1));
    /// assert_eq!(panics.catch(|| -> i32 { panic!("no") }), None);
    /// assert!(panics.caught());
    /// ```
    pub fn catch<R>(&mut self, call: impl FnOnce() -> R) -> Option<R> {
        match catch_unwind(AssertUnwindSafe(call)) {
            Ok(result) => Some(result),
            Err(payload) => {
                self.keep(payload);
                None
            }
        }
    }

    /// Drops `value` (of user code: its `Drop` may panic), keeping its
    /// `Drop`'s panic if it is the first.
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
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// panics.drop_value(vec![1, 2, 3]);
    /// panics.drop_value(Grenade); // returns normally
    /// assert!(panics.caught());
    /// ```
    pub fn drop_value<T>(&mut self, value: T) {
        if let Err(payload) = crate::try_drop(value) {
            self.keep(payload);
        }
    }

    /// Keeps `payload` (a panic caught elsewhere, as
    /// [`try_drop`](crate::try_drop) hands back) if it is the first, else
    /// drops it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// panics.keep(Box::new("first"));
    /// panics.keep(Box::new("second")); // dropped
    /// let kept = panics.take().unwrap();
    /// assert_eq!(atomics_kit::panic_text(&*kept), Some("first"));
    /// ```
    pub fn keep(&mut self, payload: Box<dyn Any + Send>) {
        if self.first.is_none() {
            self.first = Some(payload);
        } else {
            drop_panic_payload(payload);
        }
    }

    /// Whether a panic was caught (and not taken yet).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// panics.catch(|| ());
    /// assert!(!panics.caught());
    /// ```
    #[must_use]
    pub fn caught(&self) -> bool {
        self.first.is_some()
    }

    /// The first panic's payload, if one was caught; `self` holds none
    /// afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// assert!(panics.take().is_none());
    /// ```
    #[must_use]
    pub fn take(&mut self) -> Option<Box<dyn Any + Send>> {
        self.first.take()
    }

    /// Resumes the first panic, if one was caught; returns normally if
    /// none was. Called while the thread already unwinds (in a `Drop` that
    /// runs during another panic), it drops the payload instead, its
    /// `Drop`'s panic caught, and returns: a second panic then would abort
    /// the process.
    ///
    /// # Panics
    ///
    /// With the first caught panic's payload, if there is one and the
    /// thread is not already unwinding.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// panics.catch(|| ());
    /// panics.resume(); // nothing caught: returns
    ///
    /// let mut panics = atomics_kit::FirstPanic::new();
    /// panics.catch(|| panic!("boom"));
    /// let resumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panics.resume()))
    ///     .unwrap_err();
    /// assert_eq!(atomics_kit::panic_message(resumed), "boom");
    /// ```
    pub fn resume(mut self) {
        if let Some(payload) = self.first.take() {
            if std::thread::panicking() {
                drop_panic_payload(payload);
            } else {
                resume_unwind(payload);
            }
        }
    }
}

impl Drop for FirstPanic {
    fn drop(&mut self) {
        if let Some(payload) = self.first.take() {
            drop_panic_payload(payload);
        }
    }
}

impl fmt::Debug for FirstPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirstPanic")
            .field("caught", &self.caught())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::FirstPanic;
    use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A panic payload whose own `Drop` panics, counting its drops.
    struct Grenade<'a>(&'a AtomicUsize);

    impl Drop for Grenade<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
            panic!("the payload's drop panics too");
        }
    }

    #[test]
    fn every_call_runs_and_the_first_panic_is_the_one_resumed() {
        let mut panics = FirstPanic::new();
        let mut ran = 0;
        for n in 0..5 {
            panics.catch(|| {
                ran += 1;
                if n > 0 {
                    panic_any(n);
                }
            });
        }
        assert_eq!(ran, 5);
        let resumed = catch_unwind(AssertUnwindSafe(|| panics.resume())).unwrap_err();
        assert_eq!(resumed.downcast_ref::<i32>(), Some(&1));
    }

    #[test]
    fn later_payloads_and_an_unresumed_first_are_dropped_without_escaping() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        let mut panics = FirstPanic::new();
        for _ in 0..3 {
            panics.catch(|| panic_any(Grenade(&DROPS)));
        }
        // The two later payloads are dropped at once, their panics caught.
        assert_eq!(DROPS.load(Ordering::Relaxed), 2);
        assert!(panics.caught());
        drop(panics);
        assert_eq!(DROPS.load(Ordering::Relaxed), 3);
    }

    /// A `Drop` that resumes, run while another panic unwinds: the
    /// payload is dropped, not resumed (which aborted the process, a break
    /// run), and the outer panic goes on.
    #[test]
    fn resume_while_unwinding_drops_the_payload_instead() {
        struct ResumeOnDrop(Option<FirstPanic>);
        impl Drop for ResumeOnDrop {
            fn drop(&mut self) {
                self.0.take().unwrap().resume();
            }
        }
        let mut panics = FirstPanic::new();
        panics.catch(|| panic!("inner"));
        let outer = catch_unwind(AssertUnwindSafe(|| {
            let _resumes = ResumeOnDrop(Some(panics));
            panic!("outer");
        }));
        let payload = outer.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"outer"));
    }

    #[test]
    fn take_empties_it() {
        let mut panics = FirstPanic::new();
        panics.catch(|| panic!("once"));
        assert!(panics.take().is_some());
        assert!(!panics.caught());
        panics.resume(); // nothing left: returns
    }
}
