//! `FanOutStream`: fan-out whose results arrive as they complete, with a
//! bound on the inputs in flight.

use std::fmt;
use std::iter::{Fuse, FusedIterator};

use super::ItemPanicked;
use atomics_kit::{drop_caught, FirstPanic, SizeError};

use crate::pool::{PoolError, Results, WorkerPool};

/// The name [`fan_out_bounded`]'s `max_in_flight` has in its
/// [`SizeError`] (and [`PoolError`]'s message).
pub(crate) const MAX_IN_FLIGHT: &str = "max_in_flight";

/// The `max_in_flight` of an unbounded [`fan_out_stream`].
const UNBOUNDED: usize = usize::MAX;

/// Applies `f` to every input on `workers` threads and yields
/// `(index, result)` pairs as they complete, in completion order.
///
/// All inputs may be in flight at once: the stream pulls the inputs as fast
/// as it can queue them, so an endless input never ends the pulling. For an
/// endless or huge input, use [`fan_out_bounded`], which keeps memory
/// bounded.
///
/// The inputs are pulled on the thread that iterates the stream (so the
/// input iterator need not be `Send`); `f` runs on the stream's own worker
/// threads: `workers` of them, or fewer when the input's `size_hint` says
/// it holds fewer items (one thread per item at most). A panic in `f`
/// yields `(index, Err(ItemPanicked))` and the other inputs are still
/// processed. Dropping the stream early drops the
/// inputs not yet started, waits for the running ones, and joins the
/// workers; dropped from inside its own `f` (where that wait would wait
/// for itself), it lets the inputs already handed to the workers run and
/// stops the workers after them, without waiting. The results not taken
/// are dropped, each once, even if one's `Drop` panics (see
/// [`FanOutStream`]'s Panics section).
///
/// `f`'s result travels through its worker's stack, a few copies deep:
/// results of hundreds of KiB overflow a worker's stack (a break run's
/// 512 KiB result aborted the process in a release build). Box them, or
/// use a [`WorkerPool`] built with a larger
/// [`stack_size`](crate::WorkerPoolBuilder::stack_size).
///
/// # Errors
///
/// [`PoolError::InvalidSize`] if `workers` is 0 or above
/// [`WorkerPool::MAX_WORKERS`](crate::WorkerPool::MAX_WORKERS),
/// [`PoolError::StackTooSmall`] if an input or result type is a 32nd or
/// more of a worker's stack (std's default;
/// [`atomics_kit::STACK_PER_VALUE`]), [`PoolError::Spawn`] if a thread
/// could not be started.
///
/// # Examples
///
/// ```
/// use channels_patterns::fan_out_stream;
///
/// let mut squares: Vec<(usize, u64)> = fan_out_stream(0..50_u64, 4, |x| x * x)?
///     .map(|(index, result)| (index, result.unwrap()))
///     .collect();
/// squares.sort_unstable();
/// assert_eq!(squares[7], (7, 49));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fan_out_stream<I, F, R>(
    inputs: I,
    workers: usize,
    f: F,
) -> Result<FanOutStream<I::IntoIter, R>, PoolError>
where
    I: IntoIterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    FanOutStream::start(inputs.into_iter(), workers, UNBOUNDED, f)
}

