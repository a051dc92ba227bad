//! The counter actors compared, behind one trait: actorlite's (with its
//! default mailbox, bounded to 64, and unbounded, as every peer's is), the
//! seed article's std::mpsc actor, a crossbeam-channel actor written
//! plainly, and ractor (an established framework) on a tokio current-thread
//! runtime. Shared by the actor scenarios and the ask latency metric.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use actorlite::{ActorBuilder, ActorHandle, Context, Mailbox, Reply};

use crate::plain_channels::{Channels, Crossbeam, CrossbeamBounded64, StdMpsc};

const PATIENCE: Duration = Duration::from_secs(30);

/// A counter actor, whatever its implementation; dropping it stops the
/// actor and waits for it.
pub trait Counter: Sync + 'static {
    /// Starts the actor, at zero.
    fn start() -> Self;
    /// Sends an increment, without waiting for it to be handled.
    fn increment(&self);
    /// A request/reply round trip: the count.
    fn get(&self) -> u64;
}

/// Something done with each contender, generic over its type.
pub trait Visit {
    /// Called once per contender, with its name in the report.
    fn visit<C: Counter>(&mut self, name: &str);
}

/// Calls `visitor` with every contender, ours first.
pub fn for_each_counter(visitor: &mut impl Visit) {
    visitor.visit::<Ours<false>>("actorlite::ActorHandle (bounded 64)");
    visitor.visit::<Ours<true>>("actorlite::ActorHandle (unbounded)");
    visitor.visit::<Plain<StdMpsc>>("seed std::mpsc actor");
    visitor.visit::<Plain<Crossbeam>>("crossbeam-channel actor");
    visitor.visit::<Plain<CrossbeamBounded64>>("crossbeam-channel actor (bounded 64)");
    visitor.visit::<Ractor>("ractor (tokio current-thread)");
}

// ---- ours

/// Ours, with a bounded (default, 64) or unbounded mailbox.
struct Ours<const UNBOUNDED: bool>(ActorHandle<OursActor>);

struct OursActor(u64);

enum OursMsg {
    Increment,
    Get(Reply<u64>),
}

impl actorlite::Actor for OursActor {
    type Message = OursMsg;
    fn handle(&mut self, msg: OursMsg, _: &mut Context<Self>) {
        match msg {
            OursMsg::Increment => self.0 += 1,
            OursMsg::Get(reply) => reply.send(self.0),
        }
    }
}

impl<const UNBOUNDED: bool> Counter for Ours<UNBOUNDED> {
    fn start() -> Self {
        let mailbox = if UNBOUNDED {
            Mailbox::Unbounded
        } else {
            Mailbox::default()
        };
        Self(
            ActorBuilder::new()
                .mailbox(mailbox)
                .spawn(OursActor(0))
                .unwrap(),
        )
    }
    fn increment(&self) {
        self.0.send(OursMsg::Increment).unwrap();
    }
    fn get(&self) -> u64 {
        self.0.ask(OursMsg::Get, PATIENCE).unwrap()
    }
}

impl<const UNBOUNDED: bool> Drop for Ours<UNBOUNDED> {
    fn drop(&mut self) {
        self.0.stop();
        self.0.join();
    }
}

// ---- actors written plainly: a thread, a mailbox, a reply channel per request

enum PlainMsg<C: Channels> {
    Increment,
    Get(C::Sender<u64>),
}

/// A counter actor written plainly on channels `C`.
struct Plain<C: Channels> {
    mailbox: Option<C::Sender<PlainMsg<C>>>,
    thread: Option<JoinHandle<()>>,
}

impl<C: Channels> Plain<C> {
    fn mailbox(&self) -> &C::Sender<PlainMsg<C>> {
        self.mailbox.as_ref().expect("the mailbox lives until drop")
    }
}

impl<C: Channels> Counter for Plain<C> {
    fn start() -> Self {
        let (mailbox, messages) = C::mailbox();
        let thread = thread::spawn(move || {
            let mut count = 0;
            for msg in messages {
                match msg {
                    PlainMsg::<C>::Increment => count += 1,
                    PlainMsg::Get(reply) => C::send(&reply, count),
                }
            }
        });
        Self {
            mailbox: Some(mailbox),
            thread: Some(thread),
        }
    }
    fn increment(&self) {
        C::send(self.mailbox(), PlainMsg::Increment);
    }
    fn get(&self) -> u64 {
        let (reply, answer) = C::oneshot();
        C::send(self.mailbox(), PlainMsg::Get(reply));
        C::recv(&answer)
    }
}

impl<C: Channels> Drop for Plain<C> {
    fn drop(&mut self) {
        drop(self.mailbox.take());
        self.thread.take().unwrap().join().unwrap();
    }
}

// ---- ractor on a tokio current-thread runtime

struct RactorCounter;

enum RactorMsg {
    Increment,
    Get(ractor::RpcReplyPort<u64>),
}

impl ractor::Actor for RactorCounter {
    type Msg = RactorMsg;
    type State = u64;
    type Arguments = ();

    async fn pre_start(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        (): (),
    ) -> Result<u64, ractor::ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ractor::ActorRef<RactorMsg>,
        msg: RactorMsg,
        count: &mut u64,
    ) -> Result<(), ractor::ActorProcessingErr> {
        match msg {
            RactorMsg::Increment => *count += 1,
            RactorMsg::Get(reply) => drop(reply.send(*count)),
        }
        Ok(())
    }
}

struct Ractor {
    actor: ractor::ActorRef<RactorMsg>,
    runtime: Option<JoinHandle<()>>,
}

impl Counter for Ractor {
    fn start() -> Self {
        let (actor_tx, actor_rx) = mpsc::channel();
        let runtime = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (actor, done) = ractor::Actor::spawn(None, RactorCounter, ()).await.unwrap();
                actor_tx.send(actor).unwrap();
                done.await.unwrap();
            });
        });
        Self {
            actor: actor_rx.recv().unwrap(),
            runtime: Some(runtime),
        }
    }
    fn increment(&self) {
        self.actor.cast(RactorMsg::Increment).unwrap();
    }
    fn get(&self) -> u64 {
        let (reply, answer) = ractor::concurrency::oneshot();
        self.actor.cast(RactorMsg::Get(reply.into())).unwrap();
        answer.blocking_recv().unwrap()
    }
}

impl Drop for Ractor {
    fn drop(&mut self) {
        self.actor.stop(None);
        self.runtime.take().unwrap().join().unwrap();
    }
}
