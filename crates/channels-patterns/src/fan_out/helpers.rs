//! Helper threads that outlive a `fan_out_fan_in` call: started on first
//! need, parked between calls, gone after [`IDLE_EXIT`] without work. A
//! call wakes parked helpers (microseconds) instead of starting threads
//! (tens of microseconds), as rayon's global pool does, and its closure may
//! still borrow from the caller's stack: [`with_helpers`] does not return,
//! nor unwind, before every helper that started the closure has finished
//! it.
//!
//! The protocol, all under two locks (the board's, then a job's):
//!
//! - A call *posts* its job on the board with a number of tickets and
//!   wakes that many parked helpers (starting threads for the tickets no
//!   parked helper can take).
//! - A helper takes a ticket under the board's lock and, still under it,
//!   counts itself in the job's `running`; then it runs the closure with no
//!   lock held, and uncounts itself under the job's lock.
//! - The call, once its own share is done (or while it unwinds), *withdraws*
//!   the job from the board under the board's lock (untaken tickets are
//!   void), then waits under the job's lock until `running` is 0. Every
//!   helper that took a ticket counted itself before the withdrawal, so
//!   none is still inside the closure when the wait ends.
//!
//! The loom models in `tests/loom.rs` check this protocol, through the
//! hidden `model` module below: a board per model execution, helpers that
//! are loom threads, a closure that writes loom cells the caller reads
//! once the call returned.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use atomics_kit::FirstPanic;

use crate::sync::{thread, Condvar, Mutex};

/// How long a helper stays parked without work before its thread exits.
/// Under miri a thread still parked when the test ends is an error, so
/// there helpers leave as soon as the board is empty. (Under loom, whose
/// `wait_timeout` never times out, a parked helper waits until a post
/// wakes it or its model retires the board: see `model`.)
const IDLE_EXIT: Duration = if cfg!(miri) {
    Duration::ZERO
} else {
    Duration::from_secs(1)
};

/// The most helper threads alive at once on the process's board. A call
/// asking for more gets fewer: its caller runs the share of the tickets
/// nobody took.
const MAX_THREADS: usize = 256;

/// Runs `caller` on this thread while up to `helpers` helper threads run
/// `helper` at the same time, and returns `caller`'s result once every
/// helper that started `helper` has returned from it. A panic of `helper`
/// on a helper thread is resumed here, after the wait (the first one, if
/// several panicked). `helper` may borrow: see the module's protocol.
pub(super) fn with_helpers<R>(
    helpers: usize,
    helper: &(dyn Fn() + Sync),
    caller: impl FnOnce() -> R,
) -> R {
    BOARD
        .get_or_init(|| Board::new(MAX_THREADS))
        .with_helpers(helpers, helper, caller)
}

impl Board {
    /// [`with_helpers`] on this board.
    fn with_helpers<R>(
        &'static self,
        helpers: usize,
        helper: &(dyn Fn() + Sync),
        caller: impl FnOnce() -> R,
    ) -> R {
        // SAFETY: only the lifetime is erased. The reference is called only
        // by helpers counted in `job.running` while the job was on the
        // board, and `Posted`'s drop (on return and on unwind alike)
        // withdraws the job and waits for `running` to reach 0 before this
        // frame, and so `helper`'s borrow, can end.
        let work = unsafe {
            std::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(helper)
        };
        let posted = Posted::new(self, work, helpers);
        let result = caller();
        // The first helper's panic is resumed; the others' payloads are
        // dropped first, each `Drop`'s own panic caught.
        let mut panics = FirstPanic::new();
        for payload in posted.finish() {
            panics.keep(payload);
        }
        panics.resume();
        result
    }
}

/// A posted call, as the helpers see it.
struct Job {
    /// The call's closure. See `with_helpers` for why `'static` is sound.
    work: &'static (dyn Fn() + Sync),
    state: Mutex<JobState>,
    finished: Condvar,
}

#[derive(Default)]
struct JobState {
    /// Helpers inside `work` now.
    running: usize,
    /// Payloads of the helpers' panics, for the caller to resume.
    panics: Vec<Box<dyn Any + Send>>,
}

/// The jobs posted and not yet fully taken, and the helper threads.
struct Board {
    state: Mutex<BoardState>,
    posted: Condvar,
    /// The most helper threads alive at once: [`MAX_THREADS`] for the
    /// process's board, fewer in loom models.
    max_threads: usize,
}

#[derive(Default)]
struct BoardState {
    /// Posted jobs with their tickets left, oldest first.
    jobs: VecDeque<(Arc<Job>, usize)>,
    /// Helper threads alive.
    threads: usize,
    /// Helper threads parked on `posted` and not claimed by a post.
    parked: usize,
    /// Wake-ups claimed by posts and not yet taken by a waking helper (as
    /// `queue::wait_set` claims its sleepers: a second post must not count
    /// on a helper the first one already woke).
    claimed: usize,
    /// Set only by a loom model whose calls have all returned, since loom
    /// has no clock to time a helper out: helpers exit instead of parking.
    /// The process's board is never retired.
    retired: bool,
}

static BOARD: OnceLock<Board> = OnceLock::new();

/// A job on the board; dropping it withdraws the job and waits for its
/// helpers, so a caller that unwinds waits too.
struct Posted {
    board: &'static Board,
    job: Arc<Job>,
}

