//! The gate every submission passes: it hands out job ids and lets a
//! shutdown close it and wait for the submissions already through.

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Backoff, Ordering};

/// Bit 0 of `issued`: the gate is closed.
const CLOSED: u64 = 1;
/// One submission in `issued` (ids live above the closed bit).
const ONE: u64 = 2;

/// Hands out ids to submissions until it is closed; [`close_and_wait`]
/// returns once every submission that got an id has finished (its job is in
/// the queue), so a shutdown that then queues its stop markers puts them
/// behind every accepted job.
///
/// A submission costs two uncontended read-modify-writes when one thread
/// submits: `issued` on entry, `finished` when its ticket drops.
///
/// [`close_and_wait`]: SubmitGate::close_and_wait
#[derive(Debug, Default)]
pub(crate) struct SubmitGate {
    /// `ids handed out << 1 | CLOSED`.
    issued: CachePadded<AtomicU64>,
    /// Tickets dropped (submissions finished), counting only those that got
    /// an id before the gate closed.
    finished: CachePadded<AtomicU64>,
}

/// One submission through the gate; dropping it marks the submission
/// finished.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    gate: &'a SubmitGate,
    id: u64,
}

impl Ticket<'_> {
    /// This submission's id: the number of submissions let through before it.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        // Release: whatever the submission did (queueing its job) happens
        // before a closer's Acquire load that counts this ticket.
        self.gate.finished.fetch_add(1, Ordering::Release);
    }
}

impl SubmitGate {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A ticket with a fresh id, or `None` once the gate is closed.
    pub(crate) fn enter(&self) -> Option<Ticket<'_>> {
        // Relaxed: the read-modify-write alone decides, by its place in
        // `issued`'s modification order, whether this entry comes before the
        // closing `fetch_or` (an id below the count the closer waits for) or
        // after it (sees CLOSED). Nothing else is published through it.
        let issued = self.issued.fetch_add(ONE, Ordering::Relaxed);
        if issued & CLOSED != 0 {
            return None;
        }
        Some(Ticket {
            gate: self,
            id: issued >> 1,
        })
    }

    /// Whether [`close_and_wait`](Self::close_and_wait) has closed the gate.
    pub(crate) fn is_closed(&self) -> bool {
        // Relaxed: a hint for callers; `enter` is what decides.
        self.issued.load(Ordering::Relaxed) & CLOSED != 0
    }

    /// Closes the gate and waits until every ticket handed out before has
    /// been dropped; returns how many there were.
    ///
    /// Call it once: after the gate is closed, entries that are turned away
    /// still bump `issued`, so a second call would wait for tickets that
    /// never existed. The pool calls it under its shutdown lock.
    pub(crate) fn close_and_wait(&self) -> u64 {
        // Relaxed: the read-modify-write splits entries into before and after
        // (see `enter`); the wait below synchronizes with the tickets.
        let accepted = self.issued.fetch_or(CLOSED, Ordering::Relaxed) >> 1;
        let backoff = Backoff::new();
        // Acquire: pairs with each ticket's Release, so the jobs those
        // submissions queued happen before what the closer does next.
        while self.finished.load(Ordering::Acquire) < accepted {
            backoff.snooze();
        }
        accepted
    }
}
