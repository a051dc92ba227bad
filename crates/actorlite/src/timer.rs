//! Timers: one thread for the whole process, started when the first timer
//! is set and gone again once none has been pending for a second, sends
//! every timer's
//! messages. It also retries the monitor notifications that found their
//! watcher's mailbox full, so that no notification ever blocks a thread.
//!
//! The thread waits on a binary heap of due times under a mutex and a
//! condvar. It never blocks on a mailbox: a message that finds one full is
//! retried later (after 1 ms, doubling up to 64 ms), until it gets in or the
//! actor stops (then it is counted in `ActorStats::undelivered`). A timer's
//! own state sits under its own mutex, and its message goes into the
//! mailbox only while that lock is held and the timer is not cancelled: a
//! `cancel` that took the lock after that send, and none can come after.
//! While the timer thread holds a timer's message or closure outside that
//! lock (building a tick, sending), the timer is marked firing, and a
//! `cancel` waits until it is done: nothing is sent after it returns, and a
//! tick built meanwhile is handed back to it, to drop. What the timer
//! thread drops itself (a message it could not deliver, its actor
//! stopping; a closure that panicked), it drops after the firing ended: a
//! `Drop` is user code that may wait for the cancelling thread, and a
//! `cancel` waiting for it deadlocked with it (and stopped every timer of
//! the process).
//! No user code runs under either lock: a message built by an interval's
//! closure is built outside them, and every message, closure or panic
//! payload is dropped outside them (catching a panic).

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fmt;
use std::io;
use std::sync::{Arc, OnceLock};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crate::errors::TrySendError;
use crate::shared::{catching, drop_catching, Shared};
use crate::sync::{AtomicBool, Condvar, Mutex, MutexGuard, Ordering};

/// The first wait before retrying a message that found a full mailbox.
const FIRST_RETRY: Duration = Duration::from_millis(1);
/// The longest wait between retries.
const LAST_RETRY: Duration = Duration::from_millis(64);

/// How long the timer thread waits with nothing pending before it leaves.
const IDLE_LINGER: Duration = Duration::from_secs(1);

/// Something the timer thread runs when it falls due: returns when it
/// wants to run again (`None`: never). Implementations catch user panics.
trait Due: Send + Sync {
    fn fire(&self, now: Instant) -> Option<Instant>;

    /// Whether the timer was cancelled, with nothing of it left: its heap
    /// entry may go before it falls due. Read under the queue's lock,
    /// without the timer's.
    fn cancelled(&self) -> bool;
}

/// What a `TimerHandle` can do to its timer.
trait Cancel: Send + Sync {
    /// Stops the timer; `true` if it had something left to send.
    fn cancel(&self) -> bool;
}

struct Entry {
    due: Instant,
    /// Ties broken by the order they were scheduled in.
    seq: u64,
    timer: Arc<dyn Due>,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: `BinaryHeap` is a max-heap, and the earliest is wanted.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

struct Queue {
    heap: BinaryHeap<Entry>,
    /// Timers cancelled since the heap was last purged of them: their
    /// entries stay until due or purged ([`purge_cancelled`]).
    cancelled: usize,
    next_seq: u64,
    /// Whether a timer thread is running (it clears this as it leaves,
    /// under the lock, when the heap is empty).
    running: bool,
}

struct Service {
    queue: Mutex<Queue>,
    /// Signalled when an entry earlier than every other is pushed.
    changed: Condvar,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| Service {
        queue: Mutex::new(Queue {
            heap: BinaryHeap::new(),
            cancelled: 0,
            next_seq: 0,
            running: false,
        }),
        changed: Condvar::new(),
    })
}

/// Puts `timer` on the heap for `due`, starting the timer thread if none
/// runs. On an error (no thread could be started) the entry stays queued,
/// for the next thread; the caller cancels what it must not send.
fn schedule(due: Instant, timer: Arc<dyn Due>) -> io::Result<()> {
    let service = service();
    let mut queue = service.queue.lock();
    let seq = queue.next_seq;
    queue.next_seq += 1;
    queue.heap.push(Entry { due, seq, timer });
    let earliest = queue.heap.peek().is_some_and(|first| first.seq == seq);
    if queue.running {
        if earliest {
            service.changed.notify_one();
        }
        return Ok(());
    }
    queue.running = true;
    drop(queue);
    let started = thread::Builder::new()
        .name("actorlite-timers".to_owned())
        .stack_size(STACK)
        .spawn(run);
    if let Err(error) = started {
        service.queue.lock().running = false;
        return Err(error);
    }
    Ok(())
}

