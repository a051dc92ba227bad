//! Fan-out/fan-in: apply a function to every input on N threads.
//!
//! [`fan_out_fan_in`] gathers the results in input order, on helper
//! threads kept between calls (`helpers.rs`) whose closure may borrow,
//! sharing the inputs and writing the results in place (`shared_run.rs`);
//! [`fan_out_stream`] and [`fan_out_bounded`] (`stream.rs`) hand them out
//! as they complete, the latter with at most N inputs in flight. What goes
//! wrong is in `errors.rs`: [`FanOutError`], [`ItemPanicked`].

mod errors;
#[allow(unsafe_code)]
mod helpers;
#[allow(unsafe_code)]
mod shared_run;
mod stream;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atomics_kit::{drop_caught, panic_message, try_drop, SizeError};

pub use errors::{FanOutError, ItemPanicked};
#[cfg(loom)]
#[doc(hidden)]
pub use helpers::model as helpers_model;
pub(crate) use stream::MAX_IN_FLIGHT;
pub use stream::{fan_out_bounded, fan_out_stream, FanOutStream};

use shared_run::SharedRun;

use crate::sync::Mutex;

/// How many chunks each worker's share of the inputs is cut into at
/// least: enough that a worker finishing early finds more to take when
/// items differ in cost, few enough that taking one (an atomic add) is
/// rare next to running it.
const CHUNKS_PER_WORKER: usize = 8;

/// The most work a chunk holds, in nanoseconds at the probed cost of an
/// item: items that cost more are taken in smaller chunks, down to one
/// item each, so that slow items clustered together (the last 32 of 1,000
/// at 20 ms each) spread over the threads instead of falling into one
/// thread's chunk; taking a chunk (an atomic add, tens of nanoseconds) is
/// still rare next to 10 µs of work.
const MAX_CHUNK_NS: u64 = 10_000;

/// What starting helpers costs, as the adaptive start reckons it, in
/// nanoseconds: the time from the caller posting its work to the last
/// helper running it (waking a parked helper, or starting a thread), a
/// running average of what the calls that used helpers measured (µs to
/// tens of µs on an idle VM, more on a loaded one),
/// within [`SPAWN_COST_RANGE`]. A helper is started only when it would get
/// at least twice this much work.
///
/// A std atomic, not the `sync` shim's: it is a hint that publishes
/// nothing, and no protocol depends on its value.
static SPAWN_COST_NS: AtomicU64 = AtomicU64::new(50_000);

/// The least and the most [`SPAWN_COST_NS`] may say, in nanoseconds: one
/// slow start on a loaded machine must not rule helpers out for long.
const SPAWN_COST_RANGE: (u64, u64) = (10_000, 1_000_000);

fn spawn_cost_ns() -> u64 {
    // Relaxed: a hint; nothing is read through it.
    SPAWN_COST_NS.load(Ordering::Relaxed)
}

/// Folds one measured start (from the first `spawn` to the last helper
/// running) into [`SPAWN_COST_NS`].
fn record_spawn_cost(sample: Duration) {
    let (least, most) = SPAWN_COST_RANGE;
    let sample = nanos(sample).clamp(least, most);
    let average = (3 * spawn_cost_ns() + sample) / 4;
    // Relaxed: a hint; two calls racing lose one sample, which is fine.
    SPAWN_COST_NS.store(average.clamp(least, most), Ordering::Relaxed);
}

/// The least an item must cost, in nanoseconds, for helpers to pay off
/// at all, whatever the number of items: sharing the work moves every
/// input once more than a sequential run does (the inputs left are
/// collected into a buffer, freshly allocated, whose pages the kernel
/// zeroes on first touch, then read back by the thread that runs them;
/// results are written in place either way), about a nanosecond per 8
/// bytes plus one, and two threads only win if an item's work is at least
/// twice that. Below it (a trivial map of numbers, about 1 ns an item) the
/// caller runs everything: measured, 100k such items (a little over a
/// nanosecond each) shared by 2 threads took 1.6-4.3× as long as the
/// caller alone, most of it in page faults.
fn min_shared_item_ns<T>() -> u64 {
    2 * (1 + u64::try_from(std::mem::size_of::<T>() / 8).unwrap_or(u64::MAX))
}

