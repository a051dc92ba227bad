//! An actor's lifecycle flags: how many handles are alive, and whether a
//! stop or a kill was requested.

use crate::sync::{AtomicU8, AtomicUsize, Ordering};

/// No stop requested.
pub(crate) const RUNNING: u8 = 0;
/// Stop after the messages already accepted.
pub(crate) const STOP: u8 = 1;
/// Stop now; the messages queued are dead letters.
pub(crate) const KILL: u8 = 2;

/// Set in the handle count, for good, by the drop that left no handle: a
/// handle made afterwards from one the actor holds (`Context::handle` in a
/// handler still running) counts above it, and a weak handle's upgrade,
/// which needs the bit clear, stays refused.
const RELEASED: usize = 1 << (usize::BITS - 1);

/// The handle count and the stop request. The request only ever rises
/// (`RUNNING` < `STOP` < `KILL`): a kill overrides a stop, never the
/// reverse, whatever the order the calls land in. The handle count works
/// as `Arc`'s: exactly one drop sees it reach zero, and a weak handle's
/// upgrade never takes it up from zero. `tests/loom.rs` checks all three.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    handles: AtomicUsize,
    request: AtomicU8,
}

impl Lifecycle {
    pub(crate) fn new() -> Self {
        Self {
            handles: AtomicUsize::new(0),
            request: AtomicU8::new(RUNNING),
        }
    }

    pub(crate) fn handle_created(&self) {
        // Relaxed: a count; a new handle comes from an existing one (or the
        // spawn), which keeps the count above zero meanwhile.
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a handle made from a weak one, unless none is left: once
    /// the count has reached zero (the actor was told to stop), it stays
    /// there for weak handles, as `Weak::upgrade` never revives an `Arc`.
    pub(crate) fn try_handle_created(&self) -> bool {
        // Relaxed (both): as `handle_created`, a count that orders no other
        // memory; the compare-exchange alone rules out going up from zero,
        // or from a count the actor's own handles raised after it.
        self.handles
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |handles| {
                (handles != 0 && handles & RELEASED == 0).then(|| handles + 1)
            })
            .is_ok()
    }

    /// Counts a handle dropped; `true` for the drop that leaves none (once:
    /// that drop sets [`RELEASED`] in the same step, so a handle made and
    /// dropped later never leaves none again).
    pub(crate) fn handle_dropped(&self) -> bool {
        // AcqRel (both): the last dropper sees every other handle's drop,
        // as Arc's does.
        let before = self
            .handles
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |handles| {
                Some(if handles == 1 { RELEASED } else { handles - 1 })
            })
            .unwrap_or_else(|handles| handles);
        before == 1
    }

    /// Raises the request to `kind` (`STOP` or `KILL`) if it is lower.
    pub(crate) fn request(&self, kind: u8) {
        // Release: pairs with `requested`'s Acquire; what the requester did
        // before (say, the last send it made) is visible to the actor that
        // sees the request.
        self.request.fetch_max(kind, Ordering::Release);
    }

    pub(crate) fn requested(&self) -> u8 {
        // Acquire: pairs with `request`'s Release.
        self.request.load(Ordering::Acquire)
    }
}