/// Like [`fan_out_stream`], but at most `max_in_flight` inputs are queued or
/// running at once: the next input is pulled only when a result has been
/// taken. An endless input runs in bounded memory, at the pace the consumer
/// takes results (backpressure). No more than `max_in_flight` threads are
/// started, whatever valid `workers` says.
///
/// # Errors
///
/// [`PoolError::InvalidSize`] if `workers` is 0 or above
/// [`WorkerPool::MAX_WORKERS`](crate::WorkerPool::MAX_WORKERS),
/// [`PoolError::InvalidSize`] if `max_in_flight` is 0,
/// [`PoolError::StackTooSmall`] and [`PoolError::Spawn`] as for
/// [`fan_out_stream`].
///
/// # Examples
///
/// An endless input, 8 in flight at most:
///
/// ```
/// use channels_patterns::fan_out_bounded;
///
/// let evens = fan_out_bounded(0_u64.., 2, 8, |x| x * 2)?
///     .map(|(_, result)| result.unwrap())
///     .take(1_000)
///     .count();
/// assert_eq!(evens, 1_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fan_out_bounded<I, F, R>(
    inputs: I,
    workers: usize,
    max_in_flight: usize,
    f: F,
) -> Result<FanOutStream<I::IntoIter, R>, PoolError>
where
    I: IntoIterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    if let Err(refusal) = SizeError::nonzero(MAX_IN_FLIGHT, max_in_flight) {
        // As in `start`.
        drop_caught(inputs);
        drop_caught(f);
        return Err(refusal.into());
    }
    FanOutStream::start(inputs.into_iter(), workers, max_in_flight, f)
}

/// The iterator [`fan_out_stream`] and [`fan_out_bounded`] return: yields
/// `(index, Result<R, ItemPanicked>)` for every input, in completion order.
///
/// # Panics
///
/// Dropping it drops user code: the input iterator, the inputs not
/// started, the results not taken, and (with the workers) `f`. Each is
/// dropped even if an earlier one's `Drop` panicked, and then the first
/// such panic is resumed from the drop; `f`'s own, whose payload stays on
/// its worker thread, as a panic with the message "the fan-out's function
/// panicked when dropped". Dropped while its thread already unwinds, it
/// resumes nothing (a second panic would abort the process): those panics
/// are caught and their payloads dropped.
///
/// # Examples
///
/// ```
/// use channels_patterns::fan_out_stream;
///
/// let stream = fan_out_stream(["a", "bb"], 2, |s: &'static str| s.len())?;
/// let mut lengths: Vec<(usize, usize)> = stream.map(|(i, r)| (i, r.unwrap())).collect();
/// lengths.sort_unstable();
/// assert_eq!(lengths, [(0, 1), (1, 2)]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "iterators do nothing unless iterated"]
pub struct FanOutStream<I: Iterator, R> {
    /// `None` only once the stream is being dropped (the iterator's `Drop`
    /// is user code, dropped with the rest: see `Drop`).
    inputs: Option<Fuse<I>>,
    pool: WorkerPool<I::Item, R>,
    results: Results<R>,
    in_flight: usize,
    /// [`UNBOUNDED`] for [`fan_out_stream`].
    max_in_flight: usize,
}

impl<I, R> FanOutStream<I, R>
where
    I: Iterator,
    I::Item: Send + 'static,
    R: Send + 'static,
{
    fn start<F>(inputs: I, workers: usize, max_in_flight: usize, f: F) -> Result<Self, PoolError>
    where
        F: Fn(I::Item) -> R + Send + Sync + 'static,
    {
        // More threads than inputs, or than may be in flight, would only
        // sit idle. A count out of range is left for the builder to refuse.
        let most_busy = inputs
            .size_hint()
            .1
            .unwrap_or(usize::MAX)
            .min(max_in_flight);
        let threads = if (1..=WorkerPool::MAX_WORKERS).contains(&workers) {
            workers.min(most_busy).max(1)
        } else {
            workers
        };
        // A refusing build drops `f` with its `Drop`'s panic caught; the
        // inputs are user code too, dropped so.
        let built = WorkerPool::builder()
            .workers(threads)
            .thread_name("fan-out")
            .build(f);
        let (pool, results) = match built {
            Ok(built) => built,
            Err(refusal) => {
                drop_caught(inputs);
                return Err(refusal);
            }
        };
        Ok(Self {
            inputs: Some(inputs.fuse()),
            pool,
            results,
            in_flight: 0,
            max_in_flight,
        })
    }
}