/// Counts one more cancelled timer, and once cancelled entries may be half
/// the heap, takes them all out: a program that re-arms a long timer on
/// every message (an inactivity timeout) keeps at most about as many dead
/// entries as live ones, instead of every one until its due time, and the
/// timer thread leaves a second after the last live timer is cancelled.
/// The entries go after the lock is released (they hold nothing: a timer
/// is marked cancelled once it has let go of its message and actor).
fn purge_cancelled() {
    let service = service();
    let mut queue = service.queue.lock();
    queue.cancelled += 1;
    if queue.cancelled <= queue.heap.len() / 2 {
        return;
    }
    queue.cancelled = 0;
    let (gone, kept): (Vec<Entry>, Vec<Entry>) = std::mem::take(&mut queue.heap)
        .into_vec()
        .into_iter()
        .partition(|entry| entry.timer.cancelled());
    queue.heap = BinaryHeap::from(kept);
    // The thread may be waiting for an entry that is gone: it looks again
    // (and, with none left, lingers and leaves).
    service.changed.notify_one();
    drop(queue);
    drop(gone);
}

/// The timer thread: fires what is due, sleeps until the next, leaves when
/// nothing is pending.
fn run() {
    let service = service();
    let _leaving = Leaving(service);
    let mut due = Vec::new();
    loop {
        let mut queue = service.queue.lock();
        let now = loop {
            let Some(first) = queue.heap.peek() else {
                // Idle: linger a while, so that timers set one after the
                // other (an actor re-arming its own) do not each start a
                // thread; leave if none comes.
                let (back, timed_out) = service.changed.wait_timeout(queue, IDLE_LINGER);
                queue = back;
                if timed_out && queue.heap.is_empty() {
                    queue.running = false;
                    return;
                }
                continue;
            };
            let now = Instant::now();
            if first.due <= now {
                break now;
            }
            let wait = first.due - now;
            queue = service.changed.wait_timeout(queue, wait).0;
        };
        while queue.heap.peek().is_some_and(|first| first.due <= now) {
            due.extend(queue.heap.pop());
        }
        drop(queue);
        for entry in due.drain(..) {
            // `fire` catches user code's panics; one of ours loses only
            // this entry.
            if let Ok(Some(next)) = catching(|| entry.timer.fire(now)) {
                let mut queue = service.queue.lock();
                let seq = queue.next_seq;
                queue.next_seq += 1;
                queue.heap.push(Entry {
                    due: next,
                    seq,
                    timer: entry.timer,
                });
            }
        }
    }
}

/// Should the timer thread unwind (a bug of ours), the next schedule
/// starts a new one.
struct Leaving(&'static Service);

impl Drop for Leaving {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.queue.lock().running = false;
        }
    }
}

/// A timer's state, under the timer's own lock.
struct State<M: Send + 'static> {
    /// The actor to send to; let go (and with it the actor's memory) once
    /// the timer is done or cancelled, not when its entry leaves the heap.
    target: Option<Arc<Shared<M>>>,
    /// The message to send next: a one-shot's, or an interval's tick that
    /// found the mailbox full.
    message: Option<M>,
    /// An interval's message maker (out of the state while it runs).
    make: Option<Box<dyn FnMut() -> M + Send>>,
    /// An interval's period.
    period: Option<Duration>,
    /// When the message now pending fell due.
    due: Instant,
    /// The next wait for a full mailbox.
    retry: Duration,
    /// Cancelled, or nothing left to send.
    done: bool,
    /// The timer thread, while it holds this timer's message or closure
    /// outside the lock (building a tick, sending, dropping): a `cancel`
    /// waits until it is done with them.
    firing: Option<ThreadId>,
    /// A `cancel` (on another thread) waits for the firing to end: a tick
    /// built meanwhile, and the closure, are handed back to it, to drop.
    cancel_waiting: bool,
}

/// What a [`Timer`] carries, named in `last_panic` when its `Drop` panics.
#[derive(Clone, Copy)]
enum Carries {
    TimerMessage,
    /// A monitor notification that found the watcher's mailbox full
    /// ([`retry`]).
    Notification,
}

