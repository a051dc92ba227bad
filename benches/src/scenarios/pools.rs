//! The worker pools of the pool scenarios: ours and four a user would pick
//! instead (the seed article's, a crossbeam-channel one, the `threadpool`
//! crate, rayon's `spawn`), behind one trait. Every one of them applies one function to
//! `u64` jobs and delivers every result to the submitter on a channel, as
//! `WorkerPool` does.

use std::hint::black_box;
use std::thread::JoinHandle;

use channels_patterns::{Results, WorkerPool};

use super::task_pools::TaskPool;
use crate::plain_channels::Channels;

/// A pool that applies one function to `u64` jobs and hands every result
/// back to the submitter.
pub(super) trait Pool {
    /// Starts `workers` workers applying `f`.
    fn start(workers: usize, f: fn(u64) -> u64) -> Self;
    fn submit(&self, job: u64);
    /// Waits for the next result.
    fn recv(&self) -> u64;
}

/// Submits `jobs` jobs and waits for all their results.
pub(super) fn run_batch<P: Pool>(pool: &P, jobs: u64) {
    for job in 0..jobs {
        pool.submit(job);
    }
    for _ in 0..jobs {
        black_box(pool.recv());
    }
}

/// `channels_patterns::WorkerPool`.
pub(super) struct Ours {
    pool: WorkerPool<u64, u64>,
    results: Results<u64>,
}

impl Pool for Ours {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (pool, results) = WorkerPool::new(workers, f).unwrap();
        Self { pool, results }
    }
    fn submit(&self, job: u64) {
        self.pool.submit(job).unwrap();
    }
    fn recv(&self) -> u64 {
        self.results.recv().unwrap().1.unwrap()
    }
}

/// Workers taking jobs from one channel and sending their results on
/// another, written plainly on channels `C`: with std's mpsc the seed
/// article's pool (the workers share the receiver behind a `Mutex`), with
/// crossbeam-channel an MPMC pool.
pub(super) struct ChannelPool<C: Channels> {
    jobs: Option<C::Sender<u64>>,
    results: C::Receiver<u64>,
    threads: Vec<JoinHandle<()>>,
}

impl<C: Channels> Pool for ChannelPool<C> {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (jobs, queue) = C::unbounded();
        let (results_tx, results) = C::unbounded();
        let threads = C::share(queue, workers)
            .into_iter()
            .map(|jobs| {
                let results_tx = results_tx.clone();
                std::thread::spawn(move || jobs.for_each(|job| C::send(&results_tx, f(job))))
            })
            .collect();
        Self {
            jobs: Some(jobs),
            results,
            threads,
        }
    }
    fn submit(&self, job: u64) {
        C::send(
            self.jobs.as_ref().expect("the sender lives until drop"),
            job,
        );
    }
    fn recv(&self) -> u64 {
        C::recv(&self.results)
    }
}

impl<C: Channels> Drop for ChannelPool<C> {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// A pool that runs closures as a pool of jobs: each job a closure that
/// sends its result on a channel of `C`.
pub(super) struct ClosurePool<P: TaskPool, C: Channels> {
    pool: P,
    f: fn(u64) -> u64,
    results_tx: C::Sender<u64>,
    results: C::Receiver<u64>,
}

impl<P: TaskPool, C: Channels> Pool for ClosurePool<P, C> {
    fn start(workers: usize, f: fn(u64) -> u64) -> Self {
        let (results_tx, results) = C::unbounded();
        Self {
            pool: P::start(workers),
            f,
            results_tx,
            results,
        }
    }
    fn submit(&self, job: u64) {
        let (f, results_tx) = (self.f, self.results_tx.clone());
        self.pool.spawn_task(move || C::send(&results_tx, f(job)));
    }
    fn recv(&self) -> u64 {
        C::recv(&self.results)
    }
}

impl<P: TaskPool, C: Channels> Drop for ClosurePool<P, C> {
    fn drop(&mut self) {
        self.pool.finish();
    }
}
