//! A bounded MPMC queue for producers and consumers: [`BoundedQueue`].
//!
//! A lock-free ring of slots underneath (`ring.rs`), whose tail position
//! carries the closed bit, so `close` never strands a value; blocking
//! `push` and `pop` back off and then park on a wait set (`wait_set.rs`).
//! The errors are in `errors.rs`, the closing producer handles in
//! `producer.rs`.
mod errors;
mod producer;
#[allow(unsafe_code)]
mod ring;
pub(crate) mod wait_set;

use std::fmt;
use std::iter::FusedIterator;
use std::time::{Duration, Instant};

pub use atomics_kit::SizeError;
pub use errors::{PushError, TryPopError, TryPushError};
pub use producer::Producer;

use crate::sync::{take_eagerly, AtomicUsize, Backoff};
use ring::Ring;
use wait_set::WaitSet;

/// A bounded multi-producer multi-consumer queue: a lock-free ring of
/// slots (the algorithm of crossbeam's `ArrayQueue` and of
/// crossbeam-channel's `bounded`), with blocking
/// [`push`](Self::push) and [`pop`](Self::pop) that back off briefly
/// (crossbeam's `Backoff`) and then park, so an idle producer or consumer
/// burns no core, and with [`close`](Self::close).
///
/// After `close`, pushes fail with the value given back, and consumers
/// drain what is queued: `pop` returns `None` only when the queue is closed,
/// empty, and no push that began before the close is still landing. So
/// every value a push accepted is popped exactly once (or dropped with the
/// queue, if nobody pops it).
///
/// Dropping the queue drops the values left in it, each one even if an
/// earlier one's `Drop` panicked, and then resumes the first such panic
/// (as treiber's stack does; a `Vec` aborts the process at the second).
///
/// Forgetting `close` leaves consumers blocked for good. In an `Arc`, the
/// queue hands out [`Producer`] handles ([`producer`](Self::producer)):
/// the last one's drop closes the queue, so consumers end once every
/// producer is gone, with no `close` call.
///
/// `BoundedQueue<T>` is `Send + Sync` when `T: Send`. Share it by reference
/// (scoped threads) or in an `Arc`.
///
/// A value moves by value through a few frames of the pushing and popping
/// threads' stacks (more in a debug build: a break run's 64 KiB values
/// overflowed a 2 MiB stack at opt-level 0); box values of tens of KiB or
/// more.
///
/// # Examples
///
/// The seed article's producers and consumers, ending exactly:
///
/// ```
/// use channels_patterns::BoundedQueue;
///
/// let queue = BoundedQueue::new(100)?;
/// let consumed: usize = std::thread::scope(|s| {
///     let producers: Vec<_> = (0..5)
///         .map(|p| {
///             let queue = &queue;
///             s.spawn(move || (0..20).for_each(|j| queue.push(p * 20 + j).unwrap()))
///         })
///         .collect();
///     let consumers: Vec<_> = (0..3).map(|_| s.spawn(|| queue.iter().count())).collect();
///     producers.into_iter().for_each(|p| p.join().unwrap());
///     queue.close();
///     consumers.into_iter().map(|c| c.join().unwrap()).sum()
/// });
/// assert_eq!(consumed, 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BoundedQueue<T> {
    /// The values, and the closed bit.
    queue: Ring<T>,
    /// Live [`Producer`] handles; the drop that takes it to zero closes.
    producers: AtomicUsize,
    not_empty: WaitSet,
    not_full: WaitSet,
}

impl<T> BoundedQueue<T> {
    /// The largest capacity [`new`](Self::new) accepts for this `T`:
    /// 16,777,216 values, or fewer for values so large that the slots
    /// would not fit in `isize::MAX` bytes. The slots are allocated up
    /// front; a larger bound would be no bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// assert_eq!(BoundedQueue::<u64>::MAX_CAPACITY, 1 << 24);
    /// // A terabyte a value: fewer slots fit.
    /// let most = BoundedQueue::<[u8; 1 << 40]>::MAX_CAPACITY;
    /// assert!(most < 1 << 24);
    /// assert!(BoundedQueue::<[u8; 1 << 40]>::new(most + 1).is_err());
    /// ```
    pub const MAX_CAPACITY: usize = {
        let fits = Ring::<T>::max_capacity();
        if fits < 1 << 24 {
            fits
        } else {
            1 << 24
        }
    };

