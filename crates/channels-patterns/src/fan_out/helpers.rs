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

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use crate::sync::{Condvar, Mutex};

/// How long a helper stays parked without work before its thread exits.
/// Under miri a thread still parked when the test ends is an error, so
/// there helpers leave as soon as the board is empty.
const IDLE_EXIT: Duration = if cfg!(miri) {
    Duration::ZERO
} else {
    Duration::from_secs(1)
};

/// The most helper threads alive at once. A call asking for more gets
/// fewer: its caller runs the share of the tickets nobody took.
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
    let board = BOARD.get_or_init(Board::default);
    // SAFETY: only the lifetime is erased. The reference is called only by
    // helpers counted in `job.running` while the job was on the board, and
    // `Posted`'s drop (on return and on unwind alike) withdraws the job and
    // waits for `running` to reach 0 before this frame, and so `helper`'s
    // borrow, can end.
    let work =
        unsafe { std::mem::transmute::<&(dyn Fn() + Sync), &'static (dyn Fn() + Sync)>(helper) };
    let posted = Posted::new(board, work, helpers);
    let result = caller();
    let mut panics = posted.finish().into_iter();
    if let Some(first) = panics.next() {
        // The others are leaked, not dropped: a payload's `Drop` may panic,
        // and this thread is about to unwind.
        panics.for_each(std::mem::forget);
        panic::resume_unwind(first);
    }
    result
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
#[derive(Default)]
struct Board {
    state: Mutex<BoardState>,
    posted: Condvar,
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
        let start = (tickets - wake).min(MAX_THREADS - state.threads);
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
            // are leaked, not dropped (a payload's `Drop` may panic, which
            // would abort now). Otherwise `finish` takes them.
            std::mem::take(&mut self.job.state.lock().panics)
                .into_iter()
                .for_each(std::mem::forget);
        }
    }
}

impl Board {
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
            if IDLE_EXIT.is_zero() {
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
