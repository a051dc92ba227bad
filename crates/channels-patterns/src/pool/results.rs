//! The receiving end of a pool's results.

use std::fmt;
use std::iter::FusedIterator;
use std::sync::Arc;
use std::time::Duration;

use atomics_kit::PerThreadCounter;
use crossbeam_channel::{Receiver, RecvError, RecvTimeoutError, TryRecvError};

use super::drop_catching::DropCatching;
use super::job::{JobId, JobPanicked};
use crate::sync::{AtomicBool, Ordering};

/// One finished job: its id and what its function returned, or how it
/// panicked.
///
/// # Examples
///
/// ```
/// use channels_patterns::{Completed, WorkerPool};
///
/// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
/// let id = pool.submit(9).unwrap();
/// let completed: Completed<u8> = results.recv()?;
/// assert_eq!(completed, (id, Ok(9)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Completed<R> = (JobId, Result<R, JobPanicked>);

/// A finished job as it travels on the channel: the same information as
/// [`Completed`], laid out so that the never-zero job id doubles as the
/// tag (16 bytes for a `u64` result instead of 24), the result in a
/// [`DropCatching`] so that one dropped unreceived never unwinds.
pub(crate) type Outcome<R> = Result<(JobId, DropCatching<R>), JobPanicked>;

/// What the pool learns from its results' receivers: how many results
/// were delivered, and whether anyone can still receive one. Every result
/// a job produced is delivered or, once every handle is gone, discarded:
/// `completed - delivered` then counts the discarded ones exactly, those
/// left in the channel included.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    /// Set when the last `Results` handle (or owning iterator) is gone.
    dropped: AtomicBool,
    /// Results received through any handle; one slot per receiving thread.
    delivered: PerThreadCounter,
}

impl Delivery {
    /// Whether every handle is gone.
    #[inline]
    pub(crate) fn is_dropped(&self) -> bool {
        // Acquire: pairs with the Release store in `Alive::drop`, which the
        // last handle's drop makes after every receive it or its clones did
        // (the `Arc` count orders the clones' drops before it), so a reader
        // that sees the flag sees the final `delivered`.
        self.dropped.load(Ordering::Acquire)
    }

    /// Results received so far; final once `is_dropped`.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered.sum()
    }

    fn deliver<R>(&self, outcome: Outcome<R>) -> Completed<R> {
        self.delivered.increment();
        match outcome {
            Ok((id, result)) => (id, Ok(result.into_inner())),
            Err(panicked) => (panicked.id(), Err(panicked)),
        }
    }
}

/// Where a [`WorkerPool`](crate::WorkerPool)'s results arrive, in the order
/// the jobs finish, each with its job's id.
///
/// A crossbeam-channel receiver underneath: `Clone` (each result goes to one
/// of the clones), blocking and non-blocking receives, iteration. Iterating
/// ends once the pool is shut down and every result was received.
///
/// Dropping every `Results` handle tells the pool nobody wants results: jobs
/// already accepted still run and their results are counted in
/// [`WorkerPoolStats::results_discarded`](crate::WorkerPoolStats::results_discarded);
/// submissions after the last handle's drop returned are refused with
/// [`SubmitError::ResultsDropped`](crate::SubmitError::ResultsDropped). One
/// made while that drop runs (from the `Drop` of a result it frees) may
/// still be accepted; its result is counted as discarded too.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(2, |x: u64| x * x)?;
/// for x in 1..=3 {
///     pool.submit(x).unwrap();
/// }
/// pool.shutdown();
/// let mut squares: Vec<u64> = results.into_iter().map(|(_, r)| r.unwrap()).collect();
/// squares.sort_unstable();
/// assert_eq!(squares, [1, 4, 9]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping every Results handle makes the pool refuse new jobs"]
pub struct Results<R> {
    receiver: Receiver<Outcome<R>>,
    alive: Arc<Alive>,
}

/// Shared by every clone of a `Results`; when the last one goes, the pool
/// hears of it.
#[derive(Debug)]
struct Alive(Arc<Delivery>);

impl Drop for Alive {
    fn drop(&mut self) {
        // Release: pairs with the Acquire loads in `Delivery::is_dropped`
        // (`submit` refuses jobs; `stats` reads the final delivered count).
        self.0.dropped.store(true, Ordering::Release);
    }
}

impl<R> Results<R> {
    pub(crate) fn new(receiver: Receiver<Outcome<R>>, delivery: Arc<Delivery>) -> Self {
        Self {
            receiver,
            alive: Arc::new(Alive(delivery)),
        }
    }