/// Whether an item or a result is a 32nd or more of a helper's stack
/// (std's default for spawned threads, 2 MiB or `RUST_MIN_STACK`, at
/// least 64 KiB: `atomics_kit::user_thread_stack`; the
/// workspace's line, `atomics_kit::STACK_PER_VALUE`): they travel
/// through a helper's stack a few copies deep, and a break run's pool with
/// 64 GiB jobs overflowed its worker's before any job ran (the process
/// aborted). Such a fan-out runs on the calling thread alone, whose stack
/// its caller chose.
fn too_large_for_helpers<T, R>() -> bool {
    /// Under this, no stack std would start a thread with is too small
    /// (`RUST_MIN_STACK` is not read for every call).
    const ALWAYS_FITS: usize = 2 << 10;
    let largest = std::mem::size_of::<T>().max(std::mem::size_of::<R>());
    largest > ALWAYS_FITS
        && atomics_kit::too_large_for_stack::<T, R>(atomics_kit::user_thread_stack()).is_some()
}

/// How long the calling thread runs items alone before an estimate of an
/// item's cost is trusted for starting helpers: long beside a clock read
/// (tens of ns), short beside a thread start ([`SPAWN_COST_NS`]).
const MIN_PROBE: Duration = Duration::from_micros(4);

/// Applies `f` to every input on up to `workers` threads and returns the
/// results in input order.
///
/// The calling thread is one of the workers, and it starts alone: it runs
/// the first inputs itself and times them. Helper threads join in only
/// once that shows the work left outweighs waking them; then the inputs
/// left are cut into chunks that the workers take in turn, so uneven items
/// balance out (a chunk holds about 10 µs of work at the first items'
/// cost, at most an eighth of a thread's share). `workers` is thus an
/// upper bound: trivial or few inputs run on the calling thread alone,
/// about as fast as a sequential `map`, and a helper joins only when its
/// share of the work left is worth it. If the operating system refuses to
/// start a thread, the others (at least the caller) do its share.
///
/// The decision rests on the items the caller times first, in batches that
/// grow fast once the items look cheap (so a trivial map pays only a few
/// clock reads). Slow items that come after many cheap ones can fall in a
/// batch the caller runs alone, or after it decided to run the rest alone,
/// and then run one after another: a break run's 100 trivial items followed
/// by 200 of 5 ms took 1.0 s on 8 workers where 0.13 s was possible (a few
/// heavy items first, or one trivial one, do get helpers). Put costly items
/// first, or use [`fan_out_stream`], whose workers
/// all start at once.
///
/// The helpers are threads (named `fan-out-helper`) kept for the process,
/// parked between calls, as rayon's global pool: a call wakes them in
/// microseconds instead of starting threads. `f` and the inputs may still
/// borrow from the caller: the call returns (or unwinds) only after every
/// helper that took part has finished with them. A helper parked for a
/// second without work exits, so a process that stops fanning out keeps no
/// thread. Calls from several threads at once, and calls nested inside
/// `f`, share the helpers; a helper busy with one call is never waited for
/// by another (its share falls to that call's own threads). At most 256
/// helpers are alive at once (`workers` beyond the cores only helps items
/// that block). Helpers have the default stack of spawned threads (2 MiB,
/// or `RUST_MIN_STACK`, at least 64 KiB: with less, a panicking `f`
/// overflowed it while unwinding): an `f` that needs more stack than that overflows
/// it on a helper (the process aborts, as for any thread); run such an `f`
/// with `workers = 1` on a thread with a larger stack, or set
/// `RUST_MIN_STACK`. Inputs or results of a 32nd of that stack (64 KiB)
/// or more are mapped on the calling thread alone, whatever `workers`
/// says: they pass through a thread's stack a few copies deep.
///
/// The inputs are pulled on the calling thread (the input iterator need
/// not be `Send`); the ones left when helpers start are collected first. A
/// panic in the input iterator itself (its `next`, or its `Drop` once it
/// is done) is not an item's panic: it unwinds out of this call, once the
/// inputs and results the call holds are dropped (each once; a `Drop` that
/// panics then is caught, where a second panic during the unwind would
/// abort the process), and the inputs not yet run never run. So does a
/// panic of `f`'s own `Drop` (a capture's), after every input ran; `f` is
/// dropped before any of these panics unwinds out of the call. The lower bound of
/// the iterator's `size_hint` sizes the output up front, as `collect`
/// does: an iterator that claims more items than can be allocated makes
/// the call panic ("capacity overflow") or the process abort (an
/// allocation the system refuses), as `Vec::extend` would.
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
/// inputs are accepted: at most one per input is used);
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
    if let Err(refusal) = SizeError::nonzero("workers", workers) {
        // User code, both: a panic in either `Drop` must not replace the
        // typed error (with both, a second panic while unwinding aborted).
        drop_caught(inputs);
        drop_caught(f);
        return Err(refusal.into());
    }
    let mapped = panic::catch_unwind(AssertUnwindSafe(|| {
        map_in_order(inputs.into_iter(), workers, &f)
    }));
    // `f` is user code whose captures' `Drop` may panic: dropped before
    // the results are returned (a panic while the return value is built
    // would leak it, rust-lang/rust#47949) and before an input's panic is
    // resumed (a second panic while unwinding aborts the process).
    let f_dropped = try_drop(f);
    match (mapped, f_dropped) {
        (Ok(out), Ok(())) => out.finish(),
        (Ok(out), Err(payload)) => {
            resume_after_dropping(payload, std::iter::empty::<I::Item>(), Vec::new(), out)
        }
        (Err(payload), f_dropped) => {
            if let Err(second) = f_dropped {
                atomics_kit::drop_panic_payload(second);
            }
            panic::resume_unwind(payload)
        }
    }
}

