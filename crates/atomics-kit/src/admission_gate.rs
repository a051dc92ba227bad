//! `AdmissionGate`: admit operations until closed, then wait for the ones
//! admitted to finish.

use std::fmt;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicU64, Backoff, Ordering};

/// Bit 0 of `entered`: the gate is closed.
const CLOSED: u64 = 1;
/// One entry in `entered` (entries count above the closed bit).
const ONE: u64 = 2;
/// `admitted_at_close` before the gate is closed.
const OPEN: u64 = u64::MAX;
/// `wait_for_admitted`'s first sleep, once its backoff is done; it doubles
/// up to `LONGEST_NAP`.
const FIRST_NAP: std::time::Duration = std::time::Duration::from_micros(50);
const LONGEST_NAP: std::time::Duration = std::time::Duration::from_millis(1);

/// Admits operations (a submission, a send) until it is closed, and lets
/// the closing side wait until every operation admitted before the close
/// has finished.
///
/// This is what a shutdown needs when other threads may be mid-way through
/// queueing work: after [`close`](Self::close), [`enter`](Self::enter)
/// fails at once; [`wait_for_admitted`](Self::wait_for_admitted) returns
/// once every [`Admission`] handed out before the close was dropped, so
/// everything those operations did (their items queued) happens before what
/// the waiter does next. Entering never blocks and never takes a lock: one
/// read-modify-write on entry, one when the admission drops (none when it
/// is [handed over](Admission::hand_over) to a waiter that counts it). Each admission
/// also carries a sequence number (0, 1, 2, ... in admission order), usable
/// as an id.
///
/// # Examples
///
/// ```
/// use atomics_kit::AdmissionGate;
/// use std::sync::Mutex;
///
/// let gate = AdmissionGate::new();
/// let queued = Mutex::new(Vec::new());
/// std::thread::scope(|s| {
///     for t in 0..3 {
///         let (gate, queued) = (&gate, &queued);
///         s.spawn(move || {
///             for i in 0..100 {
///                 let Some(admission) = gate.enter() else { return };
///                 queued.lock().unwrap().push((t, i, admission.sequence()));
///             }
///         });
///     }
///     gate.close();
///     let admitted = gate.wait_for_admitted();
///     // Every operation admitted before the close has finished.
///     assert_eq!(queued.lock().unwrap().len() as u64, admitted);
/// });
/// ```
pub struct AdmissionGate {
    /// `entries << 1 | CLOSED`.
    entered: CachePadded<AtomicU64>,
    /// Admissions dropped; only admissions made before the close exist.
    finished: CachePadded<AtomicU64>,
    /// The number admitted, recorded by the first closer; `OPEN` before.
    admitted_at_close: AtomicU64,
}

/// One operation let through an [`AdmissionGate`]; dropping it marks the
/// operation finished.
///
/// # Examples
///
/// ```
/// use atomics_kit::AdmissionGate;
///
/// let gate = AdmissionGate::new();
/// let first = gate.enter().expect("open");
/// assert_eq!(first.sequence(), 0);
/// drop(first);
/// assert_eq!(gate.enter().map(|a| a.sequence()), Some(1));
/// ```
#[must_use = "dropping an admission at once marks the operation finished"]
pub struct Admission<'a> {
    gate: &'a AdmissionGate,
    sequence: u64,
}

