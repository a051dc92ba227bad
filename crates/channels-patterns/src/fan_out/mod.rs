//! Fan-out/fan-in: apply a function to every input on N threads.
//!
//! [`fan_out_fan_in`] gathers the results in input order, on scoped
//! threads that may borrow; [`fan_out_stream`] and [`fan_out_bounded`]
//! (`stream.rs`) hand them out as they complete, the latter with at most N
//! inputs in flight. What goes wrong is in `errors.rs`: [`FanOutError`],
//! [`ItemPanicked`].

mod errors;
mod stream;

use std::panic::{self, AssertUnwindSafe};
use std::thread;

use atomics_kit::{panic_message, SizeError};

pub use errors::{FanOutError, ItemPanicked};
pub use stream::{fan_out_bounded, fan_out_stream, FanOutStream};

use crate::sync::Mutex;

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
/// [`FanOutError::InvalidSize`] if `workers` is 0 (more workers than
/// inputs are accepted: one per input is used);
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
    SizeError::nonzero("workers", workers)?;
    let inputs: Vec<I::Item> = inputs.into_iter().collect();
    let total = inputs.len();
    // More workers than inputs would find nothing to do.
    let workers = workers.min(total.max(1));
    let chunk_len = (total / workers.saturating_mul(CHUNKS_PER_WORKER)).max(1);
    let chunks = Mutex::new(into_chunks(inputs, chunk_len));
    let take_chunk = || chunks.lock().pop();
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
            .map_err(|payload| ItemPanicked::new(index, panic_message(payload)))
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
