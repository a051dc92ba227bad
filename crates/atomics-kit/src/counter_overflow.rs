//! [`CounterOverflow`]: an addition that would take an
//! [`AtomicCounter`](crate::AtomicCounter) past its ceiling.

use std::error::Error;
use std::fmt;

/// An addition [`AtomicCounter::try_add`](crate::AtomicCounter::try_add)
/// refused, because the value would pass
/// [`AtomicCounter::MAX`](crate::AtomicCounter::MAX). The counter is left as
/// it was.
///
/// # Examples
///
/// ```
/// use atomics_kit::AtomicCounter;
///
/// let counter = AtomicCounter::new();
/// counter.add(AtomicCounter::MAX);
/// let error = counter.try_add(1).unwrap_err();
/// assert_eq!((error.value(), error.added()), (AtomicCounter::MAX, 1));
/// assert_eq!(
///     error.to_string(),
///     "AtomicCounter overflow: 9223372036854775807 + 1 exceeds AtomicCounter::MAX (9223372036854775807)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CounterOverflow {
    value: u64,
    added: u64,
}

impl CounterOverflow {
    pub(crate) const fn new(value: u64, added: u64) -> Self {
        Self { value, added }
    }

    /// The counter's value when the addition was refused.
    #[must_use]
    pub const fn value(&self) -> u64 {
        self.value
    }

    /// The amount the refused addition would have added.
    #[must_use]
    pub const fn added(&self) -> u64 {
        self.added
    }
}

impl fmt::Display for CounterOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AtomicCounter overflow: {} + {} exceeds AtomicCounter::MAX ({})",
            self.value,
            self.added,
            crate::AtomicCounter::MAX
        )
    }
}

impl Error for CounterOverflow {}