impl Carries {
    fn undelivered(self) -> &'static str {
        match self {
            Self::TimerMessage => "an undelivered timer message",
            Self::Notification => "an undelivered monitor notification",
        }
    }

    fn never_due(self) -> &'static str {
        match self {
            Self::TimerMessage => "a timer message that never fell due",
            Self::Notification => "a monitor notification that was never retried",
        }
    }
}

/// A timer (or a monitor notification waiting for room) for `target`.
struct Timer<M: Send + 'static> {
    /// What its message is, for `last_panic`.
    carries: Carries,
    state: Mutex<State<M>>,
    /// Signalled when the timer thread is done firing.
    fired: Condvar,
    /// Set by `cancel` once it has let go of everything (see
    /// [`Due::cancelled`]).
    cancelled: AtomicBool,
}

impl<M: Send + 'static> Timer<M> {
    fn new(
        (target, carries): (Arc<Shared<M>>, Carries),
        message: Option<M>,
        make: Option<Box<dyn FnMut() -> M + Send>>,
        period: Option<Duration>,
        due: Instant,
    ) -> Arc<Self> {
        Arc::new(Self {
            carries,
            state: Mutex::new(State {
                target: Some(target),
                message,
                make,
                period,
                due,
                retry: FIRST_RETRY,
                done: false,
                firing: None,
                cancel_waiting: false,
            }),
            fired: Condvar::new(),
            cancelled: AtomicBool::new(false),
        })
    }

    /// The message to send now, with its target: the pending one, or a
    /// fresh tick built outside the lock. `None` if the timer is done.
    /// Marks the timer as firing on this thread (see [`Due::fire`]).
    fn next_message(&self) -> Option<(M, Arc<Shared<M>>)> {
        let mut state = self.state.lock();
        if state.done {
            return None;
        }
        let target = Arc::clone(state.target.as_ref()?);
        state.firing = Some(thread::current().id());
        if let Some(message) = state.message.take() {
            return Some((message, target));
        }
        let Some(mut make) = state.make.take() else {
            state.done = true;
            return None;
        };
        drop(state);
        let built = catching(&mut make);
        let mut state = self.state.lock();
        if state.done {
            // Cancelled while the tick was built: nothing is sent.
            if state.cancel_waiting {
                // The cancel drops them, on its own thread, before it
                // returns.
                state.message = built.ok();
                state.make = Some(make);
                self.end_firing(state);
            } else {
                // Cancelled by this very thread (the closure, a `Drop`):
                // nobody waits.
                self.end_firing(state);
                if let Ok(message) = built {
                    drop_message(&target, message, "a cancelled timer's message");
                }
                drop_maker(&target, make);
            }
            return None;
        }
        match built {
            Ok(message) => {
                state.make = Some(make);
                Some((message, target))
            }
            Err(panic) => {
                // The interval ends: its maker cannot be trusted.
                state.done = true;
                self.end_firing(state);
                target.record_panic(&format!("a timer's message closure panicked: {panic}"));
                drop_maker(&target, make);
                None
            }
        }
    }

    /// Ends this thread's firing (see [`next_message`](Self::next_message))
    /// and wakes a `cancel` waiting for it. A tick built as the timer was
    /// cancelled goes back to that `cancel` first, to drop. What the timer
    /// thread drops itself (a message that cannot be delivered, its actor
    /// stopping; a closure that panicked), it drops after this: their
    /// `Drop` is user code that may wait for the very thread that cancels
    /// (to join its actor, say), and a `cancel` waiting for that drop
    /// deadlocked with it, and with it the process's one timer thread (a
    /// break run).
    fn end_firing(&self, mut state: MutexGuard<'_, State<M>>) {
        state.firing = None;
        drop(state);
        self.fired.notify_all();
    }

    /// Sends the message due, if any: [`Due::fire`] less the end of the
    /// firing.
    fn send_due(&self, now: Instant) -> Option<Instant> {
        let (message, target) = self.next_message()?;
        let mut state = self.state.lock();
        if state.done {
            // Cancelled while the tick was built: as in `next_message`.
            if state.cancel_waiting {
                state.message = Some(message);
                self.end_firing(state);
            } else {
                self.end_firing(state);
                drop_message(&target, message, "a cancelled timer's message");
            }
            return None;
        }
        // Sent under the timer's lock, so that a `cancel` that returned
        // was either before (nothing sent) or after (sent already).
        // `try_send` runs no user code: the message is only moved.
        match target.try_send(message) {
            Ok(()) => {
                state.retry = FIRST_RETRY;
                let Some(period) = state.period else {
                    state.done = true;
                    return None;
                };
                // Ticks missed while one waited for room are skipped.
                let mut next = state.due.checked_add(period)?;
                if next <= now {
                    next = now.checked_add(period)?;
                }
                state.due = next;
                Some(next)
            }
            Err(TrySendError::Full(message)) => {
                state.message = Some(message);
                let wait = state.retry;
                state.retry = (wait * 2).min(LAST_RETRY);
                now.checked_add(wait)
            }
            Err(TrySendError::Closed(message)) => {
                state.done = true;
                let make = state.make.take();
                self.end_firing(state);
                target.count_undelivered();
                drop_message(&target, message, self.carries.undelivered());
                if let Some(make) = make {
                    drop_maker(&target, make);
                }
                None
            }
        }
    }
}

