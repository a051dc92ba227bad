//! Paired comparisons for a noisy machine: ours and the closest peer take
//! turns, one round each, in one process, so that both see the same machine
//! state; criterion measures one implementation after another, and on our
//! 2-core VM throughput swings up to 3x between modes lasting seconds.
//!
//! `cargo run --release -p fearless-benches --example paired [ROUNDS]`
//!
//! Prints, per scenario and thread count, the p10/p50/p90 of each side's
//! per-round throughput (M items/s) and the ratio of the medians; for the
//! actors' ask round trip, the p50/p99/p99.9 latency of every ask.

use std::hint::black_box;
use std::time::Instant;

use actorlite::{spawn, Actor, Context, Reply};
use channels_patterns::{BoundedQueue, WorkerPool};
use fearless_benches::{thread_counts, time_on_threads, trivial};

const POOL_JOBS: u64 = 100_000;
const MPMC_PER_PRODUCER: u64 = 20_000;
const MPMC_CAPACITY: usize = 1_024;

/// p10, p50, p90 of `samples`.
fn percentiles(mut samples: Vec<f64>) -> [f64; 3] {
    samples.sort_by(f64::total_cmp);
    let at = |p: usize| samples[(samples.len() - 1) * p / 100];
    [at(10), at(50), at(90)]
}

fn report(scenario: &str, threads: usize, ours: (&str, Vec<f64>), peer: (&str, Vec<f64>)) {
    let (a, b) = (percentiles(ours.1), percentiles(peer.1));
    println!(
        "{scenario} t{threads}: {} {:.1}/{:.1}/{:.1} | {} {:.1}/{:.1}/{:.1} | ratio of medians {:.2}",
        ours.0, a[0], a[1], a[2], peer.0, b[0], b[1], b[2], a[1] / b[1]
    );
}

fn pool(rounds: usize, workers: usize) {
    let (pool, results) = WorkerPool::new(workers, trivial as fn(u64) -> u64).unwrap();
    let (jobs, queue) = crossbeam_channel::unbounded::<u64>();
    let (results_tx, peer_results) = crossbeam_channel::unbounded::<u64>();
    let peer_workers: Vec<_> = (0..workers)
        .map(|_| {
            let (queue, results_tx) = (queue.clone(), results_tx.clone());
            std::thread::spawn(move || {
                queue
                    .iter()
                    .for_each(|job| results_tx.send(trivial(job)).unwrap())
            })
        })
        .collect();
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        (0..POOL_JOBS).for_each(|job| {
            let _ = pool.submit(job).unwrap();
        });
        (0..POOL_JOBS).for_each(|_| {
            let _ = black_box(results.recv().unwrap());
        });
        ours.push(POOL_JOBS as f64 / started.elapsed().as_secs_f64() / 1e6);
        let started = Instant::now();
        (0..POOL_JOBS).for_each(|job| jobs.send(job).unwrap());
        (0..POOL_JOBS).for_each(|_| {
            black_box(peer_results.recv().unwrap());
        });
        peer.push(POOL_JOBS as f64 / started.elapsed().as_secs_f64() / 1e6);
    }
    drop(jobs);
    peer_workers.into_iter().for_each(|w| w.join().unwrap());
    report(
        "pool_trivial_jobs",
        workers,
        ("WorkerPool", ours),
        ("crossbeam-channel pool", peer),
    );
}

fn mpmc_round<P: Fn(u64) + Sync, C: Fn() + Sync>(pairs: usize, push: P, pop: C) -> f64 {
    let elapsed = time_on_threads(2 * pairs, |thread| {
        if thread < pairs {
            (0..MPMC_PER_PRODUCER).for_each(&push);
        } else {
            (0..MPMC_PER_PRODUCER).for_each(|_| pop());
        }
    });
    (pairs as u64 * MPMC_PER_PRODUCER) as f64 / elapsed.as_secs_f64() / 1e6
}

fn mpmc(rounds: usize, pairs: usize) {
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let queue = BoundedQueue::new(MPMC_CAPACITY).unwrap();
        ours.push(mpmc_round(
            pairs,
            |v| queue.push(v).unwrap(),
            || {
                black_box(queue.pop().unwrap());
            },
        ));
        let (sender, receiver) = crossbeam_channel::bounded(MPMC_CAPACITY);
        peer.push(mpmc_round(
            pairs,
            |v| sender.send(v).unwrap(),
            || {
                black_box(receiver.recv().unwrap());
            },
        ));
    }
    report(
        "mpmc_bounded",
        pairs,
        ("BoundedQueue", ours),
        ("crossbeam-channel bounded", peer),
    );
}

/// Asks per round in the actor comparison.
const ASKS_PER_ROUND: usize = 1_000;

struct Counter(u64);

impl Actor for Counter {
    type Message = Reply<u64>;
    fn handle(&mut self, reply: Reply<u64>, _: &mut Context<Self>) {
        self.0 += 1;
        reply.send(self.0);
    }
}