    /// An open queue holding at most `capacity` values (its slots, each a
    /// `T` and a stamp, are allocated now).
    ///
    /// # Errors
    ///
    /// [`SizeError`] if `capacity` is 0 or above
    /// [`MAX_CAPACITY`](Self::MAX_CAPACITY), this `T`'s largest (the error
    /// names it), or if the allocator refuses the slots
    /// ([`SizeError::is_allocation_failure`]; where `Vec::with_capacity`
    /// would abort the process). On a system that overcommits memory the
    /// allocation may be granted and the process killed later, as the
    /// slots are written: only what the allocator refuses is caught.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::<String>::new(64)?;
    /// assert_eq!(queue.capacity(), 64);
    /// # Ok::<(), channels_patterns::SizeError>(())
    /// ```
    pub fn new(capacity: usize) -> Result<Self, SizeError> {
        SizeError::check("capacity", capacity, Self::MAX_CAPACITY)?;
        let Some(queue) = Ring::try_new(capacity) else {
            return Err(SizeError::allocation_failed("capacity", capacity));
        };
        Ok(Self {
            queue,
            producers: AtomicUsize::new(0),
            not_empty: WaitSet::new(),
            not_full: WaitSet::new(),
        })
    }

    /// Pushes `value`, waiting while the queue is full.
    ///
    /// # Errors
    ///
    /// Gives the value back in [`PushError`] if the queue is closed (before
    /// the call, or while it waited for room).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| (0..10).for_each(|i| queue.push(i).unwrap()));
    ///     // The producer waits for room ten times; this thread makes it.
    ///     assert_eq!((0..10).map(|_| queue.pop().unwrap()).sum::<i32>(), 45);
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        // Without a deadline the only failure is a close.
        self.push_until(value, None)
            .map_err(|error| PushError(error.into_inner()))
    }

    /// Pushes `value`, waiting at most `timeout` (any `Duration`,
    /// `Duration::MAX` included) while the queue is full.
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
    /// use std::time::Duration;
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// queue.push_timeout(1, Duration::from_millis(1))?;
    /// let timed_out = queue.push_timeout(2, Duration::from_millis(1));
    /// assert_eq!(timed_out, Err(TryPushError::Full(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), TryPushError<T>> {
        // A timeout too long for an `Instant` is no deadline at all.
        self.push_until(value, Instant::now().checked_add(timeout))
    }

    fn push_until(&self, value: T, deadline: Option<Instant>) -> Result<(), TryPushError<T>> {
        let mut value = Some(value);
        loop {
            // Eagerly first (spin, then yield): room made within
            // microseconds then costs no park and no wake-up.
            let pushed = take_eagerly(deadline, || {
                let Some(pending) = value.take() else {
                    unreachable!("the value is put back whenever the queue is full")
                };
                match self.try_push(pending) {
                    Err(TryPushError::Full(back)) => {
                        value = Some(back);
                        // Full: wait (reading only) until a quarter of the
                        // ring is free, so that producer and consumers
                        // work in runs instead of trading each slot's line.
                        let refill = self.queue.capacity() - self.queue.capacity() / 4;
                        let backoff = Backoff::new();
                        while self.queue.len() > refill && !backoff.is_completed() {
                            backoff.snooze();
                        }
                        None
                    }
                    done => Some(done),
                }
            });
            if let Some(done) = pushed {
                return done;
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                let Some(pending) = value.take() else {
                    unreachable!("the value is put back whenever the queue is full")
                };
                return Err(TryPushError::Full(pending));
            }
            self.not_full
                .wait_unless(|| !self.queue.is_full() || self.is_closed(), deadline);
        }
    }

    /// Pushes `value` if there is room, without waiting.
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
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// assert_eq!(queue.try_push('a'), Ok(()));
    /// assert_eq!(queue.try_push('b'), Err(TryPushError::Full('b')));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_push(&self, value: T) -> Result<(), TryPushError<T>> {
        self.queue.try_push(value)?;
        self.not_empty.notify_one();
        Ok(())
    }

    /// Pops the oldest value, waiting while the queue is empty. Returns
    /// `None` once the queue is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(4)?;
    /// queue.push(1)?;
    /// queue.close();
    /// assert_eq!(queue.pop(), Some(1)); // queued before the close: drained
    /// assert_eq!(queue.pop(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use = "a popped value is gone from the queue"]
    pub fn pop(&self) -> Option<T> {
        // Without a deadline the only failure is closed and drained.
        self.pop_until(None).ok()
    }

    /// Pops the oldest value, waiting at most `timeout` (any `Duration`,
    /// `Duration::MAX` included) while the queue is empty.
    ///
    /// # Errors
    ///
    /// [`TryPopError::Empty`] if the queue was still empty when the time
    /// ran out, [`TryPopError::Closed`] once it is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{BoundedQueue, TryPopError};
    /// use std::time::Duration;
    ///
    /// let queue = BoundedQueue::<u8>::new(1)?;
    /// assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Err(TryPopError::Empty));
    /// queue.close();
    /// assert_eq!(queue.pop_timeout(Duration::MAX), Err(TryPopError::Closed));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Result<T, TryPopError> {
        // A timeout too long for an `Instant` is no deadline at all.
        self.pop_until(Instant::now().checked_add(timeout))
    }

    fn pop_until(&self, deadline: Option<Instant>) -> Result<T, TryPopError> {
        loop {
            // Eagerly first (spin, then yield): a value pushed within
            // microseconds then costs no park and no wake-up.
            let popped = take_eagerly(deadline, || match self.try_pop() {
                Err(TryPopError::Empty) => None,
                done => Some(done),
            });
            if let Some(done) = popped {
                return done;
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(TryPopError::Empty);
            }
            self.not_empty
                .wait_unless(|| !self.queue.is_empty() || self.is_closed(), deadline);
        }
    }

    /// Pops the oldest value if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryPopError::Empty`] if nothing is queued now,
    /// [`TryPopError::Closed`] if the queue is closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::{BoundedQueue, TryPopError};
    ///
    /// let queue = BoundedQueue::new(2)?;
    /// queue.push(7)?;
    /// assert_eq!(queue.try_pop(), Ok(7));
    /// assert_eq!(queue.try_pop(), Err(TryPopError::Empty));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_pop(&self) -> Result<T, TryPopError> {
        let value = self.queue.try_pop()?;
        self.not_full.notify_one();
        Ok(value)
    }

    /// Closes the queue: later pushes fail, waiting producers and consumers
    /// wake, and consumers drain what is queued and then get `None`.
    /// Returns `true` if this call closed it, `false` if it was closed.
    ///
    /// The last [`Producer`]'s drop calls it too: the queue closes at
    /// whichever comes first and never reopens (pushes through live
    /// producers then fail, and their drops change nothing).
    ///
    /// What the closing thread did before `close` happens before a push
    /// that fails because of it, and before a pop that reports the queue
    /// closed and drained (as a channel's disconnect does).
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::<u8>::new(1)?;
    /// assert!(queue.close());
    /// assert!(!queue.close());
    /// assert!(queue.is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&self) -> bool {
        let closed_now = self.queue.close();
        self.not_empty.notify_all();
        self.not_full.notify_all();
        closed_now
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::<u8>::new(1)?;
    /// assert!(!queue.is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The number of values queued now.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(4)?;
    /// queue.push(())?;
    /// assert_eq!(queue.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no value is queued now.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// assert!(BoundedQueue::<u8>::new(4)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether the queue holds [`capacity`](Self::capacity) values now.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(1)?;
    /// queue.push('a')?;
    /// assert!(queue.is_full());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.queue.is_full()
    }

    /// The most values the queue holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// assert_eq!(BoundedQueue::<u8>::new(3)?.capacity(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// A blocking iterator of popped values; it ends once the queue is
    /// closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::BoundedQueue;
    ///
    /// let queue = BoundedQueue::new(8)?;
    /// (1..=3).for_each(|i| queue.push(i).unwrap());
    /// queue.close();
    /// assert_eq!(queue.iter().sum::<i32>(), 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> QueueIter<'_, T> {
        QueueIter { queue: self }
    }
}