fn drop_message<M>(target: &Shared<M>, message: M, what: &str) {
    if let Err(panic) = drop_catching(message) {
        target.record_panic(&format!("dropping {what} panicked: {panic}"));
    }
}

fn drop_maker<M>(target: &Shared<M>, make: Box<dyn FnMut() -> M + Send>) {
    if let Err(panic) = drop_catching(make) {
        target.record_panic(&format!("dropping a timer's closure panicked: {panic}"));
    }
}

/// Lets go of a timer's target (its last `Arc`, maybe: the stopped
/// actor's memory), catching a panic of what that drops.
fn release<M>(target: Option<Arc<Shared<M>>>) {
    let _ = drop_catching(target);
}

/// Drops what a timer still held, `message` (described as `what`) and
/// `make`, reporting their panics to `target`, then lets go of `target`.
fn dispose<M>(
    target: Option<Arc<Shared<M>>>,
    message: Option<M>,
    make: Option<Box<dyn FnMut() -> M + Send>>,
    what: &str,
) {
    match &target {
        Some(target) => {
            if let Some(message) = message {
                drop_message(target, message, what);
            }
            if let Some(make) = make {
                drop_maker(target, make);
            }
        }
        // Nobody to tell of a panic: caught all the same, one by one (in
        // a tuple, a second panic would come while the first unwinds).
        None => {
            let _ = drop_catching(message);
            let _ = drop_catching(make);
        }
    }
    release(target);
}

impl<M: Send + 'static> Drop for Timer<M> {
    /// A timer dropped with something still in it (detached and never due,
    /// or left with its last entry): dropped here, catching panics.
    fn drop(&mut self) {
        let state = self.state.get_mut();
        let (message, make, target) =
            (state.message.take(), state.make.take(), state.target.take());
        dispose(target, message, make, self.carries.never_due());
    }
}

impl<M: Send + 'static> Due for Timer<M> {
    fn fire(&self, now: Instant) -> Option<Instant> {
        let next = self.send_due(now);
        let mut state = self.state.lock();
        state.firing = None;
        let done = state.done.then(|| state.target.take()).flatten();
        drop(state);
        // A `cancel` waiting for this firing to end may return now.
        self.fired.notify_all();
        release(done);
        next
    }

    fn cancelled(&self) -> bool {
        // Relaxed: only tells the queue that this entry may go; the
        // entry's timer holds nothing by then, whatever is seen.
        self.cancelled.load(Ordering::Relaxed)
    }
}

impl<M: Send + 'static> Cancel for Timer<M> {
    fn cancel(&self) -> bool {
        let mut state = self.state.lock();
        let active = !state.done;
        state.done = true;
        // The timer thread may be building a tick (the closure runs) or
        // sending: wait until it is done, when it hands back what it held
        // (see `end_firing`), so that nothing of the timer is left when
        // this returns. Not when this is the timer thread itself (a closure
        // or a `Drop` cancelling its own timer), which would wait for
        // itself.
        let me = thread::current().id();
        while state.firing.is_some_and(|firing| firing != me) {
            state.cancel_waiting = true;
            state = self.fired.wait(state);
        }
        state.cancel_waiting = false;
        let message = state.message.take();
        let make = state.make.take();
        let target = state.target.take();
        drop(state);
        dispose(target, message, make, "a cancelled timer's message");
        if active {
            // Relaxed: see `Due::cancelled`.
            self.cancelled.store(true, Ordering::Relaxed);
            purge_cancelled();
        }
        active
    }
}