/// [`fan_out_fan_in`]'s work: every input's outcome, in order. Every path
/// drops `inputs` (user code: its `Drop` may panic) before it returns the
/// outcomes; a panic of the inputs unwinds once the inputs and outcomes
/// held are dropped ([`resume_after_dropping`]).
fn map_in_order<I, F, R>(mut inputs: I, workers: usize, f: &F) -> Outcomes<R>
where
    I: Iterator,
    I::Item: Send,
    F: Fn(I::Item) -> R + Sync,
    R: Send,
{
    let mut out = Outcomes::with_capacity(inputs.size_hint().0);
    // One input, or one worker: nothing to share, nothing to time. Items or
    // results too large for a helper's stack stay on the caller's.
    if workers == 1
        || inputs.size_hint().1.is_some_and(|most| most <= 1)
        || too_large_for_helpers::<I::Item, R>()
    {
        if let Err(payload) = run_items(inputs, f, &mut out) {
            resume_after_dropping(payload, std::iter::empty::<I::Item>(), Vec::new(), out);
        }
        return out;
    }
    let split = match probe(&mut inputs, workers, f, &mut out) {
        Probed::Ended => {
            if let Err(payload) = try_drop(inputs) {
                resume_after_dropping(payload, std::iter::empty::<I::Item>(), Vec::new(), out);
            }
            return out;
        }
        Probed::InputPanicked(payload) => resume_after_dropping(payload, inputs, Vec::new(), out),
        Probed::Small => {
            // By value: the rest's loop keeps the iterator in registers.
            if let Err(payload) = run_items(inputs, f, &mut out) {
                resume_after_dropping(payload, std::iter::empty::<I::Item>(), Vec::new(), out);
            }
            return out;
        }
        Probed::Large(split) => split,
    };
    let mut rest: Vec<I::Item> = Vec::with_capacity(inputs.size_hint().0);
    // `extend` keeps the inputs collected so far if `inputs` panics.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| rest.extend(&mut inputs))) {
        resume_after_dropping(payload, inputs, rest, out);
    }
    if let Err(payload) = try_drop(inputs) {
        resume_after_dropping(payload, std::iter::empty::<I::Item>(), rest, out);
    }
    let helpers = split.helpers(rest.len());
    if helpers == 0 {
        // A vector's iterator does not panic.
        let _ = run_items(rest, f, &mut out);
        return out;
    }
    share(rest, helpers, split.per_item_ns, f, &mut out);
    out
}