impl<T> fmt::Debug for BoundedQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// A blocking iterator over a [`BoundedQueue`]'s values, from
/// [`BoundedQueue::iter`]: each `next` is a [`pop`](BoundedQueue::pop).
///
/// # Examples
///
/// ```
/// use channels_patterns::BoundedQueue;
///
/// let queue = BoundedQueue::new(4)?;
/// queue.push('x')?;
/// queue.close();
/// let mut values = queue.iter();
/// assert_eq!(values.next(), Some('x'));
/// assert_eq!(values.next(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "iterators do nothing unless iterated"]
pub struct QueueIter<'a, T> {
    queue: &'a BoundedQueue<T>,
}

/// Shows the queue's state, not its values (so `T` need not be `Debug`).
impl<T> fmt::Debug for QueueIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueIter")
            .field("queue", self.queue)
            .finish()
    }
}

impl<T> Iterator for QueueIter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.queue.pop()
    }
}

/// Once it ends, the queue is closed and drained for good.
impl<T> FusedIterator for QueueIter<'_, T> {}

impl<'a, T> IntoIterator for &'a BoundedQueue<T> {
    type Item = T;
    type IntoIter = QueueIter<'a, T>;

    fn into_iter(self) -> QueueIter<'a, T> {
        self.iter()
    }
}