/// Latency percentiles in microseconds.
fn latency(mut nanos: Vec<u64>) -> [f64; 3] {
    nanos.sort_unstable();
    let at = |per_mille: usize| nanos[(nanos.len() - 1) * per_mille / 1000] as f64 / 1e3;
    [at(500), at(990), at(999)]
}

/// Ask round trips: actorlite against the seed article's std::mpsc actor
/// (a reply channel per request), alternating rounds.
fn ask(rounds: usize) {
    let ours = spawn(Counter(0));
    let (seed, seed_mailbox) = std::sync::mpsc::channel::<std::sync::mpsc::Sender<u64>>();
    let seed_actor = std::thread::spawn(move || {
        let mut count = 0;
        for reply in seed_mailbox {
            count += 1;
            reply.send(count).unwrap();
        }
    });
    let (mut ours_nanos, mut seed_nanos) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for _ in 0..ASKS_PER_ROUND {
            let started = Instant::now();
            black_box(
                ours.ask(|reply| reply, std::time::Duration::from_secs(10))
                    .unwrap(),
            );
            ours_nanos.push(started.elapsed().as_nanos() as u64);
        }
        for _ in 0..ASKS_PER_ROUND {
            let started = Instant::now();
            let (reply, answer) = std::sync::mpsc::channel();
            seed.send(reply).unwrap();
            black_box(answer.recv().unwrap());
            seed_nanos.push(started.elapsed().as_nanos() as u64);
        }
    }
    drop(seed);
    seed_actor.join().unwrap();
    ours.stop();
    ours.join();
    let (a, b) = (latency(ours_nanos), latency(seed_nanos));
    println!(
        "actor_ask latency µs p50/p99/p99.9: actorlite {:.1}/{:.1}/{:.1} | seed std::mpsc actor {:.1}/{:.1}/{:.1} | p50 ratio {:.2}",
        a[0], a[1], a[2], b[0], b[1], b[2], a[0] / b[0]
    );
}

/// Increments per sender per round in the tell comparison.
const TELLS_PER_SENDER: u64 = 100_000;

struct Tally(u64);

enum TallyMsg {
    Add,
    Get(Reply<u64>),
}

impl Actor for Tally {
    type Message = TallyMsg;
    fn handle(&mut self, msg: TallyMsg, _: &mut Context<Self>) {
        match msg {
            TallyMsg::Add => self.0 += 1,
            TallyMsg::Get(reply) => reply.send(self.0),
        }
    }
}

enum PlainMsg {
    Add,
    Get(crossbeam_channel::Sender<u64>),
}

/// Tell throughput until handled: actorlite with an unbounded mailbox (as
/// the peer's) against a plain crossbeam-channel actor, alternating rounds.
fn tell(rounds: usize, senders: usize) {
    let ours = actorlite::ActorBuilder::new()
        .mailbox(actorlite::Mailbox::Unbounded)
        .spawn(Tally(0))
        .unwrap();
    let (plain, plain_mailbox) = crossbeam_channel::unbounded::<PlainMsg>();
    let plain_actor = std::thread::spawn(move || {
        let mut count = 0_u64;
        for msg in plain_mailbox {
            match msg {
                PlainMsg::Add => count += 1,
                PlainMsg::Get(reply) => reply.send(count).unwrap(),
            }
        }
    });
    let total = senders as u64 * TELLS_PER_SENDER;
    let (mut ours_rate, mut plain_rate) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let elapsed = time_on_threads(senders, |_| {
            (0..TELLS_PER_SENDER).for_each(|_| ours.send(TallyMsg::Add).unwrap());
            black_box(
                ours.ask(TallyMsg::Get, std::time::Duration::from_secs(60))
                    .unwrap(),
            );
        });
        ours_rate.push(total as f64 / elapsed.as_secs_f64() / 1e6);
        let elapsed = time_on_threads(senders, |_| {
            (0..TELLS_PER_SENDER).for_each(|_| plain.send(PlainMsg::Add).unwrap());
            let (reply, answer) = crossbeam_channel::bounded(1);
            plain.send(PlainMsg::Get(reply)).unwrap();
            black_box(answer.recv().unwrap());
        });
        plain_rate.push(total as f64 / elapsed.as_secs_f64() / 1e6);
    }
    drop(plain);
    plain_actor.join().unwrap();
    ours.stop();
    ours.join();
    report(
        "actor_tell",
        senders,
        ("actorlite (unbounded)", ours_rate),
        ("crossbeam-channel actor", plain_rate),
    );
}

fn main() {
    let rounds = std::env::args()
        .nth(1)
        .map_or(100, |n| n.parse().expect("ROUNDS is a number"));
    for threads in thread_counts() {
        pool(rounds, threads);
    }
    for threads in thread_counts() {
        mpmc(rounds, threads);
    }
    for senders in thread_counts() {
        tell(rounds / 5 + 1, senders);
    }
    ask(rounds / 10 + 1);
}