/// Runs `rest`, whose items were probed at `per_item_ns` each, on the
/// calling thread and `helpers` helper threads, the outcomes joining `out`
/// in input order. Out of line: the call's common paths (one thread, a
/// small input) stay small.
#[inline(never)]
fn share<T: Send, R: Send>(
    rest: Vec<T>,
    helpers: usize,
    per_item_ns: u64,
    f: &(impl Fn(T) -> R + Sync),
    out: &mut Outcomes<R>,
) {
    let threads = helpers + 1;
    let by_count = rest.len() / threads.saturating_mul(CHUNKS_PER_WORKER);
    let by_time = usize::try_from(MAX_CHUNK_NS / per_item_ns.max(1)).unwrap_or(usize::MAX);
    let chunk_len = by_count.min(by_time).max(1);
    // The results go straight into `out` while no item has panicked (the
    // common case), into a vector of their own otherwise.
    let mut results_apart = Vec::new();
    let first = out.len();
    let output = match &mut *out {
        Outcomes::AllOk(results) => results,
        Outcomes::SomePanicked(_) => &mut results_apart,
    };
    let run = SharedRun::new(rest, output, first, chunk_len);
    let last_running: Mutex<Option<Instant>> = Mutex::new(None);
    let helper = || {
        let running = Instant::now();
        run.run_chunks(f);
        let mut last = last_running.lock();
        *last = (*last).max(Some(running));
    };
    let posted = Instant::now();
    helpers::with_helpers(helpers, &helper, || run.run_chunks(f));
    if let Some(running) = last_running.into_inner() {
        record_spawn_cost(running.saturating_duration_since(posted));
    }
    let shared = run.finish();
    out.append(Outcomes::AllOk(results_apart));
    if let Err(outcomes) = shared {
        out.append(Outcomes::SomePanicked(outcomes));
    }
}

/// What the calling thread learned running the first inputs alone: how long
/// one took, and how many helpers the call may start.
struct Split {
    per_item_ns: u64,
    max_helpers: usize,
}

impl Split {
    /// How many helpers are worth starting for `left` more inputs: each
    /// thread's share of the work left must be at least twice a thread
    /// start ([`SPAWN_COST_NS`]).
    fn helpers(&self, left: usize) -> usize {
        let left = u64::try_from(left).unwrap_or(u64::MAX);
        let work = self.per_item_ns.saturating_mul(left);
        let threads = work / (2 * spawn_cost_ns());
        let helpers = usize::try_from(threads).unwrap_or(usize::MAX);
        helpers.saturating_sub(1).min(self.max_helpers).min(
            usize::try_from(left)
                .unwrap_or(usize::MAX)
                .saturating_sub(1),
        )
    }
}

/// `time` in nanoseconds (saturating: 584 years).
fn nanos(time: Duration) -> u64 {
    u64::try_from(time.as_nanos()).unwrap_or(u64::MAX)
}

/// What [`probe`] found.
enum Probed {
    /// The inputs ended: every outcome is in `out`.
    Ended,
    /// The input iterator panicked, with this payload.
    InputPanicked(Box<dyn std::any::Any + Send>),
    /// The work left looks too small for a helper, at every item's cost
    /// so far, and the next batch would cover all of it: the caller runs
    /// the rest.
    Small,
    /// An item's cost is known and the work left may be worth helpers:
    /// the caller collects the rest and decides with its exact length.
    Large(Split),
}

