//! [`SizeError`]: the one way the workspace refuses a size it cannot use.

use std::error::Error;
use std::fmt;

/// A size argument (a capacity, a number of shards, workers or threads)
/// was zero, larger than the most the type can serve, or more than the
/// allocator would provide memory for.
///
/// Every crate of the workspace refuses a size with this type: a function
/// that can fail only that way returns it directly, and an error enum with
/// other causes wraps it in an `InvalidSize` variant. It names the
/// argument, and for a size too large, the most that is accepted.
///
/// # Examples
///
/// ```
/// use atomics_kit::{ShardedCounter, SizeError};
///
/// let error = ShardedCounter::with_shards(0).unwrap_err();
/// assert_eq!(error, SizeError::zero("shards"));
/// assert_eq!(error.argument(), "shards");
/// assert_eq!(error.to_string(), "`shards` must be at least 1, not 0");
///
/// let error = ShardedCounter::with_shards(usize::MAX).unwrap_err();
/// assert_eq!(error.max(), Some(ShardedCounter::MAX_SHARDS));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SizeError {
    argument: &'static str,
    refusal: Refusal,
}

/// Why a size was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Refusal {
    Zero,
    /// Above the largest size accepted, `max`.
    TooLarge {
        max: usize,
    },
    /// Within the limits, but the allocator refused the memory `size`
    /// needs.
    Unallocated {
        size: usize,
    },
}

impl SizeError {
    /// The error for a zero `argument`.
    #[must_use]
    pub const fn zero(argument: &'static str) -> Self {
        Self {
            argument,
            refusal: Refusal::Zero,
        }
    }

    /// The error for an `argument` above `max`, the largest accepted.
    #[must_use]
    pub const fn too_large(argument: &'static str, max: usize) -> Self {
        Self {
            argument,
            refusal: Refusal::TooLarge { max },
        }
    }

    /// The error for an `argument` of `size`, within its limits, whose
    /// memory the allocator refused (a constructor that allocates up front
    /// returns it instead of aborting the process).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::SizeError;
    ///
    /// let error = SizeError::allocation_failed("capacity", 1 << 20);
    /// assert!(error.is_allocation_failure());
    /// assert!(!error.is_zero());
    /// assert_eq!(error.max(), None);
    /// assert_eq!(
    ///     error.to_string(),
    ///     "`capacity` of 1048576 needs more memory than the allocator provided"
    /// );
    /// ```
    #[must_use]
    pub const fn allocation_failed(argument: &'static str, size: usize) -> Self {
        Self {
            argument,
            refusal: Refusal::Unallocated { size },
        }
    }

    /// The name of the argument that was refused.
    #[must_use]
    pub const fn argument(&self) -> &'static str {
        self.argument
    }

    /// Whether the size was zero.
    #[must_use]
    pub const fn is_zero(&self) -> bool {
        matches!(self.refusal, Refusal::Zero)
    }

    /// Whether the size was within its limits but the allocator refused
    /// the memory it needs ([`allocation_failed`](Self::allocation_failed)).
    #[must_use]
    pub const fn is_allocation_failure(&self) -> bool {
        matches!(self.refusal, Refusal::Unallocated { .. })
    }

    /// For a size too large, the largest the argument accepts.
    #[must_use]
    pub const fn max(&self) -> Option<usize> {
        match self.refusal {
            Refusal::TooLarge { max } => Some(max),
            Refusal::Zero | Refusal::Unallocated { .. } => None,
        }
    }

    /// `Ok(size)` when `1 <= size <= max`, the error naming `argument`
    /// otherwise.
    ///
    /// # Errors
    ///
    /// [`SizeError`] naming `argument` when `size` is zero or above `max`.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::SizeError;
    ///
    /// assert_eq!(SizeError::check("capacity", 3, 10), Ok(3));
    /// assert_eq!(SizeError::check("capacity", 0, 10), Err(SizeError::zero("capacity")));
    /// assert_eq!(SizeError::check("capacity", 11, 10), Err(SizeError::too_large("capacity", 10)));
    /// ```
    pub const fn check(argument: &'static str, size: usize, max: usize) -> Result<usize, Self> {
        if size == 0 {
            Err(Self::zero(argument))
        } else if size > max {
            Err(Self::too_large(argument, max))
        } else {
            Ok(size)
        }
    }
}

impl SizeError {
    /// `Ok(size)` when `size` is at least one, the error naming `argument`
    /// otherwise: for sizes with no upper limit of their own.
    ///
    /// # Errors
    ///
    /// [`SizeError`] naming `argument` when `size` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::SizeError;
    ///
    /// assert_eq!(SizeError::nonzero("workers", 2), Ok(2));
    /// assert_eq!(SizeError::nonzero("workers", 0), Err(SizeError::zero("workers")));
    /// ```
    pub const fn nonzero(argument: &'static str, size: usize) -> Result<usize, Self> {
        Self::check(argument, size, usize::MAX)
    }
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.refusal {
            Refusal::Zero => write!(f, "`{}` must be at least 1, not 0", self.argument),
            Refusal::TooLarge { max } => write!(f, "`{}` must be at most {max}", self.argument),
            Refusal::Unallocated { size } => write!(
                f,
                "`{}` of {size} needs more memory than the allocator provided",
                self.argument
            ),
        }
    }
}

impl Error for SizeError {}