impl Posted {
    fn new(board: &'static Board, work: &'static (dyn Fn() + Sync), tickets: usize) -> Self {
        let job = Arc::new(Job {
            work,
            state: Mutex::new(JobState::default()),
            finished: Condvar::new(),
        });
        let mut state = board.state.lock();
        state.jobs.push_back((Arc::clone(&job), tickets));
        let wake = tickets.min(state.parked);
        state.parked -= wake;
        state.claimed += wake;
        let start = (tickets - wake).min(board.max_threads - state.threads);
        state.threads += start;
        drop(state);
        // The guard exists before anything below may panic (starting a
        // thread allocates): from here on, an unwind withdraws the job.
        let posted = Self { board, job };
        for _ in 0..wake {
            board.posted.notify_one();
        }
        for _ in 0..start {
            let started = thread::Builder::new()
                .name("fan-out-helper".into())
                .stack_size(atomics_kit::user_thread_stack())
                .spawn(move || board.serve());
            if started.is_err() {
                // The call's caller runs the share this thread would have.
                board.state.lock().threads -= 1;
            }
        }
        posted
    }

    /// Withdraws the job, waits for its helpers, and hands back their
    /// panics.
    fn finish(self) -> Vec<Box<dyn Any + Send>> {
        let job = Arc::clone(&self.job);
        drop(self);
        let panics = std::mem::take(&mut job.state.lock().panics);
        panics
    }

    fn withdraw_and_wait(&self) {
        self.board
            .state
            .lock()
            .jobs
            .retain(|(job, _)| !Arc::ptr_eq(job, &self.job));
        let mut state = self.job.state.lock();
        while state.running > 0 {
            state = self.job.finished.wait(state);
        }
    }
}

impl Drop for Posted {
    fn drop(&mut self) {
        // The one withdrawal, whether `finish` drops this or an unwind does.
        self.withdraw_and_wait();
        if thread::panicking() {
            // Unwinding from the caller's own panic: the helpers' payloads
            // are dropped here, each `Drop`'s panic caught (caught inside
            // this `Drop`, it never reaches the unwinder; they used to be
            // leaked). Otherwise `finish` takes them.
            let panics = std::mem::take(&mut self.job.state.lock().panics);
            panics.into_iter().for_each(atomics_kit::drop_panic_payload);
        }
    }
}

impl Board {
    fn new(max_threads: usize) -> Self {
        Self {
            state: Mutex::new(BoardState::default()),
            posted: Condvar::new(),
            max_threads,
        }
    }

    /// A helper thread's life: take tickets while there are any, park
    /// while there are none, exit after [`IDLE_EXIT`] parked.
    fn serve(&self) {
        let mut state = self.state.lock();
        loop {
            if let Some((job, tickets)) = state.jobs.front_mut() {
                let job = Arc::clone(job);
                *tickets -= 1;
                if *tickets == 0 {
                    state.jobs.pop_front();
                }
                // Counted before the board's lock is released, so a
                // withdrawal after it waits for this helper.
                job.state.lock().running += 1;
                drop(state);
                let work = job.work;
                let outcome = panic::catch_unwind(AssertUnwindSafe(work));
                let mut job_state = job.state.lock();
                if let Err(payload) = outcome {
                    job_state.panics.push(payload);
                }
                job_state.running -= 1;
                if job_state.running == 0 {
                    job.finished.notify_all();
                }
                drop(job_state);
                state = self.state.lock();
                continue;
            }
            if IDLE_EXIT.is_zero() || state.retired {
                break;
            }
            state.parked += 1;
            let (woken, timed_out) = self.posted.wait_timeout(state, IDLE_EXIT);
            state = woken;
            if state.claimed > 0 {
                // Woken by a post (or another woken thread took the claim
                // first and this one woke on its own: the count is the same).
                state.claimed -= 1;
            } else {
                state.parked -= 1;
                if timed_out && state.jobs.is_empty() {
                    break;
                }
            }
        }
        state.threads -= 1;
    }
}

/// The board's protocol, exposed for the loom models in `tests/loom.rs`:
/// a board of its own per model execution (the process's board lives in a
/// `static`, which loom's locks cannot), with helpers that are the model's
/// threads.
#[cfg(loom)]
#[doc(hidden)]
pub mod model {
    /// A board for one loom execution. Leaked, as the process's board is
    /// `'static`: its helper threads hold it.
    #[derive(Clone, Copy)]
    pub struct Board(&'static super::Board);

    impl std::fmt::Debug for Board {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Board").finish_non_exhaustive()
        }
    }

    impl Board {
        /// An empty board on which at most `max_threads` helpers live.
        pub fn new(max_threads: usize) -> Self {
            Board(Box::leak(Box::new(super::Board::new(max_threads))))
        }

        /// `fan_out_fan_in`'s `with_helpers`, on this board.
        pub fn with_helpers<R>(
            self,
            helpers: usize,
            helper: &(dyn Fn() + Sync),
            caller: impl FnOnce() -> R,
        ) -> R {
            self.0.with_helpers(helpers, helper, caller)
        }

        /// Makes the helpers exit once the board is empty, instead of
        /// parking: call it after the model's calls have returned, or
        /// loom reports the parked helpers as a deadlock.
        pub fn retire(self) {
            self.0.state.lock().retired = true;
            self.0.posted.notify_all();
        }
    }
}
