//! Receiving eagerly: spin, then yield, then block.

use std::thread;
use std::time::Instant;

use crate::sync::Backoff;
use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

/// Yields a waiting thread makes, after spinning, before it blocks: a
/// message that comes within a few microseconds (a request/reply exchange)
/// then costs no wake-up (measured in `docs/actorlite.md`).
const YIELDS_BEFORE_BLOCKING: u32 = 50;

/// The next message on `receiver`: spins briefly (crossbeam's `Backoff`),
/// yields up to `YIELDS_BEFORE_BLOCKING` times, then blocks, until
/// `deadline` if there is one. The idle actor waits for its mailbox this
/// way, and an asker for its reply.
pub(crate) fn recv_eagerly<T>(
    receiver: &Receiver<T>,
    deadline: Option<Instant>,
) -> Result<T, RecvTimeoutError> {
    let backoff = Backoff::new();
    let mut yields = 0;
    loop {
        match receiver.try_recv() {
            Ok(message) => return Ok(message),
            Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
            Err(TryRecvError::Empty) if backoff.is_completed() => {
                let past_deadline = deadline.is_some_and(|deadline| Instant::now() >= deadline);
                if yields == YIELDS_BEFORE_BLOCKING || past_deadline {
                    break;
                }
                yields += 1;
                thread::yield_now();
            }
            Err(TryRecvError::Empty) => backoff.snooze(),
        }
    }
    match deadline {
        Some(deadline) => receiver.recv_deadline(deadline),
        None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}
