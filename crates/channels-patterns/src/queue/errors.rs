//! What can go wrong pushing to and popping from a `BoundedQueue`; a zero
//! capacity is refused with atomics-kit's [`SizeError`](crate::SizeError).

use std::error::Error;
use std::fmt;

/// [`BoundedQueue::push`](crate::BoundedQueue::push) found the queue closed;
/// the value is given back.
///
/// # Examples
///
/// ```
/// use channels_patterns::{BoundedQueue, PushError};
///
/// let queue = BoundedQueue::new(4)?;
/// queue.close();
/// assert_eq!(queue.push("late"), Err(PushError("late")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PushError<T>(pub T);

impl<T> PushError<T> {
    /// The value that was not pushed.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// queue.close();
    /// assert_eq!(queue.push(5).unwrap_err().into_inner(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PushError(..)")
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pushing into a closed queue")
    }
}

impl<T> Error for PushError<T> {}

/// [`BoundedQueue::try_push`](crate::BoundedQueue::try_push) could not push;
/// the value is given back.
///
/// # Examples
///
/// ```
/// use channels_patterns::{BoundedQueue, TryPushError};
///
/// let queue = BoundedQueue::new(1)?;
/// queue.try_push(1)?;
/// assert_eq!(queue.try_push(2), Err(TryPushError::Full(2)));
/// queue.close();
/// assert_eq!(queue.try_push(3), Err(TryPushError::Closed(3)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPushError<T> {
    /// The queue is full.
    Full(T),
    /// The queue is closed.
    Closed(T),
}

impl<T> TryPushError<T> {
    /// The value that was not pushed.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// queue.push(1)?;
    /// assert_eq!(queue.try_push(2).unwrap_err().into_inner(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(value) | Self::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for TryPushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TryPushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("pushing into a full queue"),
            Self::Closed(_) => f.write_str("pushing into a closed queue"),
        }
    }
}

impl<T> Error for TryPushError<T> {}

/// [`BoundedQueue::try_pop`](crate::BoundedQueue::try_pop) found nothing.
///
/// # Examples
///
/// ```
/// use channels_patterns::{BoundedQueue, TryPopError};
///
/// let queue = BoundedQueue::<u8>::new(1)?;
/// assert_eq!(queue.try_pop(), Err(TryPopError::Empty));
/// queue.close();
/// assert_eq!(queue.try_pop(), Err(TryPopError::Closed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryPopError {
    /// Nothing is queued now; more may come.
    Empty,
    /// The queue is closed and everything pushed has been popped.
    Closed,
}

impl fmt::Display for TryPopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("popping from an empty queue"),
            Self::Closed => f.write_str("popping from a closed and drained queue"),
        }
    }
}

impl Error for TryPopError {}
