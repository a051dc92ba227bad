//! actorlite beside what a user would pick instead: the seed article's
//! std::mpsc actor, a crossbeam-channel actor written plainly, and ractor
//! (an established framework) on a tokio current-thread runtime.
//!
//! - `actor_tell`: each of N sender threads sends 100k increments, then a
//!   request/reply confirms they were handled (throughput until handled).
//!   Ours runs twice: with its default mailbox (bounded, 64: senders wait
//!   for the actor) and unbounded, as every peer's is.
//! - `actor_ask_round_trip`: N threads each ask for the count in turn
//!   (round trips per second; the latency percentiles are in
//!   `examples/paired.rs`).

use std::hint::black_box;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use actorlite::{ActorBuilder, ActorHandle, Context, Mailbox, Reply};
use criterion::{criterion_group, criterion_main, Criterion};
use fearless_benches::bench_on_threads;

/// Messages per criterion iteration, over all sender threads.
const TELLS: u64 = 100_000;
/// Round trips per thread per criterion iteration.
const ASKS: u64 = 1_000;
const PATIENCE: Duration = Duration::from_secs(30);

/// A counter actor, whatever its implementation.
trait Counter: Sync {
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

// ---- the seed article's actor: std::mpsc, a reply channel per request

enum SeedMsg {
    Increment,
    Get(mpsc::Sender<u64>),
}

struct Seed {
    sender: Option<mpsc::Sender<SeedMsg>>,
    thread: Option<JoinHandle<()>>,
}

impl Counter for Seed {
    fn start() -> Self {
        let (sender, receiver) = mpsc::channel();
        let thread = thread::spawn(move || {
            let mut count = 0;
            for msg in receiver {
                match msg {
                    SeedMsg::Increment => count += 1,
                    SeedMsg::Get(reply) => reply.send(count).unwrap(),
                }
            }
        });
        Self {
            sender: Some(sender),
            thread: Some(thread),
        }
    }
    fn increment(&self) {
        self.sender
            .as_ref()
            .unwrap()
            .send(SeedMsg::Increment)
            .unwrap();
    }
    fn get(&self) -> u64 {
        let (reply, answer) = mpsc::channel();
        self.sender
            .as_ref()
            .unwrap()
            .send(SeedMsg::Get(reply))
            .unwrap();
        answer.recv().unwrap()
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        drop(self.sender.take());
        self.thread.take().unwrap().join().unwrap();
    }
}

// ---- a crossbeam-channel actor, written plainly

enum PlainMsg {
    Increment,
    Get(crossbeam_channel::Sender<u64>),
}

struct Plain {
    sender: Option<crossbeam_channel::Sender<PlainMsg>>,
    thread: Option<JoinHandle<()>>,
}

impl Counter for Plain {
    fn start() -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let thread = thread::spawn(move || {
            let mut count = 0;
            for msg in receiver {
                match msg {
                    PlainMsg::Increment => count += 1,
                    PlainMsg::Get(reply) => reply.send(count).unwrap(),
                }
            }
        });
        Self {
            sender: Some(sender),
            thread: Some(thread),
        }
    }
    fn increment(&self) {
        self.sender
            .as_ref()
            .unwrap()
            .send(PlainMsg::Increment)
            .unwrap();
    }
    fn get(&self) -> u64 {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.sender
            .as_ref()
            .unwrap()
            .send(PlainMsg::Get(reply))
            .unwrap();
        answer.recv().unwrap()
    }
}

impl Drop for Plain {
    fn drop(&mut self) {
        drop(self.sender.take());
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

fn bench_counter<C: Counter>(c: &mut Criterion, name: &str) {
    // Each sender's share of TELLS; the count check proves all were handled.
    bench_on_threads(c, "actor_tell", name, TELLS, C::start, |counter, _, ops| {
        (0..ops).for_each(|_| counter.increment());
        black_box(counter.get());
    });
    bench_on_threads(
        c,
        "actor_ask_round_trip",
        name,
        ASKS,
        C::start,
        |counter, _, ops| {
            (0..ops).for_each(|_| {
                black_box(counter.get());
            });
        },
    );
}

fn actors(c: &mut Criterion) {
    bench_counter::<Ours<false>>(c, "actorlite::ActorHandle (bounded 64)");
    bench_counter::<Ours<true>>(c, "actorlite::ActorHandle (unbounded)");
    bench_counter::<Seed>(c, "seed std::mpsc actor");
    bench_counter::<Plain>(c, "crossbeam-channel actor");
    bench_counter::<Ractor>(c, "ractor (tokio current-thread)");
}

criterion_group!(benches, actors);
criterion_main!(benches);
