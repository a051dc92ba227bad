//! `fan_out_fan_in`: apply a function to every input on N threads and
//! gather the results in input order.

use std::error::Error;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};
use std::thread;

use crate::item_panicked::ItemPanicked;
use crate::panic_payload;

/// How many chunks each worker's share of the inputs is cut into: enough
/// that a worker finishing early finds more to take when items differ in
/// cost, few enough that taking one (a lock) is rare next to running it.
const CHUNKS_PER_WORKER: usize = 8;

/// Applies `f` to every input on `workers` threads and returns the results
/// in input order.
///
/// The calling thread is one of the workers: `workers - 1` scoped threads
/// are started, so `f` and the inputs may borrow from the caller. The inputs
/// are cut into chunks that the workers take in turn, so uneven items
/// balance out. If the operating system refuses to start a thread, the
/// others (at least the caller) do its share.
///
/// # Panics policy
///
/// A panic in `f` is caught for that input and the other inputs are still
/// processed; the call then returns [`FanOutError::Panicked`] with every
/// input's outcome, in order: the result, or the [`ItemPanicked`] with the
/// input's index and the panic message. (The panic hook still prints each
/// panic.)
///
/// # Errors
///
/// [`FanOutError::ZeroWorkers`] if `workers` is 0;
/// [`FanOutError::Panicked`] if `f` panicked on any input.
///
/// # Examples
///
/// The seed article's fan-out/fan-in: 100 numbers squared on 4 workers.
///
/// ```
/// use channels_patterns::fan_out_fan_in;
///
/// let squares = fan_out_fan_in(0..100_u64, 4, |x| x * x)?;
/// assert_eq!(squares.len(), 100);
/// assert_eq!(squares[99], 9801);
/// assert_eq!(squares.iter().sum::<u64>(), 328_350);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fan_out_fan_in<I, F, R>(inputs: I, workers: usize, f: F) -> Result<Vec<R>, FanOutError<R>>
where
    I: IntoIterator,
    I::Item: Send,
    F: Fn(I::Item) -> R + Sync,
    R: Send,
{
    if workers == 0 {
        return Err(FanOutError::ZeroWorkers);
    }
    let inputs: Vec<I::Item> = inputs.into_iter().collect();
    let total = inputs.len();
    let chunk_len = (total / (workers * CHUNKS_PER_WORKER)).max(1);
    let chunks = Mutex::new(into_chunks(inputs, chunk_len));
    let take_chunk = || chunks.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let work = || {
        let mut done = Vec::new();
        while let Some((start, chunk)) = take_chunk() {
            done.push((start, run_chunk(start, chunk, &f)));
        }
        done
    };

    let mut done: Vec<(usize, ChunkOutcome<R>)> = thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers.min(total.div_ceil(chunk_len)))
            .filter_map(|index| {
                thread::Builder::new()
                    .name(format!("fan-out-{index}"))
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            // `run_chunk` catches every panic of `f`.
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|payload| panic::resume_unwind(payload)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(start, _)| *start);
    gather(done, total)
}

/// Cuts `inputs` into `(start index, items)` chunks of `chunk_len`, the
/// first chunk last (so that popping takes them in input order).
fn into_chunks<T>(mut inputs: Vec<T>, chunk_len: usize) -> Vec<(usize, Vec<T>)> {
    let mut chunks = Vec::with_capacity(inputs.len().div_ceil(chunk_len));
    let last_start = inputs.len().saturating_sub(1) / chunk_len * chunk_len;
    for start in (chunk_len..=last_start).rev().step_by(chunk_len) {
        chunks.push((start, inputs.split_off(start)));
    }
    chunks.push((0, inputs));
    chunks
}

/// One chunk's results: the plain results while `f` did not panic (the
/// common case, gathered without re-wrapping), every outcome once it did.
enum ChunkOutcome<R> {
    AllOk(Vec<R>),
    SomePanicked(Vec<Result<R, ItemPanicked>>),
}

fn run_chunk<T, R>(start: usize, chunk: Vec<T>, f: &impl Fn(T) -> R) -> ChunkOutcome<R> {
    let run = |index: usize, item: T| {
        panic::catch_unwind(AssertUnwindSafe(|| f(item)))
            .map_err(|payload| ItemPanicked::new(index, panic_payload::into_message(payload)))
    };
    let mut results = Vec::with_capacity(chunk.len());
    let mut items = chunk.into_iter().enumerate();
    for (offset, item) in items.by_ref() {
        match run(start + offset, item) {
            Ok(result) => results.push(result),
            Err(panicked) => {
                let mut outcomes: Vec<_> = results.into_iter().map(Ok).collect();
                outcomes.push(Err(panicked));
                outcomes.extend(items.map(|(offset, item)| run(start + offset, item)));
                return ChunkOutcome::SomePanicked(outcomes);
            }
        }
    }
    ChunkOutcome::AllOk(results)
}

/// Joins the chunks (sorted by start) into the results in input order.
fn gather<R>(
    chunks: Vec<(usize, ChunkOutcome<R>)>,
    total: usize,
) -> Result<Vec<R>, FanOutError<R>> {
    let any_panicked = chunks
        .iter()
        .any(|(_, outcome)| matches!(outcome, ChunkOutcome::SomePanicked(_)));
    if !any_panicked {
        let mut results = Vec::with_capacity(total);
        for (_, outcome) in chunks {
            if let ChunkOutcome::AllOk(mut part) = outcome {
                results.append(&mut part);
            }
        }
        return Ok(results);
    }
    let mut outcomes = Vec::with_capacity(total);
    for (_, outcome) in chunks {
        match outcome {
            ChunkOutcome::AllOk(part) => outcomes.extend(part.into_iter().map(Ok)),
            ChunkOutcome::SomePanicked(part) => outcomes.extend(part),
        }
    }
    Err(FanOutError::Panicked(outcomes))
}

/// [`fan_out_fan_in`] could not give every result.
///
/// # Examples
///
/// ```
/// use channels_patterns::{fan_out_fan_in, FanOutError};
///
/// assert!(matches!(fan_out_fan_in(0..3, 0, |x: i32| x), Err(FanOutError::ZeroWorkers)));
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
    ZeroWorkers,
    /// `f` panicked on at least one input: every input's outcome, in input
    /// order.
    Panicked(Vec<Result<R, ItemPanicked>>),
}

impl<R> FanOutError<R> {
    /// The inputs on which `f` panicked, in input order (none for
    /// `ZeroWorkers`).
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
            Self::ZeroWorkers => &[],
        };
        outcomes.iter().filter_map(|outcome| outcome.as_ref().err())
    }
}

impl<R> fmt::Debug for FanOutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroWorkers => f.write_str("ZeroWorkers"),
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
            Self::ZeroWorkers => f.write_str("a fan-out needs at least one worker"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_inputs_in_order() {
        for total in [0, 1, 2, 7, 8, 9, 64] {
            for chunk_len in [1, 2, 3, 8, 100] {
                let chunks = into_chunks((0..total).collect(), chunk_len);
                let mut expected_start = 0;
                // Popping takes them in input order: the first chunk is last.
                for (start, items) in chunks.iter().rev() {
                    assert_eq!(*start, expected_start);
                    assert!(items.len() <= chunk_len);
                    assert_eq!(*items, (*start..*start + items.len()).collect::<Vec<_>>());
                    expected_start += items.len();
                }
                assert_eq!(
                    expected_start, total,
                    "total {total}, chunk_len {chunk_len}"
                );
            }
        }
    }
}
