//! actorlite beside what a user would pick instead: the seed article's
//! std::mpsc actor, a crossbeam-channel actor written plainly, and ractor
//! (an established framework) on a tokio current-thread runtime. Every
//! contender is a counter actor, started afresh for each run.
//!
//! - `actor_tell`: each of N sender threads sends 100k increments, then a
//!   request/reply confirms they were handled (throughput until handled;
//!   the count it returns is checked). Ours runs twice: with its default
//!   mailbox (bounded, 64: senders wait for the actor) and unbounded, as
//!   every peer's is.
//! - `actor_ask_round_trip`: N threads each ask for the count in turn
//!   (round trips per second).

use std::hint::black_box;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use actorlite::{ActorBuilder, ActorHandle, Context, Mailbox, Reply};

use super::plain_channels::{Channels, Crossbeam, StdMpsc};
use crate::scenario::{Implementation, Scenario, Size};

const PATIENCE: Duration = Duration::from_secs(30);

/// A counter actor, whatever its implementation.
trait Counter: Sync + 'static {
    fn start() -> Self;
    fn increment(&self);
    /// A request/reply round trip: the count.
    fn get(&self) -> u64;
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
        let (mailbox, messages) = C::unbounded();
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

// ---- the scenarios

/// What a scenario does with a counter actor, for any contender.
trait Workload {
    const SCENARIO: &'static str;
    fn implementation<C: Counter>(&self, name: &str) -> Implementation;
}

/// Each sender's `0` increments per batch, then a round trip that must see
/// them all handled.
struct Tell(u64);

impl Workload for Tell {
    const SCENARIO: &'static str = "actor_tell";
    fn implementation<C: Counter>(&self, name: &str) -> Implementation {
        let tell = |counter: &C, _, ops| {
            (0..ops).for_each(|_| counter.increment());
            assert!(counter.get() >= ops, "the actor lost increments");
        };
        Implementation::on_threads(name, self.0, C::start, tell, |_, _| {})
    }
}

/// `0` round trips per thread per batch.
struct Ask(u64);

impl Workload for Ask {
    const SCENARIO: &'static str = "actor_ask_round_trip";
    fn implementation<C: Counter>(&self, name: &str) -> Implementation {
        let ask = |counter: &C, _, ops| {
            (0..ops).for_each(|_| {
                black_box(counter.get());
            });
        };
        Implementation::on_threads(name, self.0, C::start, ask, |_, _| {})
    }
}

fn scenario<W: Workload>(workload: &W) -> Scenario {
    Scenario {
        name: W::SCENARIO,
        implementations: vec![
            workload.implementation::<Ours<false>>("actorlite::ActorHandle (bounded 64)"),
            workload.implementation::<Ours<true>>("actorlite::ActorHandle (unbounded)"),
            workload.implementation::<Plain<StdMpsc>>("seed std::mpsc actor"),
            workload.implementation::<Plain<Crossbeam>>("crossbeam-channel actor"),
            workload.implementation::<Ractor>("ractor (tokio current-thread)"),
        ],
    }
}

pub(super) fn scenarios(size: Size) -> Vec<Scenario> {
    vec![
        scenario(&Tell(size.pick(100_000, 1_000))),
        scenario(&Ask(size.pick(1_000, 100))),
    ]
}
