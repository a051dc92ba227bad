//! [`OutsideCall`]: which pools' `scope`, `join` or `broadcast` calls from
//! outside the pool the current thread is inside, so that a `shutdown` of
//! one of them there panics instead of waiting for itself.

use std::cell::RefCell;

use crate::pool::shared::PoolShared;

thread_local! {
    /// The pools (by address) of the outside calls this thread is inside,
    /// innermost last.
    static INSIDE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks the calling thread as inside an outside call of one pool until
/// dropped. The call holds an admission of the pool's gate, which
/// `shutdown` waits for: a `shutdown` from within the call (its `scope`
/// body, or the first half of an outside `join`) would never return.
pub(crate) struct OutsideCall(usize);

impl OutsideCall {
    pub(crate) fn enter(pool: &PoolShared) -> Self {
        let address = std::ptr::from_ref(pool) as usize;
        // A thread whose thread-locals are being destroyed has no call to
        // guard against: it cannot be inside one.
        let _ = INSIDE.try_with(|inside| inside.borrow_mut().push(address));
        Self(address)
    }

    /// Whether the calling thread is inside an outside call of `pool`.
    pub(crate) fn is_inside(pool: &PoolShared) -> bool {
        let address = std::ptr::from_ref(pool) as usize;
        INSIDE
            .try_with(|inside| inside.borrow().contains(&address))
            .unwrap_or(false)
    }
}

impl Drop for OutsideCall {
    fn drop(&mut self) {
        let _ = INSIDE.try_with(|inside| {
            let mut inside = inside.borrow_mut();
            if let Some(position) = inside.iter().rposition(|&address| address == self.0) {
                inside.remove(position);
            }
        });
    }
}