/// The timer thread's stack, in bytes: every timer's message, and every
/// monitor notification resent for a full mailbox, passes through it by
/// value (a break run's 1 MiB message, sent to an actor given a 64 MiB
/// stack for it, overflowed std's default 2 MiB here, and the process
/// aborted). Address space: a thread's stack gets memory only as deep as
/// it is used.
pub(crate) const STACK: usize = 128 << 20;

/// The size from which a timer's message or closure, or a monitor's
/// message, is refused (1 MiB): a 128th of [`STACK`]. A message's way
/// through the timer thread takes more copies than through an actor's
/// (in a debug build, 64 KiB messages overflowed a 2 MiB timer stack,
/// where an actor's held them), so four times the margin of
/// [`atomics_kit::STACK_PER_VALUE`].
pub(crate) const MAX_VALUE: usize = STACK / 128;

/// The size of `T` or `U`, the larger, if it is [`MAX_VALUE`] or more.
pub(crate) fn too_large_for_timers<T, U>() -> Option<usize> {
    let largest = std::mem::size_of::<T>().max(std::mem::size_of::<U>());
    (largest >= MAX_VALUE).then_some(largest)
}

/// The panic of a timer whose message or closure, `size` bytes, is too
/// large to pass through the timer thread ([`MAX_VALUE`]): on the calling
/// thread, before anything is scheduled.
#[cold]
fn too_large(size: usize) -> ! {
    panic!(
        "actorlite: a timer's message or closure of {size} bytes is too large for the \
         timer thread, which carries values under {MAX_VALUE} bytes: box it"
    );
}

/// Sets a timer that sends `target` `message` once after `delay` (the
/// `send_after` of every handle type).
///
/// # Panics
///
/// If the timer thread cannot be started (nothing will be sent), or if `M`
/// is too large for its stack ([`too_large`]).
pub(crate) fn start_once<M: Send + 'static>(
    target: &Arc<Shared<M>>,
    delay: Duration,
    message: M,
) -> TimerHandle {
    if let Some(size) = too_large_for_timers::<M, ()>() {
        // User code: a panic of its `Drop` is caught, the refusal reported.
        let _ = drop_catching(message);
        too_large(size);
    }
    start(target, delay, Some(message), None)
}

/// Sets a timer that sends `target` a message from `make` every `period`
/// (the `send_interval` of every handle type).
///
/// # Panics
///
/// If `period` is zero, if the timer thread cannot be started, or if `M` or
/// `make` is too large for its stack ([`too_large`]).
pub(crate) fn start_interval<M: Send + 'static, F: FnMut() -> M + Send + 'static>(
    target: &Arc<Shared<M>>,
    period: Duration,
    make: F,
) -> TimerHandle {
    if let Some(size) = too_large_for_timers::<M, F>() {
        let _ = drop_catching(make);
        too_large(size);
    }
    assert!(
        !period.is_zero(),
        "actorlite: send_interval's period must not be zero"
    );
    start(target, period, None, Some((period, Box::new(make))))
}

/// Sets a timer for `target`: `message` once after `delay`, or, with a
/// `make`, a message from it every `period`. A delay too long for an
/// `Instant` never falls due.
///
/// # Panics
///
/// If the timer thread cannot be started (nothing will be sent).
fn start<M: Send + 'static>(
    target: &Arc<Shared<M>>,
    delay: Duration,
    message: Option<M>,
    make: Option<(Duration, Box<dyn FnMut() -> M + Send>)>,
) -> TimerHandle {
    let (period, make) = match make {
        Some((period, make)) => (Some(period), Some(make)),
        None => (None, None),
    };
    let due = Instant::now().checked_add(delay);
    let timer = Timer::new(
        (Arc::clone(target), Carries::TimerMessage),
        message,
        make,
        period,
        due.unwrap_or_else(Instant::now),
    );
    let handle = TimerHandle {
        timer: Some(Arc::clone(&timer) as Arc<dyn Cancel>),
    };
    if let Some(due) = due {
        if let Err(error) = schedule(due, timer) {
            handle.cancel();
            panic!("actorlite: could not start the timer thread: {error}");
        }
    }
    handle
}