/// Runs the first inputs on the calling thread, in batches, reading the
/// clock after each, until the inputs end, or the time spent makes an
/// item's cost trustworthy and the work left may be worth helpers, or the
/// work left looks too small and the next batch takes all of it.
///
/// A small-looking input is not trusted at once: its first items may be
/// the cheap ones (one trivial input before 32 of 20 ms each ran all on
/// the caller, 645 ms where 8 threads take 84). So the caller goes on
/// timing while the input looks small or its items too cheap to share:
/// one batch 4× the last, then batches 16× (a batch runs on a borrowed
/// iterator, slower for trivial items than the by-value run of the rest,
/// so few and soon-large batches), until one would take all the rest.
/// While an estimate forms, batches double.
///
/// What this does not catch, by design: slow items that first appear in
/// the batch that takes all the rest (5 trivial items, then 32 of 20 ms,
/// run all on the caller: the batch after those 5 covers the input), and
/// items that grow slower after the decision (an 8 µs first item, then
/// 20 ms ones, get the helpers 8 µs items are worth). Either would need a
/// clock read inside the final run, which a trivial map (a nanosecond an
/// item) would pay for on every call.
fn probe<T, R>(
    inputs: &mut impl Iterator<Item = T>,
    workers: usize,
    f: &impl Fn(T) -> R,
    out: &mut Outcomes<R>,
) -> Probed {
    let started = Instant::now();
    let spawn = spawn_cost_ns();
    let mut batch = 1;
    let mut settled_batches = 0;
    loop {
        let before = out.len();
        if let Err(payload) = run_items(inputs.by_ref().take(batch), f, out) {
            return Probed::InputPanicked(payload);
        }
        if out.len() - before < batch {
            return Probed::Ended;
        }
        let elapsed = nanos(started.elapsed());
        let ran = u64::try_from(out.len()).unwrap_or(u64::MAX);
        // Two threads need the work left to be at least four thread
        // starts (see `Split::helpers`); multiplied out, no division.
        let too_small = |left: usize| {
            let left = u64::try_from(left).unwrap_or(u64::MAX);
            elapsed.saturating_mul(left) < spawn.saturating_mul(4).saturating_mul(ran)
        };
        let (least_left, most_left) = inputs.size_hint();
        let per_item_ns = elapsed / ran.max(1);
        let too_cheap = per_item_ns < min_shared_item_ns::<T>();
        // An item's cost is over-estimated at first (a clock read, a cold
        // cache): enough to hold helpers back, not to start them.
        let looks_small = most_left.is_some_and(too_small);
        if !looks_small
            && !too_cheap
            && elapsed >= nanos(MIN_PROBE)
            && (!too_small(least_left) || elapsed >= 2 * spawn)
        {
            // Worth helpers, or an input of unknown length that has already
            // taken long: the exact length decides.
            return Probed::Large(Split {
                per_item_ns,
                max_helpers: workers - 1,
            });
        }
        let settled = looks_small || (too_cheap && elapsed >= nanos(MIN_PROBE));
        let growth = match (settled, settled_batches) {
            (false, _) => 2,
            (true, 0) => 4,
            (true, _) => 16,
        };
        settled_batches += usize::from(settled);
        batch = batch.saturating_mul(growth);
        if settled && most_left.is_some_and(|most| most <= batch) {
            // By value, in the caller: its loop keeps the iterator in
            // registers.
            return Probed::Small;
        }
    }
}

/// Every outcome gathered so far, from some index on: the plain results
/// while `f` did not panic (the common case, gathered without re-wrapping),
/// every outcome once it did.
enum Outcomes<R> {
    AllOk(Vec<R>),
    SomePanicked(Vec<Result<R, ItemPanicked>>),
}

impl<R> Outcomes<R> {
    fn with_capacity(capacity: usize) -> Self {
        Self::AllOk(Vec::with_capacity(capacity))
    }

    fn len(&self) -> usize {
        match self {
            Self::AllOk(results) => results.len(),
            Self::SomePanicked(outcomes) => outcomes.len(),
        }
    }

    /// Every outcome, the results now wrapped.
    fn outcomes(&mut self) -> &mut Vec<Result<R, ItemPanicked>> {
        if let Self::AllOk(results) = self {
            let outcomes = std::mem::take(results).into_iter().map(Ok).collect();
            *self = Self::SomePanicked(outcomes);
        }
        match self {
            Self::SomePanicked(outcomes) => outcomes,
            Self::AllOk(_) => unreachable!("just wrapped"),
        }
    }

    fn push_panicked(&mut self, panicked: ItemPanicked) {
        self.outcomes().push(Err(panicked));
    }

    /// Appends `later`, the outcomes that follow these.
    fn append(&mut self, later: Self) {
        match (self, later) {
            (Self::AllOk(results), Self::AllOk(mut more)) => results.append(&mut more),
            (this, Self::AllOk(more)) => this.outcomes().extend(more.into_iter().map(Ok)),
            (this, Self::SomePanicked(mut more)) => this.outcomes().append(&mut more),
        }
    }

    fn finish(self) -> Result<Vec<R>, FanOutError<R>> {
        match self {
            Self::AllOk(results) => Ok(results),
            Self::SomePanicked(outcomes) => Err(FanOutError::Panicked(outcomes)),
        }
    }
}

/// Set while `f` unwinds: the guard is forgotten once `f` returns, so the
/// common path pays nothing for it.
struct Unwinding<'a>(&'a mut bool);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        *self.0 = true;
    }
}