impl Admission<'_> {
    /// The number of admissions before this one: unique, in admission order.
    #[must_use]
    #[inline]
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Ends the operation without counting it finished in the gate: its
    /// result (an item queued) went to the waiter, who counts what it
    /// takes and passes that count to
    /// [`try_wait_for_admitted_with`](AdmissionGate::try_wait_for_admitted_with).
    /// Saves the locked read-modify-write a drop costs, on the path where
    /// the operation succeeds; the paths that hand nothing over drop their
    /// admission instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    /// use std::sync::mpsc;
    ///
    /// let gate = AdmissionGate::new();
    /// let (queue, items) = mpsc::channel();
    /// let admission = gate.enter().unwrap();
    /// queue.send(1).unwrap(); // the operation's result, for the waiter
    /// admission.hand_over();
    /// gate.close();
    /// let mut taken = 0;
    /// while gate.try_wait_for_admitted_with(taken).is_none() {
    ///     taken += items.try_iter().count() as u64;
    /// }
    /// assert_eq!(taken, 1);
    /// ```
    #[inline]
    pub fn hand_over(self) {
        // Forgotten: no drop, so no count in `finished`. The waiter's own
        // count of what it took (through the queue's synchronization)
        // stands for it.
        std::mem::forget(self);
    }
}

impl Drop for Admission<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: what the operation did happens before a waiter's Acquire
        // load that counts this admission.
        self.gate.finished.fetch_add(1, Ordering::Release);
    }
}

