//! Receiving a reply eagerly: spin, then yield, then block.

use std::time::Instant;

use crate::sync::take_eagerly;
use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

/// The next message on `receiver`, taken eagerly (spinning, then yielding:
/// a quick answer then costs no wake-up) before blocking until `deadline`
/// (`None`: no deadline). An asker waits for its reply this way.
pub(crate) fn recv_eagerly<T>(
    receiver: &Receiver<T>,
    deadline: Option<Instant>,
) -> Result<T, RecvTimeoutError> {
    let taken = take_eagerly(deadline, || match receiver.try_recv() {
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