/// Runs `f` on every item left in `items`, appending the outcomes to `out`,
/// whose length is the next item's index.
///
/// One `catch_unwind` covers a whole run of items, not each item: after a
/// panic in `f`, the item that panicked is the one after the last outcome,
/// and the run goes on with the next. A panic in `items` itself is the
/// caller's: the items it has not yielded are dropped (see
/// [`drop_caught`]), and its payload is returned, for the caller to
/// resume with [`resume_after_dropping`]; so is the panic of `items`'
/// `Drop`, once it is done.
fn run_items<T, R>(
    items: impl IntoIterator<Item = T>,
    f: &impl Fn(T) -> R,
    out: &mut Outcomes<R>,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    // Owned here, not borrowed from the caller, so that the loop may keep
    // its state in registers.
    let mut items = items.into_iter();
    loop {
        let mut f_panicked = false;
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            // `extend` keeps the length in a register for the iterators
            // that know theirs (ranges, vectors, slices), and writes it
            // back if `f` unwinds.
            let mut run = items.by_ref().map(|item| {
                let unwinding = Unwinding(&mut f_panicked);
                let result = f(item);
                std::mem::forget(unwinding);
                result
            });
            match &mut *out {
                Outcomes::AllOk(results) => results.extend(&mut run),
                Outcomes::SomePanicked(outcomes) => outcomes.extend(run.map(Ok)),
            }
        }));
        match caught {
            // `items` is user code too: its `Drop` may panic.
            Ok(()) => return try_drop(items),
            // Not `f`: `items` (or a failed allocation) panicked.
            Err(payload) if !f_panicked => {
                drop_caught(items);
                return Err(payload);
            }
            Err(payload) => {
                let index = out.len();
                out.push_panicked(ItemPanicked::new(index, panic_message(payload)));
            }
        }
    }
}

/// Re-raises `payload`, a panic of the input iterator, after dropping
/// what the call still holds: the iterator (with the inputs it has not
/// yielded), the inputs collected but not run, and the outcomes so far.
/// Dropped while `payload` unwinds, an input or result whose `Drop`
/// panics would abort the process; dropped here, such a panic is caught
/// and its payload dropped, and every other value is still dropped once.
/// (Inputs left inside the iterator are dropped by its own `Drop`: if two
/// of those panic, the second aborts, as it would anywhere.)
#[cold]
#[inline(never)]
fn resume_after_dropping<R, T>(
    payload: Box<dyn std::any::Any + Send>,
    inputs: impl Iterator<Item = T>,
    collected: Vec<T>,
    so_far: Outcomes<R>,
) -> ! {
    drop_caught(inputs);
    collected.into_iter().for_each(drop_caught);
    match so_far {
        Outcomes::AllOk(results) => results.into_iter().for_each(drop_caught),
        Outcomes::SomePanicked(outcomes) => outcomes.into_iter().for_each(drop_caught),
    }
    panic::resume_unwind(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spawn_cost_estimate_stays_in_its_range_and_rations_helpers() {
        let (least, most) = SPAWN_COST_RANGE;
        for _ in 0..64 {
            record_spawn_cost(Duration::from_secs(3600));
        }
        assert!((most - 4..=most).contains(&spawn_cost_ns()));
        for _ in 0..64 {
            record_spawn_cost(Duration::ZERO);
        }
        assert!((least..=least + 4).contains(&spawn_cost_ns()));
        // Relaxed: only this test's thread uses the estimate.
        SPAWN_COST_NS.store(10_000, Ordering::Relaxed);
        // 10 µs per start: each thread's share must be at least 20 µs.
        let split = Split {
            per_item_ns: 1_000,
            max_helpers: 3,
        };
        assert_eq!(split.helpers(39), 0, "39 µs: one thread");
        assert_eq!(split.helpers(40), 1, "40 µs: two threads of 20");
        assert_eq!(split.helpers(1_000_000), 3, "at most `workers - 1`");
        let huge = Split {
            per_item_ns: u64::MAX,
            max_helpers: usize::MAX,
        };
        assert_eq!(huge.helpers(3), 2, "at most one thread per input");
        assert_eq!(huge.helpers(1), 0);
    }
}
