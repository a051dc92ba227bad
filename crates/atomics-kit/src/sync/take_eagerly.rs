//! [`take_eagerly`]: spin, then yield, before a caller blocks.

use std::time::Instant;

use super::Backoff;

/// Yields after the spinning, before the caller blocks. Waking a parked
/// thread costs a futex call on each side, several microseconds; a value
/// that comes within these yields (tens of microseconds on an idle core)
/// costs none.
const YIELDS_BEFORE_BLOCKING: u32 = 50;

/// Calls `try_take` until it returns `Some`: spinning briefly (crossbeam's
/// [`Backoff`]), then yielding the thread up to 50 times, and giving up
/// early at `deadline` if there is one. `None` means the caller should now
/// block on its own condition (a channel's `recv`, a condvar), which the
/// producer will signal.
///
/// For a consumer that usually finds work again within microseconds: an
/// actor between messages, an asker waiting for a quick reply, a queue's
/// consumer. The yields burn a little CPU (about 50 scheduler calls)
/// before each block, so a thread that waits long each time should block
/// at once instead.
///
/// Under `--cfg loom`, `try_take` runs once: loom must see the caller block
/// for a model to explore the wake-up.
///
/// # Examples
///
/// ```
/// use atomics_kit::sync::take_eagerly;
/// use std::sync::mpsc;
///
/// let (sender, receiver) = mpsc::channel();
/// std::thread::spawn(move || sender.send(7).unwrap());
/// // Spin and yield a while; if nothing came, block.
/// let value = take_eagerly(None, || receiver.try_recv().ok())
///     .unwrap_or_else(|| receiver.recv().unwrap());
/// assert_eq!(value, 7);
/// ```
pub fn take_eagerly<T>(
    deadline: Option<Instant>,
    mut try_take: impl FnMut() -> Option<T>,
) -> Option<T> {
    if cfg!(loom) {
        return try_take();
    }
    let backoff = Backoff::new();
    let mut yields = 0;
    loop {
        if let Some(taken) = try_take() {
            return Some(taken);
        }
        if backoff.is_completed() {
            let past_deadline = deadline.is_some_and(|deadline| Instant::now() >= deadline);
            if yields == YIELDS_BEFORE_BLOCKING || past_deadline {
                return None;
            }
            yields += 1;
            std::thread::yield_now();
        } else {
            backoff.snooze();
        }
    }
}
