//! Keys and values that left the cache, held until every lock is released
//! and dropped there: a user `Drop` may use the cache (it would deadlock
//! under our locks) and may panic (it must not leave a lock held or the
//! policy half-updated).

use std::panic::{self, AssertUnwindSafe};

use atomics_kit::drop_panic_payload;

/// What a cache operation removed, to drop once it holds no lock.
pub(crate) struct Garbage<K, V> {
    items: Vec<Item<K, V>>,
}

enum Item<K, V> {
    Key(K),
    Value(V),
}

impl<K, V> Garbage<K, V> {
    pub(crate) fn new() -> Self {
        Self { items: Vec::new() }
    }

    pub(crate) fn key(&mut self, key: K) {
        self.items.push(Item::Key(key));
    }

    pub(crate) fn value(&mut self, value: V) {
        self.items.push(Item::Value(value));
    }

    /// Drops everything, each item even if an earlier one's `Drop`
    /// panicked; then resumes the first panic in the caller (the others'
    /// payloads are dropped, so that two panics never abort the process).
    ///
    /// Call it with no lock held.
    pub(crate) fn dispose(mut self) {
        let mut first_panic = None;
        for item in self.items.drain(..) {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| drop(item))) {
                if first_panic.is_none() {
                    first_panic = Some(payload);
                } else {
                    drop_panic_payload(payload);
                }
            }
        }
        if let Some(payload) = first_panic {
            panic::resume_unwind(payload);
        }
    }
}