    /// Waits for the next result.
    ///
    /// # Errors
    ///
    /// [`RecvError`] once the pool is shut down (or dropped) and every
    /// result has been received.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
    /// pool.submit(3).unwrap();
    /// assert_eq!(results.recv()?.1, Ok(3));
    /// pool.shutdown();
    /// assert!(results.recv().is_err(), "ended: shut down and drained");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&self) -> Result<Completed<R>, RecvError> {
        self.receiver
            .recv()
            .map(|outcome| self.alive.0.deliver(outcome))
    }

    /// The next result if one is ready.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is ready yet,
    /// [`TryRecvError::Disconnected`] once the pool is shut down and every
    /// result has been received.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use channels_patterns::TryRecvError;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
    /// pool.shutdown();
    /// assert_eq!(results.try_recv().unwrap_err(), TryRecvError::Disconnected);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&self) -> Result<Completed<R>, TryRecvError> {
        self.receiver
            .try_recv()
            .map(|outcome| self.alive.0.deliver(outcome))
    }

    /// Waits at most `timeout` for the next result.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] if none arrived in time,
    /// [`RecvTimeoutError::Disconnected`] once the pool is shut down and every
    /// result has been received.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    /// use std::time::Duration;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
    /// assert!(results.recv_timeout(Duration::from_millis(1)).is_err());
    /// pool.submit(1).unwrap();
    /// assert_eq!(results.recv_timeout(Duration::from_secs(10))?.1, Ok(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Completed<R>, RecvTimeoutError> {
        self.receiver
            .recv_timeout(timeout)
            .map(|outcome| self.alive.0.deliver(outcome))
    }

    /// A blocking iterator over the results; it ends once the pool is shut
    /// down and every result has been received.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(2, |x: u32| x)?;
    /// (0..10).for_each(|x| drop(pool.submit(x)));
    /// pool.shutdown();
    /// assert_eq!(results.iter().count(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> ResultsIter<'_, R> {
        ResultsIter {
            inner: self.receiver.iter(),
            delivery: &self.alive.0,
        }
    }

    /// An iterator over the results ready now.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: u32| x)?;
    /// pool.submit(1).unwrap();
    /// pool.shutdown(); // the result is there once the worker is joined
    /// assert_eq!(results.try_iter().count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_iter(&self) -> ResultsTryIter<'_, R> {
        ResultsTryIter {
            inner: self.receiver.try_iter(),
            delivery: &self.alive.0,
        }
    }

    /// The number of results waiting to be received.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (pool, results) = WorkerPool::new(1, |x: u32| x)?;
    /// pool.submit(1).unwrap();
    /// pool.shutdown();
    /// assert_eq!(results.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.receiver.len()
    }

    /// Whether no result is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::WorkerPool;
    ///
    /// let (_pool, results) = WorkerPool::new(1, |x: u32| x)?;
    /// assert!(results.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.receiver.is_empty()
    }
}

impl<R> Clone for Results<R> {
    fn clone(&self) -> Self {
        Self {
            receiver: self.receiver.clone(),
            alive: Arc::clone(&self.alive),
        }
    }
}

impl<R> fmt::Debug for Results<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Results")
            .field("waiting", &self.receiver.len())
            .finish_non_exhaustive()
    }
}

impl<'a, R> IntoIterator for &'a Results<R> {
    type Item = Completed<R>;
    type IntoIter = ResultsIter<'a, R>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// An owning blocking iterator over a pool's results.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
/// pool.submit(1).unwrap();
/// pool.shutdown();
/// let values: Vec<u8> = results.into_iter().map(|(_, r)| r.unwrap()).collect();
/// assert_eq!(values, [1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "iterators do nothing unless iterated"]
pub struct ResultsIntoIter<R> {
    inner: crossbeam_channel::IntoIter<Outcome<R>>,
    alive: Arc<Alive>,
}

impl<R> Iterator for ResultsIntoIter<R> {
    type Item = Completed<R>;

    fn next(&mut self) -> Option<Self::Item> {
        let outcome = self.inner.next()?;
        Some(self.alive.0.deliver(outcome))
    }
}

/// Once it ends, the pool is shut down and every result was received.
impl<R> FusedIterator for ResultsIntoIter<R> {}

impl<R> IntoIterator for Results<R> {
    type Item = Completed<R>;
    type IntoIter = ResultsIntoIter<R>;

    fn into_iter(self) -> ResultsIntoIter<R> {
        ResultsIntoIter {
            inner: self.receiver.into_iter(),
            alive: self.alive,
        }
    }
}

/// A blocking iterator over a pool's results, from [`Results::iter`]; it
/// ends once the pool is shut down and every result has been received.
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (pool, results) = WorkerPool::new(1, |x: u8| x)?;
/// pool.submit(1).unwrap();
/// pool.shutdown();
/// assert_eq!(results.iter().count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "iterators do nothing unless iterated"]
pub struct ResultsIter<'a, R> {
    inner: crossbeam_channel::Iter<'a, Outcome<R>>,
    delivery: &'a Delivery,
}

impl<R> Iterator for ResultsIter<'_, R> {
    type Item = Completed<R>;

    fn next(&mut self) -> Option<Self::Item> {
        let outcome = self.inner.next()?;
        Some(self.delivery.deliver(outcome))
    }
}

/// Once it ends, the pool is shut down and every result was received.
impl<R> FusedIterator for ResultsIter<'_, R> {}

/// An iterator over the results ready now, from [`Results::try_iter`].
///
/// # Examples
///
/// ```
/// use channels_patterns::WorkerPool;
///
/// let (_pool, results) = WorkerPool::new(1, |x: u8| x)?;
/// assert_eq!(results.try_iter().count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "iterators do nothing unless iterated"]
pub struct ResultsTryIter<'a, R> {
    inner: crossbeam_channel::TryIter<'a, Outcome<R>>,
    delivery: &'a Delivery,
}

impl<R> Iterator for ResultsTryIter<'_, R> {
    type Item = Completed<R>;

    fn next(&mut self) -> Option<Self::Item> {
        let outcome = self.inner.next()?;
        Some(self.delivery.deliver(outcome))
    }
}
