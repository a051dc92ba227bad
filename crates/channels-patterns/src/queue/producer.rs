//! `Producer`: a pushing handle whose last drop closes the queue.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{BoundedQueue, PushError, TryPushError};
use crate::sync::Ordering;

/// A handle that pushes into a [`BoundedQueue`], from
/// [`BoundedQueue::producer`]; when the last `Producer` of a queue is
/// dropped, the queue [closes](BoundedQueue::close), so consumers drain
/// what is queued and then end, with no explicit `close` to forget (as a
/// crossbeam-channel receiver ends when every sender is gone).
///
/// Clone it for each producing thread. It holds the queue in an `Arc`, so
/// it can move into `'static` threads.
///
/// With explicit [`close`](BoundedQueue::close): the queue closes at
/// whichever comes first, a `close` call or the last producer's drop, and
/// never reopens. After a `close`, a live producer's pushes fail with the
/// value given back, and its drop does nothing more. A producer made after
/// the last one was dropped belongs to a closed queue: its pushes fail.
/// Pushes through the queue itself (`queue.push`) are not counted: only
/// producers keep the queue open.
///
/// `Producer<T>` is `Send + Sync` when `T: Send`.
///
/// # Examples
///
/// ```
/// use channels_patterns::BoundedQueue;
/// use std::sync::Arc;
/// use std::thread;
///
/// let queue = Arc::new(BoundedQueue::new(16)?);
/// let producer = queue.producer();
/// let producers: Vec<_> = (0..4)
///     .map(|p| {
///         let producer = producer.clone();
///         thread::spawn(move || (0..25).for_each(|i| producer.push(p * 25 + i).unwrap()))
///     })
///     .collect();
/// drop(producer); // only the threads' clones keep the queue open now
/// // No `close()`: the iteration ends once every producer is gone.
/// let sum: i32 = queue.iter().sum();
/// assert_eq!(sum, (0..100).sum());
/// producers.into_iter().for_each(|p| p.join().unwrap());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the last Producer closes the queue"]
pub struct Producer<T> {
    queue: Arc<BoundedQueue<T>>,
}

impl<T> BoundedQueue<T> {
    /// A [`Producer`] handle for this queue. The queue closes when the
    /// last producer is dropped (or at an explicit [`close`](Self::close),
    /// whichever comes first).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(BoundedQueue::new(4)?);
    /// let producer = queue.producer();
    /// producer.push('a')?;
    /// drop(producer);
    /// assert!(queue.is_closed());
    /// assert_eq!(queue.pop(), Some('a'));
    /// assert_eq!(queue.pop(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn producer(self: &Arc<Self>) -> Producer<T> {
        Producer::new(Arc::clone(self))
    }
}

impl<T> Producer<T> {
    fn new(queue: Arc<BoundedQueue<T>>) -> Self {
        // Relaxed: a new handle publishes nothing; the count only decides
        // which drop closes (see `Drop`). An `Arc` clone aborts long before
        // the count could overflow (each producer holds one).
        queue.producers.fetch_add(1, Ordering::Relaxed);
        Self { queue }
    }

    /// Pushes `value`, waiting while the queue is full, as
    /// [`BoundedQueue::push`].
    ///
    /// # Errors
    ///
    /// Gives the value back in [`PushError`] if the queue is closed (by an
    /// explicit [`close`](BoundedQueue::close)).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(BoundedQueue::new(1)?);
    /// let producer = queue.producer();
    /// producer.push(1)?;
    /// queue.close();
    /// assert_eq!(producer.push(2).unwrap_err().into_inner(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.queue.push(value)
    }

    /// Pushes `value` if there is room, as [`BoundedQueue::try_push`].
    ///
    /// # Errors
    ///
    /// Gives the value back in [`TryPushError::Full`] or
    /// [`TryPushError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{BoundedQueue, TryPushError};
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(BoundedQueue::new(1)?);
    /// let producer = queue.producer();
    /// assert_eq!(producer.try_push(1), Ok(()));
    /// assert_eq!(producer.try_push(2), Err(TryPushError::Full(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_push(&self, value: T) -> Result<(), TryPushError<T>> {
        self.queue.try_push(value)
    }

    /// Pushes `value`, waiting at most `timeout` (any `Duration`), as
    /// [`BoundedQueue::push_timeout`].
    ///
    /// # Errors
    ///
    /// Gives the value back in [`TryPushError::Full`] if the queue was
    /// still full when the time ran out, [`TryPushError::Closed`] if it is
    /// closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{BoundedQueue, TryPushError};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let queue = Arc::new(BoundedQueue::new(1)?);
    /// let producer = queue.producer();
    /// producer.push_timeout(1, Duration::MAX)?;
    /// assert_eq!(producer.push_timeout(2, Duration::ZERO), Err(TryPushError::Full(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), TryPushError<T>> {
        self.queue.push_timeout(value, timeout)
    }

    /// The queue this producer pushes into.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(BoundedQueue::<u8>::new(4)?);
    /// let producer = queue.producer();
    /// assert!(Arc::ptr_eq(producer.queue(), &queue));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn queue(&self) -> &Arc<BoundedQueue<T>> {
        &self.queue
    }
}

impl<T> Clone for Producer<T> {
    fn clone(&self) -> Self {
        Self::new(Arc::clone(&self.queue))
    }
}

impl<T> Drop for Producer<T> {
    /// Closes the queue if this is its last producer.
    fn drop(&mut self) {
        // AcqRel: the Release makes this producer's pushes happen before
        // the last drop's Acquire, so the closing thread's `close` comes
        // after every producer's last push (the close protocol would not
        // lose a racing push anyway; this keeps "last drop, then close"
        // exact). No user code runs here: `close` only wakes threads, and
        // the queue (with its values) drops after, outside any lock.
        if self.queue.producers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.queue.close();
        }
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("queue", &*self.queue)
            .finish()
    }
}