impl AdmissionGate {
    /// An open gate.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// assert!(!gate.is_closed());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            entered: CachePadded::new(AtomicU64::new(0)),
            finished: CachePadded::new(AtomicU64::new(0)),
            admitted_at_close: AtomicU64::new(OPEN),
        }
    }

    /// Admits one operation, or returns `None` once the gate is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// assert!(gate.enter().is_some());
    /// gate.close();
    /// assert!(gate.enter().is_none());
    /// ```
    #[inline]
    pub fn enter(&self) -> Option<Admission<'_>> {
        // Relaxed: the read-modify-write alone decides, by its place in
        // `entered`'s modification order, whether this entry comes before
        // the closing `fetch_or` (a sequence below the admitted count) or
        // after it (sees CLOSED). Nothing else is published through it.
        let entered = self.entered.fetch_add(ONE, Ordering::Relaxed);
        if entered & CLOSED != 0 {
            return None;
        }
        Some(Admission {
            gate: self,
            sequence: entered >> 1,
        })
    }

    /// Closes the gate: later [`enter`](Self::enter)s fail. Returns `true`
    /// if this call closed it. Does not wait; see
    /// [`wait_for_admitted`](Self::wait_for_admitted).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// assert!(gate.close());
    /// assert!(!gate.close());
    /// ```
    pub fn close(&self) -> bool {
        // Relaxed: the read-modify-write splits entries into before and
        // after (see `enter`).
        let entered = self.entered.fetch_or(CLOSED, Ordering::Relaxed);
        if entered & CLOSED != 0 {
            return false;
        }
        // Release: pairs with the Acquire load in `wait_for_admitted`; the
        // count is the message.
        self.admitted_at_close
            .store(entered >> 1, Ordering::Release);
        true
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// gate.close();
    /// assert!(gate.is_closed());
    /// ```
    #[must_use]
    #[inline]
    pub fn is_closed(&self) -> bool {
        // Relaxed: a snapshot; `enter` is what decides.
        self.entered.load(Ordering::Relaxed) & CLOSED != 0
    }

    /// Waits until the gate is closed and every operation admitted before
    /// the close has finished; returns how many were admitted. Any thread
    /// may wait, any number of times.
    ///
    /// It spins briefly (crossbeam's backoff, then yields), then sleeps
    /// between checks, from 50 µs doubling to 1 ms: an admitted operation
    /// that lasts (a send waiting for room) costs the waiter next to no
    /// CPU, and one that ends is seen within a millisecond.
    ///
    /// An [`Admission`] that is never dropped (one kept for good, or
    /// forgotten with `mem::forget`) never finishes: this then waits for
    /// good, and [`try_wait_for_admitted`](Self::try_wait_for_admitted)
    /// keeps answering `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// drop(gate.enter());
    /// drop(gate.enter());
    /// gate.close();
    /// assert_eq!(gate.wait_for_admitted(), 2);
    /// ```
    pub fn wait_for_admitted(&self) -> u64 {
        let backoff = Backoff::new();
        let mut nap = FIRST_NAP;
        loop {
            if let Some(admitted) = self.try_wait_for_admitted() {
                return admitted;
            }
            if backoff.is_completed() {
                crate::sync::sleep(nap);
                nap = (nap * 2).min(LONGEST_NAP);
            } else {
                backoff.snooze();
            }
        }
    }

    /// [`wait_for_admitted`](Self::wait_for_admitted) without the wait:
    /// `Some(admitted)` once the gate is closed and every operation admitted
    /// before the close has finished, `None` before. Closed means seen
    /// closed in any way (a `close` that returned, `true` or `false`;
    /// [`is_closed`](Self::is_closed); a refused [`enter`](Self::enter)): a
    /// call racing the first `close` may wait out the one step that
    /// records the count. For a waiter that must
    /// keep working meanwhile (an actor draining its mailbox so that a
    /// sender blocked on it can finish).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// let admission = gate.enter().unwrap();
    /// gate.close();
    /// assert_eq!(gate.try_wait_for_admitted(), None);
    /// drop(admission);
    /// assert_eq!(gate.try_wait_for_admitted(), Some(1));
    /// ```
    #[must_use]
    pub fn try_wait_for_admitted(&self) -> Option<u64> {
        self.try_wait_for_admitted_with(0)
    }

    /// [`try_wait_for_admitted`](Self::try_wait_for_admitted) for a waiter
    /// that takes what admitted operations [hand over](Admission::hand_over):
    /// `handed_over` is how many it has taken so far, and they count as
    /// finished. `Some(admitted)` once the gate is closed and the dropped
    /// admissions and `handed_over` together reach the admitted count.
    ///
    /// `handed_over` must not count more than the admissions actually
    /// handed over: the gate cannot tell a handed-over admission from a
    /// live one, so an over-count reports every operation finished while
    /// some still run (`Some` with admissions alive).
    ///
    /// # Examples
    ///
    /// ```
    /// use atomics_kit::AdmissionGate;
    ///
    /// let gate = AdmissionGate::new();
    /// gate.enter().unwrap().hand_over();
    /// drop(gate.enter().unwrap()); // an operation that handed nothing over
    /// gate.close();
    /// assert_eq!(gate.try_wait_for_admitted_with(0), None);
    /// assert_eq!(gate.try_wait_for_admitted_with(1), Some(2));
    /// ```
    #[must_use]
    pub fn try_wait_for_admitted_with(&self, handed_over: u64) -> Option<u64> {
        let admitted = self.admitted_at_close()?;
        // Acquire: pairs with each dropped admission's Release, so what
        // those operations did happens before what the caller does next
        // (the handed-over ones are ordered by whatever carried them).
        let finished = self.finished.load(Ordering::Acquire);
        (finished.saturating_add(handed_over) >= admitted).then_some(admitted)
    }

    /// The number admitted before the close, or `None` while the gate is
    /// open. A gate closed by a `close` that has not yet recorded the
    /// count (the one step between its two) is waited for: a caller that
    /// saw the gate closed (a `close` that returned `false`, `is_closed`,
    /// a refused `enter`) got `None` there, as if nothing had closed (a
    /// break run: 60 in 500,000 races of two closers).
    fn admitted_at_close(&self) -> Option<u64> {
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the closer's Release store.
            let admitted = self.admitted_at_close.load(Ordering::Acquire);
            if admitted != OPEN {
                return Some(admitted);
            }
            // Relaxed: only whether a closer's `fetch_or` came first; the
            // count is read through the Acquire load above. A thread that
            // saw the gate closed reads it closed here (coherence).
            if self.entered.load(Ordering::Relaxed) & CLOSED == 0 {
                return None;
            }
            backoff.snooze();
        }
    }
}

impl Default for AdmissionGate {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for AdmissionGate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdmissionGate")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Admission<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admission")
            .field("sequence", &self.sequence)
            .finish()
    }
}