impl<I: Iterator, R> FanOutStream<I, R> {
    /// The number of inputs pulled whose results [`next`](Iterator::next)
    /// has not returned yet: queued, running, or finished and waiting to
    /// be taken. At most `max_in_flight`.
    ///
    /// # Examples
    ///
    /// ```
    /// use channels_patterns::fan_out_bounded;
    ///
    /// let mut stream = fan_out_bounded(0..100, 2, 4, |x: i32| x)?;
    /// stream.next();
    /// assert!(stream.in_flight() <= 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

impl<I: Iterator, R> Iterator for FanOutStream<I, R> {
    type Item = (usize, Result<R, ItemPanicked>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            // A result that is ready goes out first: results stream while the
            // inputs are still being pulled.
            if let Ok((id, result)) = self.results.try_recv() {
                return Some(self.completed(id.as_u64(), result));
            }
            if self.in_flight < self.max_in_flight {
                if let Some(input) = self.inputs.as_mut().and_then(Iterator::next) {
                    // Only this stream submits, and it keeps `results`: the
                    // pool is running, and job ids are the input indices.
                    if self.pool.submit(input).is_err() {
                        unreachable!("a fan-out's own pool refused a job");
                    }
                    self.in_flight += 1;
                    continue;
                }
            }
            if self.in_flight == 0 {
                return None;
            }
            // The pool's workers outlive this stream and catch every panic.
            let (id, result) = self.results.recv().ok()?;
            return Some(self.completed(id.as_u64(), result));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (low, high) = self
            .inputs
            .as_ref()
            .map_or((0, Some(0)), Iterator::size_hint);
        (
            low.saturating_add(self.in_flight),
            high.and_then(|high| high.checked_add(self.in_flight)),
        )
    }
}

/// Once it ends, every input was taken and every result handed out.
impl<I: Iterator, R> FusedIterator for FanOutStream<I, R> {}

impl<I: Iterator, R> FanOutStream<I, R> {
    fn completed(
        &mut self,
        index: u64,
        result: Result<R, crate::pool::JobPanicked>,
    ) -> (usize, Result<R, ItemPanicked>) {
        self.in_flight -= 1;
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        (index, result.map_err(ItemPanicked::from))
    }
}

impl<I: Iterator, R> Drop for FanOutStream<I, R> {
    fn drop(&mut self) {
        if self.pool.is_own_worker() {
            // Dropped by one of its own `f` calls, where `shutdown_now`
            // would wait for this very call: the pool's own drop stops its
            // workers after the inputs already queued, without waiting.
            return;
        }
        // Everything dropped here is user code whose `Drop` may panic: the
        // input iterator, the inputs not started, the results not taken
        // (the running inputs finish before the workers are joined, and
        // `f` goes with the last worker). Each is dropped, and the first
        // panic resumed after all: a second panic while one unwinds would
        // abort the process (a break run: two unstarted inputs whose
        // `Drop` panics did).
        let mut panics = FirstPanic::new();
        panics.drop_value(self.inputs.take());
        for input in self.pool.shutdown_now() {
            panics.drop_value(input);
        }
        while let Ok((_, result)) = self.results.try_recv() {
            panics.drop_value(result);
        }
        if self.pool.stats().function_drop_panicked && !panics.caught() {
            // Its payload stayed on the worker: told, not silent.
            panics.catch(|| panic!("the fan-out's function panicked when dropped"));
        }
        // Nothing resumed while the thread already unwinds (see `resume`).
        panics.resume();
    }
}

impl<I: Iterator, R> fmt::Debug for FanOutStream<I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FanOutStream")
            .field("in_flight", &self.in_flight)
            // `None` for an unbounded stream (not its internal usize::MAX).
            .field(
                "max_in_flight",
                &(self.max_in_flight != UNBOUNDED).then_some(self.max_in_flight),
            )
            .field("workers", &self.pool.workers())
            .finish_non_exhaustive()
    }
}
