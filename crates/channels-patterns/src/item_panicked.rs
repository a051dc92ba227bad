//! The report of one fan-out input whose function panicked.

use std::error::Error;
use std::fmt;

use crate::job::JobPanicked;

/// The function panicked on one input of a fan-out: the input's index (its
/// position in the input sequence) and the panic message.
///
/// # Examples
///
/// ```
/// use channels_patterns::{fan_out_fan_in, FanOutError};
///
/// let error = fan_out_fan_in(0..4, 2, |x: u32| 10 / (x % 3)).unwrap_err();
/// let FanOutError::Panicked(outcomes) = error else { unreachable!() };
/// let panicked = outcomes[3].as_ref().unwrap_err();
/// assert_eq!(panicked.index(), 3);
/// assert!(panicked.message().contains("divide by zero"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemPanicked {
    index: usize,
    message: String,
}

impl ItemPanicked {
    pub(crate) fn new(index: usize, message: String) -> Self {
        Self { index, message }
    }

    /// The input's position in the input sequence, from 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::fan_out_fan_in;
    ///
    /// let error = fan_out_fan_in([1, 0, 2], 1, |x: u32| 6 / x).unwrap_err();
    /// assert_eq!(error.panics().next().unwrap().index(), 1);
    /// ```
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The panic message (`"non-string panic payload"` when the payload was
    /// neither `&str` nor `String`).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::fan_out_fan_in;
    ///
    /// let error = fan_out_fan_in([0], 1, |_: u8| panic!("no")).unwrap_err();
    /// assert_eq!(error.panics().next().unwrap().message(), "no");
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<JobPanicked> for ItemPanicked {
    /// A fan-out submits input `i` as its pool's job `i`.
    fn from(panicked: JobPanicked) -> Self {
        let index = usize::try_from(panicked.id().as_u64()).unwrap_or(usize::MAX);
        Self {
            index,
            message: panicked.message().to_owned(),
        }
    }
}

impl fmt::Display for ItemPanicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item #{} panicked: {}", self.index, self.message)
    }
}

impl Error for ItemPanicked {}
