//! The actor's thread: the message loop, supervision, and the shutdown
//! that accounts for every accepted message.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;

use crate::sync::Backoff;
use crossbeam_channel::Receiver;

use crate::actor::Actor;
use crate::context::Context;
use crate::exit_reason::ExitReason;
use crate::mailbox::Envelope;
use crate::restart_policy::RestartBudget;
use crate::shared::{Shared, KILL, RUNNING, STOP};
use crate::wait;
use atomics_kit::{drop_panic_payload, panic_message};

/// Builds a fresh actor after a panic, within a budget.
pub(crate) struct Supervisor<A> {
    pub(crate) factory: Box<dyn FnMut() -> A + Send>,
    pub(crate) budget: RestartBudget,
}

pub(crate) struct Runner<A: Actor> {
    /// `None` after a panic, until a supervisor replaces it.
    actor: Option<A>,
    supervisor: Option<Supervisor<A>>,
    mailbox: Receiver<Envelope<A::Message>>,
    shared: Arc<Shared<A::Message>>,
    ctx: Context<A>,
    /// The panic that ended the actor (past any restart budget).
    failure: Option<String>,
}

impl<A: Actor> Runner<A> {
    pub(crate) fn new(
        actor: A,
        supervisor: Option<Supervisor<A>>,
        mailbox: Receiver<Envelope<A::Message>>,
        shared: Arc<Shared<A::Message>>,
    ) -> Self {
        let ctx = Context::new(Arc::clone(&shared));
        Self {
            actor: Some(actor),
            supervisor,
            mailbox,
            shared,
            ctx,
            failure: None,
        }
    }

    pub(crate) fn run(mut self) {
        let _ = self.shared.thread_id.set(thread::current().id());
        self.start();
        while self.failure.is_none() && self.shared.requested() == RUNNING {
            match self.next_envelope() {
                Some(Envelope::Message(message)) => self.deliver(message),
                Some(Envelope::Wake) => {}
                None => break,
            }
        }
        self.shut_down();
    }

    /// The next envelope: spins and yields briefly before blocking. The
    /// shared state holds a sender, so the mailbox never disconnects.
    fn next_envelope(&self) -> Option<Envelope<A::Message>> {
        wait::recv_eagerly(&self.mailbox, None).ok()
    }

    /// Runs `started` on the current actor; a panic there counts as the
    /// actor's failure (and may restart it).
    fn start(&mut self) {
        while let Some(actor) = self.actor.as_mut() {
            let ctx = &mut self.ctx;
            match panic::catch_unwind(AssertUnwindSafe(|| actor.started(ctx))) {
                Ok(()) => return,
                Err(payload) => {
                    self.actor = None;
                    self.recover(panic_message(payload));
                }
            }
        }
    }

    /// Handles one message, catching a panic.
    fn deliver(&mut self, message: A::Message) {
        let Some(actor) = self.actor.as_mut() else {
            self.shared.counters.dead_letter();
            return;
        };
        let ctx = &mut self.ctx;
        match panic::catch_unwind(AssertUnwindSafe(|| actor.handle(message, ctx))) {
            Ok(()) => self.shared.counters.handled(),
            Err(payload) => {
                self.shared.counters.panicked_message();
                self.actor = None;
                self.recover(panic_message(payload));
                self.start();
            }
        }
    }

    /// After a panic: a fresh actor from the supervisor if the budget
    /// allows (its `started` is run by the caller), else the failure.
    fn recover(&mut self, handler_panic: String) {
        self.shared.record_panic(&handler_panic);
        let Some(supervisor) = self.supervisor.as_mut() else {
            return self.fail(handler_panic);
        };
        if !supervisor.budget.try_spend() {
            return self.fail(handler_panic);
        }
        match panic::catch_unwind(AssertUnwindSafe(|| (supervisor.factory)())) {
            Ok(actor) => {
                self.shared.counters.restarted();
                self.actor = Some(actor);
            }
            Err(payload) => {
                let factory_panic = panic_message(payload);
                self.fail(format!(
                    "{handler_panic}; then the factory panicked: {factory_panic}"
                ));
            }
        }
    }

    /// The actor is done for: refuse new sends at once (rather than accept
    /// them as dead letters) and remember why.
    fn fail(&mut self, panic_message: String) {
        self.failure = Some(panic_message);
        self.shared.request(STOP);
    }

    /// Refuses new sends, waits for the admitted ones while draining the
    /// mailbox (handling what a graceful stop still owes, counting the rest
    /// as dead letters), then runs `stopped` and records the reason.
    fn shut_down(mut self) {
        self.shared.gate.close();
        let backoff = Backoff::new();
        loop {
            // Checked before draining: once every admitted send has
            // finished, this drain empties the mailbox for good.
            let all_in = self.shared.gate.try_wait_for_admitted().is_some();
            while let Ok(envelope) = self.mailbox.try_recv() {
                if let Envelope::Message(message) = envelope {
                    if self.owes_handling() {
                        self.deliver(message);
                    } else {
                        self.shared.counters.dead_letter();
                    }
                }
            }
            if all_in {
                break;
            }
            backoff.snooze();
        }
        let reason = match (self.failure.take(), self.shared.requested()) {
            (Some(panic_message), _) => ExitReason::Panicked(panic_message),
            (None, KILL) => ExitReason::Killed,
            (None, _) => ExitReason::Normal,
        };
        if let Some(mut actor) = self.actor.take() {
            // A panic in `stopped` has no one left to restart; the reason
            // stays what it was, and the panic's payload must not take the
            // thread down when dropped.
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| actor.stopped(&reason))) {
                drop_panic_payload(payload);
            }
        }
        drop(self.mailbox);
        self.shared.finish(reason);
    }

    /// Whether a queued message is still to be handled: a graceful stop,
    /// no kill since, no unrecovered panic.
    fn owes_handling(&self) -> bool {
        self.failure.is_none() && self.shared.requested() == STOP
    }
}
