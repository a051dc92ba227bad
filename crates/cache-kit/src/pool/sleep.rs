//! How idle workers park and get woken, with no lost wakeup.
//!
//! A worker about to park announces itself (`sleepers += 1`), then looks
//! for work once more; a thread queueing work pushes it, then looks for
//! sleepers. Each side's write and read are separated by a SeqCst fence,
//! so at least one side sees the other (Dekker's pattern): the sleeper sees
//! the work and does not park, or the pusher sees the sleeper and wakes it.
//! The wake takes the mutex the sleeper holds from its last look until it
//! is parked, so it cannot slip in between. Modelled in `tests/loom.rs`.
//! A push onto the pusher's own deque skips the fence (it is on every
//! `join`); a sleeper it misses looks again after `LOCAL_PUSH_SETTLE`.
//!
//! A worker waiting in `join` or `scope` for work running on another
//! thread sleeps here too ([`Sleep::sleep_until_set`]): as a sleeper, so
//! that new work wakes it, and marked on its [`Latch`], so that the
//! completion of the awaited work wakes it (see `latch.rs`).

use std::time::Duration;

use crate::pool::latch::Latch;
use crate::sync::{fence, AtomicUsize, Backoff, Condvar, Mutex, MutexGuard, Ordering};

/// How long a worker that just parked waits before it looks for work once
/// more: a job pushed onto another worker's own deque as this one parked
/// may have missed it (see [`Sleep::notify_one_for_local_job`]), and is
/// long visible by then. Once per parking: a millisecond's wake costs
/// microseconds of CPU.
const LOCAL_PUSH_SETTLE: Duration = Duration::from_millis(1);

