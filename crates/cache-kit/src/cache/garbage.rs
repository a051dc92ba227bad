//! Keys and values that left the cache, held until every lock is released
//! and then told to the eviction listener and dropped there: a listener or
//! a `Drop` may use the cache (it would deadlock under our locks) and may
//! panic (it must not leave a lock held or the policy half-updated).

use atomics_kit::FirstPanic;

use crate::cache::builder::Listener;
use crate::cache::RemovalCause;

/// Items held without allocating: an insert that evicts one entry leaves
/// one, a replacement one (the old value, with the key given to `insert`),
/// so the common operations never touch the allocator for this.
const INLINE: usize = 4;

/// What a cache operation removed, to hand out once it holds no lock.
pub(crate) struct Garbage<K, V> {
    inline: [Option<Item<K, V>>; INLINE],
    inline_used: usize,
    overflow: Vec<Item<K, V>>,
}

enum Item<K, V> {
    /// A cached entry that left: told to the listener, then dropped.
    Entry(K, V, RemovalCause),
    /// A key that is not the cache's (the one given to a refused insert,
    /// or to a `remove` that took the map's): only dropped.
    Key(K),
    /// A value that was never cached: only dropped.
    Value(V),
}

impl<K, V> Garbage<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            inline: [const { None }; INLINE],
            inline_used: 0,
            overflow: Vec::new(),
        }
    }

    fn push(&mut self, item: Item<K, V>) {
        if self.inline_used < INLINE {
            self.inline[self.inline_used] = Some(item);
            self.inline_used += 1;
        } else {
            self.overflow.push(item);
        }
    }

    /// Whether disposing of garbage can run user code: `false` with no
    /// listener to tell and nothing to drop (plain keys and values, as
    /// `u64`s), when disposing is a no-op that cannot panic.
    pub(crate) fn runs_user_code(listener: Option<&Listener<K, V>>) -> bool {
        listener.is_some() || std::mem::needs_drop::<Item<K, V>>()
    }

    pub(crate) fn entry(&mut self, key: K, value: V, cause: RemovalCause) {
        self.push(Item::Entry(key, value, cause));
    }

    pub(crate) fn key(&mut self, key: K) {
        self.push(Item::Key(key));
    }

    pub(crate) fn value(&mut self, value: V) {
        self.push(Item::Value(value));
    }

    /// Tells `listener` of every entry, then drops everything, each item
    /// even if the listener or an earlier item's `Drop` panicked; then
    /// resumes the first panic in the caller (the others' payloads are
    /// dropped, so that two panics never abort the process).
    ///
    /// Call it with no lock held, and only when it
    /// [`runs_user_code`](Self::runs_user_code): otherwise dropping the
    /// garbage does the same, with no walk and no guards (`Cache::collecting`
    /// takes that path).
    pub(crate) fn dispose(mut self, listener: Option<&Listener<K, V>>) {
        let mut panics = FirstPanic::new();
        let inline = self.inline.iter_mut().filter_map(Option::take);
        for item in inline.chain(self.overflow.drain(..)) {
            if let (Item::Entry(key, value, cause), Some(listener)) = (&item, listener) {
                panics.catch(|| listener(key, value, *cause));
            }
            // Key and value one at a time: dropped as one item, a panic of
            // the key's `Drop` went on to drop the value while unwinding,
            // and a second panic there aborted the process (a break run).
            match item {
                Item::Entry(key, value, _) => {
                    panics.drop_value(key);
                    panics.drop_value(value);
                }
                Item::Key(key) => panics.drop_value(key),
                Item::Value(value) => panics.drop_value(value),
            }
        }
        panics.resume();
    }
}
