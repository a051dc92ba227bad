//! [`ZeroCapacityError`]: a cache that could hold nothing.

use std::fmt;

/// A cache was asked for a capacity (entries or total weight) of zero.
///
/// # Examples
///
/// ```
/// use cache_kit::{Cache, ZeroCapacityError};
///
/// let refused = Cache::<u32, u32>::new(0).unwrap_err();
/// assert_eq!(refused, ZeroCapacityError);
/// assert_eq!(refused.to_string(), "a cache needs a capacity of at least 1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeroCapacityError;

impl fmt::Display for ZeroCapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cache needs a capacity of at least 1")
    }
}

impl std::error::Error for ZeroCapacityError {}
