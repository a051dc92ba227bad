//! The monitors an actor owes a notification when it stops: each is taken
//! out exactly once, by the actor's exit or, once the actor is down, by the
//! `monitor` call itself.
//!
//! Only `crate::sync` is used here, so `tests/loom.rs` compiles this file
//! as it is and checks that a monitor set while the actor stops is
//! notified exactly once.

use crate::sync::Mutex;

/// Monitors waiting for the actor to stop (`T`, a notification), then the
/// reason it stopped (`R`), for monitors set later.
#[derive(Debug)]
pub(crate) struct Registry<T, R> {
    state: Mutex<State<T, R>>,
}

#[derive(Debug)]
enum State<T, R> {
    Watching(Vec<T>),
    Down(R),
}

impl<T, R: Clone> Registry<T, R> {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State::Watching(Vec::new())),
        }
    }

    /// Registers `notification` for the actor's exit; if the actor is down
    /// already, gives it back with the reason, for the caller to deliver at
    /// once. Runs no user code under the lock (the notification is only
    /// moved).
    pub(crate) fn watch(&self, notification: T) -> Result<(), (T, R)> {
        let mut state = self.state.lock();
        match &mut *state {
            State::Watching(waiting) => {
                waiting.push(notification);
                Ok(())
            }
            State::Down(reason) => Err((notification, reason.clone())),
        }
    }

    /// The actor is down for `reason`: every notification registered so
    /// far, for the caller to deliver outside the lock. Later `watch`
    /// calls get the reason back. A second call returns nothing.
    pub(crate) fn down(&self, reason: R) -> Vec<T> {
        let mut state = self.state.lock();
        match std::mem::replace(&mut *state, State::Down(reason)) {
            State::Watching(waiting) => waiting,
            State::Down(first) => {
                // Keep the first reason: only one exit is ever recorded.
                *state = State::Down(first);
                Vec::new()
            }
        }
    }
}
