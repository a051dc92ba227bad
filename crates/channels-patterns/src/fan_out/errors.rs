//! What a fan-out reports: [`FanOutError`] for the whole call, and
//! [`ItemPanicked`] for one input whose function panicked.

use std::error::Error;
use std::fmt;

use atomics_kit::SizeError;

use crate::pool::JobPanicked;

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
#[non_exhaustive]
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

/// [`fan_out_fan_in`](super::fan_out_fan_in) could not give every result.
///
/// # Examples
///
/// ```
/// use channels_patterns::{fan_out_fan_in, FanOutError};
///
/// assert!(matches!(fan_out_fan_in(0..3, 0, |x: i32| x), Err(FanOutError::InvalidSize(_))));
///
/// let error = fan_out_fan_in(0..3, 2, |x: i32| {
///     assert!(x != 1, "one is out");
///     x
/// })
/// .unwrap_err();
/// assert_eq!(error.to_string(), "1 of 3 items panicked; the first: item #1 panicked: one is out");
/// let FanOutError::Panicked(outcomes) = error else { unreachable!() };
/// assert_eq!(outcomes[0], Ok(0));
/// assert_eq!(outcomes[2], Ok(2));
/// ```
#[non_exhaustive]
pub enum FanOutError<R> {
    /// Zero workers were asked for.
    InvalidSize(SizeError),
    /// `f` panicked on at least one input: every input's outcome, in input
    /// order.
    Panicked(Vec<Result<R, ItemPanicked>>),
}

impl<R> FanOutError<R> {
    /// The inputs on which `f` panicked, in input order (none for
    /// `InvalidSize`).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::fan_out_fan_in;
    ///
    /// let error = fan_out_fan_in(0..10, 3, |x: u8| assert!(x % 4 != 0)).unwrap_err();
    /// let indices: Vec<usize> = error.panics().map(|p| p.index()).collect();
    /// assert_eq!(indices, [0, 4, 8]);
    /// ```
    pub fn panics(&self) -> impl Iterator<Item = &ItemPanicked> {
        let outcomes = match self {
            Self::Panicked(outcomes) => outcomes.as_slice(),
            Self::InvalidSize(_) => &[],
        };
        outcomes.iter().filter_map(|outcome| outcome.as_ref().err())
    }
}

impl<R> fmt::Debug for FanOutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSize(error) => f.debug_tuple("InvalidSize").field(error).finish(),
            Self::Panicked(outcomes) => f
                .debug_struct("Panicked")
                .field("items", &outcomes.len())
                .field("panics", &self.panics().collect::<Vec<_>>())
                .finish(),
        }
    }
}

impl<R> fmt::Display for FanOutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSize(error) => write!(f, "cannot fan out: {error}"),
            Self::Panicked(outcomes) => {
                let count = self.panics().count();
                write!(f, "{count} of {} items panicked", outcomes.len())?;
                match self.panics().next() {
                    Some(first) => write!(f, "; the first: {first}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl<R> Error for FanOutError<R> {}

impl<R> From<SizeError> for FanOutError<R> {
    fn from(error: SizeError) -> Self {
        Self::InvalidSize(error)
    }
}