/// The parking lot of one pool's workers.
pub struct Sleep {
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Sleep {
    /// No one asleep.
    pub fn new() -> Self {
        Self {
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Parks the calling worker unless `has_work()` (checked after it is
    /// counted as a sleeper) says there is something to do. Returns when
    /// woken (or spuriously): the caller looks for work again.
    pub fn sleep_unless(&self, has_work: impl Fn() -> bool) {
        let guard = self.lock.lock();
        // Relaxed RMW, then the SeqCst fence: the fence orders this count
        // before the loads in `has_work`, pairing with the fence in
        // `notify` between the pusher's push and its load of the count.
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if !has_work() {
            let _guard = self.park(guard, &has_work);
        }
        // Relaxed: the count is only read behind the fences above.
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Waits on the condition variable (`guard` is the lock's): for at
    /// most [`LOCAL_PUSH_SETTLE`] first, then, unless `ready()` says what
    /// the thread waits for came meanwhile (a job; a latch set), until
    /// woken. A wake-up that lands between the two waits is heard by
    /// nobody: `ready` must see whatever such a wake-up announced.
    fn park<'a>(&self, guard: MutexGuard<'a, ()>, ready: &impl Fn() -> bool) -> MutexGuard<'a, ()> {
        let (guard, timed_out) = self.wake.wait_timeout(guard, LOCAL_PUSH_SETTLE);
        if !timed_out || ready() {
            return guard;
        }
        self.wake.wait(guard)
    }

    /// Parks a worker that waits for `latch` unless the latch is set or
    /// `has_work()` (checked after it is counted as a sleeper) says there
    /// is something to do. Returns when woken (by new work, by the latch's
    /// setter, or spuriously): the caller checks the latch and looks for
    /// work again. Returns whether it parked.
    pub fn sleep_until_set(&self, latch: &Latch, has_work: impl Fn() -> bool) -> bool {
        let guard = self.lock.lock();
        // Relaxed RMW, then the SeqCst fence: as in `sleep_unless`, for
        // the wake-ups by new work.
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        // The latch needs no fence: its mark and its `set` are RMWs of one
        // atomic, and the lock held from the mark to the wait orders the
        // setter's wake-up after the wait began (see `latch.rs`).
        let sleeps = !has_work() && latch.try_sleep();
        if sleeps {
            // The latch is checked again, with the work, before `park`'s
            // second wait: its setter's `notify_all` (made after it took
            // and released the lock) may land between the first wait's
            // timeout and the second wait, where nobody waits to hear it;
            // then the setter's swap is visible here (CI's ThreadSanitizer
            // run hung a thread of another pool on a scope that had ended).
            let _guard = self.park(guard, &|| has_work() || latch.is_set());
            latch.woke_up();
        }
        // Relaxed: the count is only read behind the fences above.
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
        sleeps
    }

    /// The wait of a pool thread in `join` or `scope`: until `latch` is
    /// set, runs jobs (`run_job` finds and runs one, false when there was
    /// none); without any, searches `search_rounds` rounds with a backoff,
    /// then sleeps ([`sleep_until_set`](Self::sleep_until_set)) until new
    /// work or the latch's setter wakes it. `has_work` says whether the
    /// pool holds queued jobs.
    pub fn wait_for_latch(
        &self,
        latch: &Latch,
        search_rounds: usize,
        mut run_job: impl FnMut() -> bool,
        has_work: impl Fn() -> bool,
    ) {
        let mut slept = false;
        'wait: while !latch.is_set() {
            if run_job() {
                continue;
            }
            let backoff = Backoff::new();
            for _ in 0..search_rounds {
                backoff.snooze();
                if latch.is_set() {
                    break 'wait;
                }
                if run_job() {
                    continue 'wait;
                }
            }
            slept |= self.sleep_until_set(latch, &has_work);
        }
        if slept && has_work() {
            // A wake-up this thread got may have been new work's
            // `notify_one`, meant for any sleeper: it returns to its
            // caller instead of running that work, so it passes the
            // wake-up on (loom found the job left queued with every
            // other thread asleep without this).
            self.notify_one();
        }
    }

    /// Wakes a worker parked in [`sleep_until_set`](Self::sleep_until_set)
    /// on a latch whose [`set`](Latch::set) said it was asleep. Every
    /// sleeper shares one condition variable, so all wake: the others find
    /// nothing and park again. It happens only when a waiter ran out of
    /// work and slept, not on every completed `join`.
    pub fn wake_latch_waiter(&self) {
        // The waiter marked the latch holding the lock and holds it until
        // it waits: taking it here means the wait has begun.
        drop(self.lock.lock());
        self.wake.notify_all();
    }

    /// Call after queueing work: wakes one sleeper, if any.
    pub fn notify_one(&self) {
        // SeqCst: pairs with the fence in `sleep_unless` (see there).
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence.
        if self.sleepers.load(Ordering::Relaxed) > 0 {
            drop(self.lock.lock());
            self.wake.notify_one();
        }
    }

    /// After a worker pushed onto its *own* deque: wakes one sleeper if the
    /// count, read without a fence, shows one. It saves the SeqCst fence of
    /// [`notify_one`](Self::notify_one) on every `join` (with it, fib
    /// through `join` ran at 0.61-0.65x rayon instead of 0.83-0.89x).
    /// Missing a worker that is just going to sleep is not left to the
    /// pushing worker, which runs its own deque's jobs only once its
    /// current task returns (a task blocking on the job it queued, a
    /// channel `recv` on what it sends, would wait forever: a break run
    /// saw it in a few of 150,000 rounds): a worker that parked looks for
    /// work again after [`LOCAL_PUSH_SETTLE`], when the push is visible.
    #[inline]
    pub fn notify_one_for_local_job(&self) {
        // Relaxed: a hint (see above); the fenced `notify_one` serves the
        // jobs whose progress depends on a wake-up.
        if self.sleepers.load(Ordering::Relaxed) > 0 {
            drop(self.lock.lock());
            self.wake.notify_one();
        }
    }

    /// Wakes every sleeper (shutdown; many jobs at once).
    pub fn notify_all(&self) {
        // SeqCst: as in `notify_one`.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence.
        if self.sleepers.load(Ordering::Relaxed) > 0 {
            drop(self.lock.lock());
            self.wake.notify_all();
        }
    }
}

impl Default for Sleep {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            // Relaxed: a snapshot for display.
            .field("sleepers", &self.sleepers.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
