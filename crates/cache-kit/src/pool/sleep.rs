//! How idle workers park and get woken, with no lost wakeup.
//!
//! A worker about to park announces itself (`sleepers += 1`), then looks
//! for work once more; a thread queueing work pushes it, then looks for
//! sleepers. Each side's write and read are separated by a SeqCst fence,
//! so at least one side sees the other (Dekker's pattern): the sleeper sees
//! the work and does not park, or the pusher sees the sleeper and wakes it.
//! The wake takes the mutex the sleeper holds from its last look until it
//! is parked, so it cannot slip in between. Modelled in `tests/loom.rs`.

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, Ordering};

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
    pub fn sleep_unless(&self, has_work: impl FnOnce() -> bool) {
        let guard = self.lock.lock();
        // Relaxed RMW, then the SeqCst fence: the fence orders this count
        // before the loads in `has_work`, pairing with the fence in
        // `notify` between the pusher's push and its load of the count.
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if !has_work() {
            let _guard = self.wake.wait(guard);
        }
        // Relaxed: the count is only read behind the fences above.
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
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
    /// count, read without a fence, shows one. Missing a worker that is
    /// just going to sleep costs only parallelism, never progress: the
    /// pushing worker runs its own deque's jobs itself (`join` pops its
    /// half back, a scope waiter and the worker loop drain the deque), so
    /// no job waits on this wake-up. It saves the SeqCst fence of
    /// [`notify_one`](Self::notify_one) on every `join`.
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
