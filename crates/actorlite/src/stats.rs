//! An actor's counters.

/// A snapshot of an actor's counters, from
/// [`ActorHandle::stats`](crate::ActorHandle::stats).
///
/// Once the actor has stopped, every message a send accepted is counted
/// exactly once in `handled`, `panicked_messages` or `dead_letters`.
///
/// # Examples
///
/// ```
/// use actorlite::{spawn, Actor, Context};
///
/// struct Sink;
/// impl Actor for Sink {
///     type Message = u32;
///     fn handle(&mut self, _: u32, _: &mut Context<Self>) {}
/// }
///
/// let sink = spawn(Sink);
/// (0..10).for_each(|n| sink.send(n).unwrap());
/// sink.stop();
/// sink.join();
/// let stats = sink.stats();
/// assert_eq!((stats.handled, stats.dead_letters), (10, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActorStats {
    /// Messages handled to the end.
    pub handled: u64,
    /// Messages whose handler panicked (each lost with the panic).
    pub panicked_messages: u64,
    /// Messages accepted but never handled: queued when the actor was
    /// killed or stopped by a panic.
    pub dead_letters: u64,
    /// Restarts of a supervised actor.
    pub restarts: u64,
    /// Timer messages and monitor notifications meant for this actor that
    /// found it stopped or stopping (dropped, as no sender waits to get
    /// them back), and monitor notifications whose closure panicked. Never
    /// accepted, so not among the three counts above. The one count that
    /// may still grow after the actor stopped: a timer set before the stop
    /// counts here when it comes due.
    pub undelivered: u64,
}
