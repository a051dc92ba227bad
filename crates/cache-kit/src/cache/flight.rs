//! Single-flight loading: concurrent misses on one key run one load.
//!
//! The first caller to miss a key *claims* it and becomes the leader; the
//! others find its [`Flight`] in the table and wait on it. The leader runs
//! its load with no lock held, inserts the value into the cache, and only
//! then [completes](Leader::complete) the flight: it leaves the table first
//! and wakes the waiters with the value second. So a caller that arrives
//! after the flight left the table finds the value in the cache (the leader
//! re-checks the cache after claiming for exactly this case), and a caller
//! that took the flight before it left gets the value from it.
//!
//! A leader whose load returns an error *fails* the flight: the waiters
//! wake with the same error (one `Arc` shared by all, as moka's
//! `try_get_with` does) when theirs is of the same type. A leader whose load
//! panics, or whose `Clone` does, *abandons* the flight when its [`Leader`]
//! guard drops: the waiters wake with nothing and go round again, one of
//! them becoming the next leader with its own load.
//!
//! The table is keyed by the cache's hash of the key (computed before, by
//! the caller), each bucket a short list compared with the key's `Eq`: so
//! settling a flight finds it by pointer, running no user code at all, and
//! a `Hash` or `Eq` that panics can never leave a flight in the table or
//! its followers asleep. The key is cloned for the table before the lock
//! is taken, and a key removed from the table is dropped after it is
//! released.

use std::any::Any;
use std::borrow::Borrow;
use std::collections::HashMap;

use atomics_kit::drop_caught;

use crate::sync::{current_thread, Arc, Condvar, Mutex, ThreadId};

/// A failed load's error, shared by the leader and every waiter. Always
/// std's `Arc` (loom's cannot hold a `dyn Any`); it carries no protocol.
type SharedError = std::sync::Arc<dyn Any + Send + Sync>;

/// The keys being loaded in one segment, by hash: a hash's loads in
/// progress (one per distinct key with that hash).
type Table<K, V> = HashMap<u64, Vec<(K, Arc<Flight<V>>)>, foldhash::fast::RandomState>;

/// The keys being loaded in one segment of the cache.
pub(crate) struct Flights<K, V> {
    loading: Mutex<Table<K, V>>,
}

/// What [`Flights::claim`] made of the caller.
pub(crate) enum Claim<'a, K, V> {
    /// Nobody was loading the key: the caller must load it.
    Leader(Leader<'a, K, V>),
    /// Another caller is loading it: wait on the flight.
    Follower(Arc<Flight<V>>),
}

/// One load in progress, which followers wait on.
pub(crate) struct Flight<V> {
    state: Mutex<State<V>>,
    settled: Condvar,
    leader: ThreadId,
}

enum State<V> {
    Loading,
    Loaded(V),
    Failed(SharedError),
    Abandoned,
}

/// How a flight ended, for one follower.
pub(crate) enum Landing<V, E> {
    /// The leader loaded this value.
    Loaded(V),
    /// The leader's load failed with this error.
    Failed(std::sync::Arc<E>),
    /// The leader gave up (it panicked, or failed with an error of another
    /// type than this follower's): claim the key again.
    Retry,
}

/// The right and the duty to load a key: [`complete`](Self::complete) or
/// [`fail`](Self::fail) it, or drop it to abandon the flight.
pub(crate) struct Leader<'a, K, V> {
    flights: &'a Flights<K, V>,
    hash: u64,
    flight: Arc<Flight<V>>,
    settled: bool,
}

