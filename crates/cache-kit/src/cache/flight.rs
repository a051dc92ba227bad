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
//! A leader that fails (its load returns an error or panics) *abandons* the
//! flight when its [`Leader`] guard drops: the waiters wake with nothing and
//! go round again, one of them becoming the next leader with its own load.

use std::collections::HashMap;
use std::hash::Hash;

use crate::sync::{current_thread, Arc, Condvar, Mutex, ThreadId};

/// The keys being loaded in one segment of the cache.
pub(crate) struct Flights<K, V> {
    loading: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

/// What [`Flights::claim`] made of the caller.
pub(crate) enum Claim<'a, K: Hash + Eq, V> {
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
    Abandoned,
}

/// The right and the duty to load a key: [`complete`](Self::complete) it
/// with the value, or drop it to abandon the flight.
pub(crate) struct Leader<'a, K: Hash + Eq, V> {
    flights: &'a Flights<K, V>,
    key: K,
    flight: Arc<Flight<V>>,
    completed: bool,
}

impl<K: Hash + Eq + Clone, V: Clone> Flights<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            loading: Mutex::new(HashMap::new()),
        }
    }

    /// Makes the caller the leader for `key`, or a follower of the flight
    /// already loading it.
    pub(crate) fn claim(&self, key: &K) -> Claim<'_, K, V> {
        let mut loading = self.loading.lock();
        if let Some(flight) = loading.get(key) {
            return Claim::Follower(Arc::clone(flight));
        }
        let flight = Arc::new(Flight {
            state: Mutex::new(State::Loading),
            settled: Condvar::new(),
            leader: current_thread().id(),
        });
        loading.insert(key.clone(), Arc::clone(&flight));
        Claim::Leader(Leader {
            flights: self,
            key: key.clone(),
            flight,
            completed: false,
        })
    }
}

impl<K: Hash + Eq, V> Flights<K, V> {
    /// Takes the flight out of the table, then wakes its followers with
    /// `outcome`: in this order, so that nobody can join a settled flight.
    fn settle(&self, key: &K, flight: &Flight<V>, outcome: State<V>) {
        self.loading.lock().remove(key);
        *flight.state.lock() = outcome;
        flight.settled.notify_all();
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Leader<'_, K, V> {
    /// Hands `value` to every follower. Call it after the value is in the
    /// cache, so that a caller who misses the flight finds the value there.
    pub(crate) fn complete(mut self, value: V) {
        self.completed = true;
        self.flights
            .settle(&self.key, &self.flight, State::Loaded(value));
    }
}

impl<K: Hash + Eq, V> Drop for Leader<'_, K, V> {
    fn drop(&mut self) {
        if !self.completed {
            // The load failed or panicked: the followers retry.
            self.flights
                .settle(&self.key, &self.flight, State::Abandoned);
        }
    }
}

impl<V: Clone> Flight<V> {
    /// Waits until the leader settles the flight: `Some(value)` when it
    /// loaded one, `None` when it gave up (the caller should retry).
    ///
    /// # Panics
    ///
    /// If the caller is the leader itself, that is, a load asked the cache
    /// for the key it is loading: waiting would never end.
    pub(crate) fn wait(&self) -> Option<V> {
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
                State::Loaded(value) => return Some(value.clone()),
                State::Abandoned => return None,
            }
        }
    }
}
