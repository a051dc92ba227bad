//! The actor's thread: the message loop, supervision, and the shutdown
//! that accounts for every accepted message.

use std::sync::Arc;
use std::thread;

use crate::actor::Actor;
use crate::context::Context;
use crate::exit_reason::ExitReason;
use crate::mailbox_queue::MailboxTaker;
use crate::reply::Unhandled;
use crate::restart_policy::RestartBudget;
use crate::shared::{catching, drop_catching, Shared, KILL, RUNNING, STOP};

/// Builds a fresh actor after a panic, within a budget.
pub(crate) struct Supervisor<A> {
    pub(crate) factory: Box<dyn FnMut() -> A + Send>,
    pub(crate) budget: RestartBudget,
}

pub(crate) struct Runner<A: Actor> {
    /// `None` after a panic, until a supervisor replaces it.
    actor: Option<A>,
    supervisor: Option<Supervisor<A>>,
    shared: Arc<Shared<A::Message>>,
    /// The right to take from the mailbox: this thread is its one taker.
    taker: MailboxTaker,
    ctx: Context<A>,
    /// The panic that ended the actor (past any restart budget).
    failure: Option<String>,
}

impl<A: Actor> Runner<A> {
    pub(crate) fn new(
        actor: A,
        supervisor: Option<Supervisor<A>>,
        shared: Arc<Shared<A::Message>>,
        taker: MailboxTaker,
    ) -> Self {
        let ctx = Context::new(Arc::clone(&shared));
        Self {
            actor: Some(actor),
            supervisor,
            shared,
            taker,
            ctx,
            failure: None,
        }
    }

    pub(crate) fn run(mut self) {
        let _ = self.shared.thread_id.set(thread::current().id());
        let _unwinding = ExitOnUnwind(Arc::clone(&self.shared));
        self.start();
        while self.failure.is_none() && self.shared.requested() == RUNNING {
            // `None`: woken by a request (the loop's condition sees it).
            if let Some(message) = self.shared.queue.next(&mut self.taker) {
                // An idle actor wakes for a request too, and may take a
                // message queued before it: a kill made meanwhile makes it a
                // dead letter, as it does every message still queued.
                self.take(message);
            }
        }
        self.shut_down();
    }

    /// Runs `started` on the current actor; a panic there counts as the
    /// actor's failure (and may restart it).
    ///
    /// With a stop or kill pending, a `started` that fails again on the
    /// instance built after a failure under that request ends the actor
    /// ([`ExitReason::Panicked`], what is queued then dead letters):
    /// restarting on would never end, where the budget allows it, and the
    /// request would never be seen. One fresh instance is still started,
    /// so that a graceful stop gets one to handle what it owes.
    fn start(&mut self) {
        let mut failed_under_request = false;
        while let Some(actor) = self.actor.as_mut() {
            let ctx = &mut self.ctx;
            let Err(panic) = catching(|| actor.started(ctx)) else {
                return;
            };
            if self.shared.requested() != RUNNING {
                if failed_under_request {
                    let panic = self.drop_broken(panic);
                    return self.fail(panic);
                }
                failed_under_request = true;
            }
            self.recover(panic);
        }
    }

    /// Drops the current instance (if any), catching a panic in its `Drop`
    /// and returning the panic's text. A `Reply` the instance still holds
    /// was never answered: its asker gets `Closed`.
    fn drop_instance(&mut self) -> Result<(), String> {
        let instance = self.actor.take();
        let _unhandled = Unhandled::begin();
        drop_catching(instance)
    }

    /// Handles one message, catching a panic.
    fn deliver(&mut self, message: A::Message) {
        let Some(actor) = self.actor.as_mut() else {
            return self.dead_letter(message);
        };
        let ctx = &mut self.ctx;
        match catching(|| actor.handle(message, ctx)) {
            Ok(()) => self.shared.counters.handled(),
            Err(panic) => {
                self.shared.counters.panicked_message();
                self.recover(panic);
                self.start();
            }
        }
    }

    /// Counts `message` as a dead letter and drops it; a panic in its
    /// `Drop` is reported in `last_panic` (the message's fate stays a dead
    /// letter).
    fn dead_letter(&self, message: A::Message) {
        self.shared.counters.dead_letter();
        let _unhandled = Unhandled::begin();
        if let Err(panic) = drop_catching(message) {
            self.shared
                .record_panic(&format!("dropping a dead letter panicked: {panic}"));
        }
    }

