//! [`ZeroSizeError`]: the one way the workspace rejects a size of zero.

use std::error::Error;
use std::fmt;

/// A size that must be at least one (a capacity, a number of shards,
/// workers or threads) was zero.
///
/// Every crate of the workspace rejects a zero size with this type: a
/// function that can fail only that way returns it directly, and an error
/// enum with other causes wraps it in a `ZeroSize` variant. It names the
/// argument that was zero.
///
/// # Examples
///
/// ```
/// use atomics_kit::{ShardedCounter, ZeroSizeError};
///
/// let error = ShardedCounter::with_shards(0).unwrap_err();
/// assert_eq!(error, ZeroSizeError::new("shards"));
/// assert_eq!(error.argument(), "shards");
/// assert_eq!(error.to_string(), "`shards` must be at least 1, not 0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZeroSizeError {
    argument: &'static str,
}

impl ZeroSizeError {
    /// The error for the argument named `argument`.
    #[must_use]
    pub const fn new(argument: &'static str) -> Self {
        Self { argument }
    }

    /// The name of the argument that was zero.
    #[must_use]
    pub const fn argument(&self) -> &'static str {
        self.argument
    }

    /// `Ok(size)` when `size` is at least one, the error for `argument`
    /// otherwise.
    ///
    /// # Errors
    ///
    /// [`ZeroSizeError`] naming `argument` when `size` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::ZeroSizeError;
    ///
    /// assert_eq!(ZeroSizeError::check("capacity", 3), Ok(3));
    /// assert_eq!(ZeroSizeError::check("capacity", 0), Err(ZeroSizeError::new("capacity")));
    /// ```
    pub const fn check(argument: &'static str, size: usize) -> Result<usize, Self> {
        if size == 0 {
            Err(Self::new(argument))
        } else {
            Ok(size)
        }
    }
}

impl fmt::Display for ZeroSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` must be at least 1, not 0", self.argument)
    }
}

impl Error for ZeroSizeError {}