/// Hands a message that found `target`'s mailbox full to the timer thread,
/// which retries until it gets in or the actor stops (then it is counted
/// as undelivered). Never blocks.
pub(crate) fn retry<M: Send + 'static>(target: &Arc<Shared<M>>, message: M) {
    let now = Instant::now();
    let timer = Timer::new(
        (Arc::clone(target), Carries::Notification),
        Some(message),
        None,
        None,
        now,
    );
    if let Err(error) = schedule(now + FIRST_RETRY, Arc::clone(&timer) as Arc<dyn Due>) {
        // No thread to retry it: the message is lost, and said so.
        target.record_panic(&format!(
            "a notification could not be retried (no timer thread: {error})"
        ));
        if Cancel::cancel(&*timer) {
            target.count_undelivered();
        }
    }
}

/// Cancels its timer when dropped, unless [`detach`](Self::detach)ed.
/// Returned by [`Recipient::send_after`](crate::Recipient::send_after) and
/// [`send_interval`](crate::Recipient::send_interval) (and the same
/// methods of [`ActorHandle`](crate::ActorHandle) and
/// [`Context`](crate::Context)); `Send + Sync`.
///
/// Once [`cancel`](Self::cancel) returns (or the handle's drop), the timer
/// sends nothing more: the message still pending, if any, is dropped (it
/// was never sent, so the actor's stats do not count it).
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context};
/// use std::time::Duration;
///
/// struct Alarm;
/// impl Actor for Alarm {
///     type Message = &'static str;
///     fn handle(&mut self, _: &'static str, _: &mut Context<Self>) {
///         unreachable!("cancelled before it rang");
///     }
/// }
///
/// let alarm = spawn(Alarm);
/// let timer = alarm.send_after(Duration::from_secs(3600), "wake up");
/// assert!(timer.cancel(), "it had not rung");
/// alarm.stop();
/// alarm.join();
/// ```
#[must_use = "dropping a TimerHandle cancels the timer; call `detach` to let it run"]
pub struct TimerHandle {
    /// `None` once detached.
    timer: Option<Arc<dyn Cancel>>,
}

impl TimerHandle {
    /// Cancels the timer: nothing is sent after this returns, and its
    /// message, closure and hold on the actor are dropped by then (if the
    /// timer thread is building the interval's next message, this waits
    /// for the closure to return, and drops the tick it built here),
    /// except what the timer thread itself is dropping as the cancel comes
    /// (a message it found it could not deliver, its actor stopping; a
    /// closure that panicked): that `Drop` may still be running on the
    /// timer thread, since waiting for it could wait for this very thread
    /// (a `Drop` that joins the actor cancelling its timer, say). `true` if it still had something to send
    /// (a one-shot that had not gone yet, an interval still running);
    /// `false` if it had sent its one message, or ended because its actor
    /// stopped or its closure panicked.
    ///
    /// # Panics
    ///
    /// Never for user code: a pending message or closure whose `Drop`
    /// panics is caught, and reported in the actor's
    /// [`last_panic`](crate::ActorHandle::last_panic).
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// let mut n = 0;
    /// let ticks = sink.send_interval(Duration::from_millis(1), move || {
    ///     n += 1;
    ///     n
    /// });
    /// while sink.stats().handled < 3 {
    ///     std::thread::yield_now();
    /// }
    /// assert!(ticks.cancel());
    /// ```
    pub fn cancel(mut self) -> bool {
        self.timer.take().is_some_and(|timer| timer.cancel())
    }

    /// Lets the timer run without this handle: a one-shot still sends its
    /// message, an interval ticks until its actor stops (or its closure
    /// panics). Nothing can cancel it afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use actorlite::{spawn, Actor, Context};
    /// use std::time::Duration;
    ///
    /// struct Sink;
    /// impl Actor for Sink {
    ///     type Message = u32;
    ///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
    /// }
    ///
    /// let sink = spawn(Sink);
    /// sink.send_after(Duration::from_millis(1), 7).detach();
    /// while sink.stats().handled == 0 {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn detach(mut self) {
        self.timer = None;
    }
}

impl Drop for TimerHandle {
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle").finish_non_exhaustive()
    }
}