    /// After a panic of the current instance: drops it (a panic in its
    /// `Drop` joins the report), then builds a fresh actor from the
    /// supervisor if the budget allows (its `started` is run by the
    /// caller), else records the failure.
    fn recover(&mut self, panic: String) {
        let panic = self.drop_broken(panic);
        let Some(supervisor) = self.supervisor.as_mut() else {
            return self.fail(panic);
        };
        if !supervisor.budget.try_spend() {
            return self.fail(panic);
        }
        match catching(|| (supervisor.factory)()) {
            Ok(actor) => {
                self.shared.counters.restarted();
                self.actor = Some(actor);
            }
            Err(factory_panic) => {
                let panic = format!("{panic}; then the factory panicked: {factory_panic}");
                self.shared.record_panic(&panic);
                self.fail(panic);
            }
        }
    }

    /// Drops the instance that panicked with `panic` (a panic in its
    /// `Drop` joins the text) and records the panic; returns its text.
    fn drop_broken(&mut self, mut panic: String) -> String {
        // A `Reply` the broken instance holds was never answered: Closed
        // (one its handler held as it panicked was dropped by the unwind,
        // before this: NoReply).
        if let Err(drop_panic) = self.drop_instance() {
            panic = format!("{panic}; then dropping the actor panicked: {drop_panic}");
        }
        self.shared.record_panic(&panic);
        panic
    }

    /// The actor is done for: refuse new sends at once (rather than accept
    /// them as dead letters) and remember why.
    fn fail(&mut self, panic_message: String) {
        self.failure = Some(panic_message);
        // Closes the mailbox: sends waiting for room get their messages
        // back, as by a kill.
        self.shared.request(STOP);
    }

    /// Refuses new sends, waits for the admitted ones while draining the
    /// mailbox (handling what a graceful stop still owes, counting the rest
    /// as dead letters), then runs `stopped` and records the reason.
    fn shut_down(mut self) {
        // Closed already by the request that ended the loop; closing is
        // idempotent, and the drain below relies on it.
        self.shared.queue.close();
        let shared = Arc::clone(&self.shared);
        // Moved out, as `self` is borrowed by the drain's callback; nothing
        // takes after the drain.
        let mut taker = std::mem::take(&mut self.taker);
        shared.queue.drain(&mut taker, |message| self.take(message));
        let reason = match (self.failure.take(), self.shared.requested()) {
            (Some(panic_message), _) => ExitReason::Panicked(panic_message),
            (None, KILL) => ExitReason::Killed,
            (None, _) => ExitReason::Normal,
        };
        let reason = self.clean_up(reason);
        // Before `finish`, as part of stopping: `join` and `join_timeout`
        // then never return before the watchers were told, and the thread
        // runs no user code once `finish` has let them return.
        self.shared.notify_monitors(&reason);
        self.shared.finish(reason);
    }

    /// Runs `stopped`, then drops the actor and the supervisor (the
    /// factory and what it captured), each catching a panic: a panic there
    /// has no one left to restart, so it goes into the reason
    /// ([`ExitReason::with_cleanup_panic`]) and `last_panic`.
    fn clean_up(&mut self, reason: ExitReason) -> ExitReason {
        // A `Reply` the actor still holds was never answered: Closed.
        let _unhandled = Unhandled::begin();
        let mut panics = Vec::new();
        if let Some(actor) = self.actor.as_mut() {
            if let Err(panic) = catching(|| actor.stopped(&reason)) {
                panics.push(format!("`stopped` panicked: {panic}"));
            }
            if let Err(panic) = self.drop_instance() {
                panics.push(format!("dropping the actor panicked: {panic}"));
            }
        }
        if let Err(panic) = drop_catching(self.supervisor.take()) {
            panics.push(format!("dropping the factory panicked: {panic}"));
        }
        panics.into_iter().fold(reason, |reason, panic| {
            self.shared.record_panic(&panic);
            reason.with_cleanup_panic(panic)
        })
    }

    /// Handles a message taken from the mailbox, or counts it as a dead
    /// letter if it is no longer owed (a kill or an unrecovered panic came
    /// since it was queued).
    fn take(&mut self, message: A::Message) {
        if self.owes_handling() {
            self.deliver(message);
        } else {
            self.dead_letter(message);
        }
    }

    /// Whether a queued message is still to be handled: running, or
    /// stopping gracefully; no kill, no unrecovered panic.
    fn owes_handling(&self) -> bool {
        self.failure.is_none() && self.shared.requested() != KILL
    }
}

/// A safety net: every panic of user code is caught where it runs, but
/// should the actor's thread unwind anyway (a bug of ours), its exit is
/// still recorded, so that `join` returns and `is_alive` turns false.
struct ExitOnUnwind<M>(Arc<Shared<M>>);

impl<M> Drop for ExitOnUnwind<M> {
    fn drop(&mut self) {
        if thread::panicking() && self.0.exit_reason().is_none() {
            self.0.finish(ExitReason::Panicked(
                "the actor's thread panicked outside the actor's code".to_owned(),
            ));
        }
    }
}