impl<K, V> Flights<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            loading: Mutex::new(HashMap::default()),
        }
    }

    /// Makes the caller the leader for `key` (whose hash is `hash`), or a
    /// follower of the flight already loading it. `owned` is the key for
    /// the table, made by the caller before any lock is taken (its `Clone`
    /// may panic or use the cache); a follower hands it back unused.
    pub(crate) fn claim<Q>(&self, key: &Q, hash: u64, owned: K) -> (Claim<'_, K, V>, Option<K>)
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let mut loading = self.loading.lock();
        let bucket = loading.entry(hash).or_default();
        // A panicking `Eq` leaves the table as it was (an empty bucket at
        // worst, which holds nothing).
        if let Some((_, flight)) = bucket.iter().find(|(loading, _)| loading.borrow() == key) {
            return (Claim::Follower(Arc::clone(flight)), Some(owned));
        }
        let flight = Arc::new(Flight {
            state: Mutex::new(State::Loading),
            settled: Condvar::new(),
            leader: current_thread().id(),
        });
        bucket.push((owned, Arc::clone(&flight)));
        drop(loading);
        let leader = Leader {
            flights: self,
            hash,
            flight,
            settled: false,
        };
        (Claim::Leader(leader), None)
    }

    /// Takes the flight out of the table, then wakes its followers with
    /// `outcome`: in this order, so that nobody can join a settled flight.
    /// The flight is found by pointer (no user code runs), and the table's
    /// key is dropped last, with no lock held: its `Drop` may panic, and
    /// the followers are already awake (while the thread unwinds, such a
    /// panic is caught and discarded).
    fn settle(&self, hash: u64, flight: &Arc<Flight<V>>, outcome: State<V>) {
        let removed = {
            let mut loading = self.loading.lock();
            let bucket = loading.get_mut(&hash);
            let removed = bucket.and_then(|bucket| {
                let at = bucket.iter().position(|(_, f)| Arc::ptr_eq(f, flight))?;
                Some(bucket.swap_remove(at))
            });
            if loading.get(&hash).is_some_and(Vec::is_empty) {
                loading.remove(&hash);
            }
            removed
        };
        *flight.state.lock() = outcome;
        flight.settled.notify_all();
        match removed {
            // The load is unwinding (an abandoned flight): a panic of the
            // key's `Drop` must not leave this frame now (it would abort
            // the process), so it is caught and its payload dropped; the
            // thread goes on unwinding with the load's own panic.
            Some((key, _)) if std::thread::panicking() => {
                drop_caught(key);
            }
            removed => drop(removed),
        }
    }
}

impl<K, V> Leader<'_, K, V> {
    /// Hands `value` to every follower. Call it after the value is in the
    /// cache, so that a caller who misses the flight finds the value there.
    pub(crate) fn complete(mut self, value: V) {
        self.settled = true;
        self.flights
            .settle(self.hash, &self.flight, State::Loaded(value));
    }

    /// Hands the load's `error` to every follower whose error type is `E`.
    pub(crate) fn fail<E: Send + Sync + 'static>(mut self, error: std::sync::Arc<E>) {
        self.settled = true;
        self.flights
            .settle(self.hash, &self.flight, State::Failed(error));
    }
}

impl<K, V> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        if !self.settled {
            // The load or a clone panicked: the followers retry.
            self.flights
                .settle(self.hash, &self.flight, State::Abandoned);
        }
    }
}

impl<V: Clone> Flight<V> {
    /// Waits until the leader settles the flight.
    ///
    /// # Panics
    ///
    /// If the caller is the leader itself, that is, a load asked the cache
    /// for the key it is loading: waiting would never end.
    pub(crate) fn wait<E: Send + Sync + 'static>(&self) -> Landing<V, E> {
        assert!(
            current_thread().id() != self.leader,
            "cache-kit: a load for a key asked the cache for the same key \
             (get_or_insert_with called recursively), which would wait for itself forever"
        );
        let mut state = self.state.lock();
        loop {
            match &*state {
                State::Loading => {
                    state = self.settled.wait(state);
                }
                State::Loaded(value) => return Landing::Loaded(value.clone()),
                State::Failed(error) => {
                    return std::sync::Arc::clone(error)
                        .downcast::<E>()
                        .map_or(Landing::Retry, Landing::Failed)
                }
                State::Abandoned => return Landing::Retry,
            }
        }
    }
}
