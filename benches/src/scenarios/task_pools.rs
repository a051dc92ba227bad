//! The pools that run closures, behind one trait: ours (cache-kit's
//! `WorkStealingPool`), rayon's, the `threadpool` crate, and the simplest
//! pool a user writes (threads sharing one `Mutex<VecDeque>` of boxed
//! jobs).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use cache_kit::WorkStealingPool;

type Job = Box<dyn FnOnce() + Send>;

/// The jobs, a closed flag, and the condition variable idle threads wait on.
type SharedQueue = (Mutex<(VecDeque<Job>, bool)>, Condvar);

/// The pool users write first: one queue behind one lock.
pub(super) struct MutexPool {
    shared: Arc<SharedQueue>,
    threads: Vec<JoinHandle<()>>,
}

impl MutexPool {
    fn new(threads: usize) -> Self {
        let shared: Arc<SharedQueue> = Arc::default();
        let threads = (0..threads)
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || loop {
                    let job = {
                        let mut queue = shared.0.lock().unwrap();
                        loop {
                            if let Some(job) = queue.0.pop_front() {
                                break job;
                            }
                            if queue.1 {
                                return;
                            }
                            queue = shared.1.wait(queue).unwrap();
                        }
                    };
                    job();
                })
            })
            .collect();
        Self { shared, threads }
    }

    pub(super) fn spawn(&self, job: impl FnOnce() + Send + 'static) {
        self.shared.0.lock().unwrap().0.push_back(Box::new(job));
        self.shared.1.notify_one();
    }
}

impl Drop for MutexPool {
    fn drop(&mut self) {
        self.shared.0.lock().unwrap().1 = true;
        self.shared.1.notify_all();
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// What the scenarios need of a pool that runs closures: starting it, and
/// spawning a detached task (generic, so that no pool pays for a box it
/// would not make itself).
pub(super) trait TaskPool: 'static {
    fn start(threads: usize) -> Self;
    fn spawn_task(&self, task: impl FnOnce() + Send + 'static);
    /// Waits for the workers, before the pool is dropped (nothing for
    /// pools whose drop does).
    fn finish(&self) {}
}

impl TaskPool for WorkStealingPool {
    fn start(threads: usize) -> Self {
        WorkStealingPool::new(threads).unwrap()
    }
    fn spawn_task(&self, task: impl FnOnce() + Send + 'static) {
        self.spawn(task).unwrap();
    }
}

impl TaskPool for rayon::ThreadPool {
    fn start(threads: usize) -> Self {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }
    fn spawn_task(&self, task: impl FnOnce() + Send + 'static) {
        self.spawn(task);
    }
}

/// Shared, so that the tree's tasks can spawn their children.
impl TaskPool for Arc<MutexPool> {
    fn start(threads: usize) -> Self {
        Arc::new(MutexPool::new(threads))
    }
    fn spawn_task(&self, task: impl FnOnce() + Send + 'static) {
        self.spawn(task);
    }
}

impl TaskPool for threadpool::ThreadPool {
    fn start(threads: usize) -> Self {
        threadpool::ThreadPool::new(threads)
    }
    fn spawn_task(&self, task: impl FnOnce() + Send + 'static) {
        self.execute(task);
    }
    fn finish(&self) {
        self.join();
    }
}
