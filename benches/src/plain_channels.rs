//! The two channel libraries that the peers written plainly (the seed
//! article's pool and actor, the crossbeam-channel pool and actor) are
//! built on, behind one trait, so that each such peer is written once.

use std::sync::{mpsc, Arc, Mutex};

/// A channel library.
pub(crate) trait Channels: 'static {
    type Sender<T: Send + 'static>: Send + Sync + Clone;
    type Receiver<T: Send + 'static>: Send + IntoIterator<Item = T>;
    /// A channel without a bound: a job queue, a results channel.
    fn unbounded<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>);
    /// An actor's mailbox: unbounded, unless the library says otherwise.
    fn mailbox<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        Self::unbounded()
    }
    /// A reply channel, for one value.
    fn oneshot<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>);
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, value: T);
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> T;
    /// One way per worker thread to take values from `receiver`, until
    /// every sender is gone.
    fn share<T: Send + 'static>(receiver: Self::Receiver<T>, workers: usize) -> Vec<Shared<T>>;
}

/// A worker's way into a shared receiver.
pub(crate) type Shared<T> = Box<dyn Iterator<Item = T> + Send>;

/// std's mpsc, as the seed article uses it: a reply channel per request,
/// and workers sharing the receiver behind a `Mutex`.
pub(crate) struct StdMpsc;

impl Channels for StdMpsc {
    type Sender<T: Send + 'static> = mpsc::Sender<T>;
    type Receiver<T: Send + 'static> = mpsc::Receiver<T>;
    fn unbounded<T: Send + 'static>() -> (mpsc::Sender<T>, mpsc::Receiver<T>) {
        mpsc::channel()
    }
    fn oneshot<T: Send + 'static>() -> (mpsc::Sender<T>, mpsc::Receiver<T>) {
        mpsc::channel()
    }
    fn send<T: Send + 'static>(sender: &mpsc::Sender<T>, value: T) {
        sender.send(value).unwrap();
    }
    fn recv<T: Send + 'static>(receiver: &mpsc::Receiver<T>) -> T {
        receiver.recv().unwrap()
    }
    fn share<T: Send + 'static>(receiver: mpsc::Receiver<T>, workers: usize) -> Vec<Shared<T>> {
        let receiver = Arc::new(Mutex::new(receiver));
        (0..workers)
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                // The lock is held while waiting, as in the article.
                Box::new(std::iter::from_fn(move || {
                    receiver.lock().unwrap().recv().ok()
                })) as Shared<T>
            })
            .collect()
    }
}

/// crossbeam-channel: a `bounded(1)` reply, and an MPMC receiver cloned
/// for each worker.
pub(crate) struct Crossbeam;

impl Channels for Crossbeam {
    type Sender<T: Send + 'static> = crossbeam_channel::Sender<T>;
    type Receiver<T: Send + 'static> = crossbeam_channel::Receiver<T>;
    fn unbounded<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        crossbeam_channel::unbounded()
    }
    fn oneshot<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        crossbeam_channel::bounded(1)
    }
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, value: T) {
        sender.send(value).unwrap();
    }
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> T {
        receiver.recv().unwrap()
    }
    fn share<T: Send + 'static>(receiver: Self::Receiver<T>, workers: usize) -> Vec<Shared<T>> {
        (0..workers)
            .map(|_| Box::new(receiver.clone().into_iter()) as Shared<T>)
            .collect()
    }
}

/// crossbeam-channel with a `bounded(64)` mailbox: the peer of an actor
/// with actorlite's default mailbox (senders wait while 64 are queued).
pub(crate) struct CrossbeamBounded64;

impl Channels for CrossbeamBounded64 {
    type Sender<T: Send + 'static> = crossbeam_channel::Sender<T>;
    type Receiver<T: Send + 'static> = crossbeam_channel::Receiver<T>;
    fn unbounded<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        Crossbeam::unbounded()
    }
    fn mailbox<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        crossbeam_channel::bounded(64)
    }
    fn oneshot<T: Send + 'static>() -> (Self::Sender<T>, Self::Receiver<T>) {
        Crossbeam::oneshot()
    }
    fn send<T: Send + 'static>(sender: &Self::Sender<T>, value: T) {
        Crossbeam::send(sender, value);
    }
    fn recv<T: Send + 'static>(receiver: &Self::Receiver<T>) -> T {
        Crossbeam::recv(receiver)
    }
    fn share<T: Send + 'static>(receiver: Self::Receiver<T>, workers: usize) -> Vec<Shared<T>> {
        Crossbeam::share(receiver, workers)
    }
}
