//! Receiving eagerly: spin, then yield, then block.

use std::thread;
use std::time::Instant;

use crate::sync::Backoff;
use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

/// Yields a waiting thread makes, after spinning, before it blocks: a
/// message that comes within a few microseconds (a request/reply exchange)
/// then costs no wake-up (measured in `docs/actorlite.md`).
const YIELDS_BEFORE_BLOCKING: u32 = 50;

/// Calls `take` until it returns something: spinning briefly (crossbeam's
/// `Backoff`), then yielding up to `YIELDS_BEFORE_BLOCKING` times, until
/// `deadline` if there is one. `None`: time for the caller to block. The
/// idle actor waits for its mailbox this way, and an asker for its reply.
pub(crate) fn eagerly<T>(
    deadline: Option<Instant>,
    mut take: impl FnMut() -> Option<T>,
) -> Option<T> {
    let backoff = Backoff::new();
    let mut yields = 0;
    loop {
        if let Some(taken) = take() {
            return Some(taken);
        }
        if backoff.is_completed() {
            let past_deadline = deadline.is_some_and(|deadline| Instant::now() >= deadline);
            if yields == YIELDS_BEFORE_BLOCKING || past_deadline {
                return None;
            }
            yields += 1;
            thread::yield_now();
        } else {
            backoff.snooze();
        }
    }
}

/// The next message on `receiver`, taken [`eagerly`] before blocking
/// until `deadline` (`None`: no deadline).
pub(crate) fn recv_eagerly<T>(
    receiver: &Receiver<T>,
    deadline: Option<Instant>,
) -> Result<T, RecvTimeoutError> {
    let taken = eagerly(deadline, || match receiver.try_recv() {
        Ok(message) => Some(Ok(message)),
        Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
        Err(TryRecvError::Empty) => None,
    });
    if let Some(taken) = taken {
        return taken;
    }
    match deadline {
        Some(deadline) => receiver.recv_deadline(deadline),
        None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}
