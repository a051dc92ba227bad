//! How a logging thread in [`Overflow::Block`](super::Overflow::Block)
//! mode waits for room in a full buffer, and how the writer wakes it, with
//! no lost wake-up and no cost to logging threads that do not wait.
//!
//! A logging thread about to wait announces itself (`waiters += 1`), then
//! tries its push once more; the writer pops, then looks for waiters. Each
//! side's write and read are separated by a SeqCst fence, so at least one
//! side sees the other (Dekker's pattern): the waiter's push finds the
//! room, or the writer sees the waiter and wakes it. The wake takes the
//! mutex the waiter holds from its announcement until it waits, so it
//! cannot slip in between. While nobody waits, the writer's check is a
//! fence and a load, and a logging thread whose push succeeds never
//! touches any of this. Modelled in `tests/loom.rs`.

use crate::sync::{fence, AtomicUsize, Condvar, Mutex, Ordering};

/// Where Block-mode logging threads wait for the writer to free room.
#[derive(Debug)]
pub struct Room {
    waiters: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
}

impl Default for Room {
    fn default() -> Self {
        Self::new()
    }
}

impl Room {
    /// Nobody waiting.
    pub fn new() -> Self {
        Self {
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
        }
    }

    /// The logging thread's side: runs `try_push` once this thread counts
    /// as a waiter, and unless it succeeded (returned true), waits until
    /// the writer frees room (or spuriously). Returns what `try_push`
    /// returned; the caller tries again after a wait. `try_push` runs
    /// under the room's lock: it must not run user code.
    pub fn wait_unless(&self, try_push: impl FnOnce() -> bool) -> bool {
        let guard = self.lock.lock();
        // Relaxed RMW, then the SeqCst fence: the fence orders this count
        // before the queue's loads in `try_push`, pairing with the fence
        // in `notify` between the writer's pops and its load of the count.
        self.waiters.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let pushed = try_push();
        if !pushed {
            let _guard = self.freed.wait(guard);
        }
        // Relaxed: the count is only read behind the fences.
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        pushed
    }

    /// The writer's side, after it popped records: wakes every waiting
    /// logging thread, if there are any (a fence and a load when none
    /// waits).
    pub fn notify(&self) {
        // SeqCst fence: orders the writer's pops before the load of the
        // count (see `wait_unless`).
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fences.
        if self.waiters.load(Ordering::Relaxed) > 0 {
            let _guard = self.lock.lock();
            self.freed.notify_all();
        }
    }
}
