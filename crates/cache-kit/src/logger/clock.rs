//! The records' timestamps: a caller stamps its record with the cheapest
//! reading of the time there is ([`Clock::now`]); the writer thread turns
//! readings into wall-clock times ([`WallTimes::wall`]), off the callers'
//! path.
//!
//! Where the kernel itself keeps time with the CPU's time-stamp counter
//! (x86-64 Linux whose clock source is `tsc`, as on most machines and VMs),
//! a reading is that counter (`rdtsc`): `SystemTime::now` reads the same
//! counter and then converts it, and on our 2-core VM that conversion was
//! about 20 ns of a logging call's 160-180 ns median (A/B runs with and
//! without it). The writer converts counter readings with samples it
//! takes itself ([`Sample::take`], the first one before the logger could
//! stamp anything): a reading between two samples is placed in proportion,
//! one past the latest sample at the counter's rate, measured over samples
//! 10 µs apart and then over spans doubling up to a second ([`Rate`]); a
//! reading further past the latest sample than a hundredth of the rate's
//! span (at most 1 ms) gets a new sample first. A record's time is then the
//! wall clock's at its stamp to within a sample's spread (tens of
//! nanoseconds). When the wall clock is set forward or back, the times
//! follow it from the next sample on; records stamped before the step and
//! converted after it (a writer behind its callers) are placed between the
//! two clocks' times. Elsewhere (other systems, other clock sources, miri)
//! a reading is the wall clock itself, in nanoseconds since the epoch.
#![allow(unsafe_code)] // `rdtsc` alone

use std::time::{SystemTime, UNIX_EPOCH};

/// How readings are taken: chosen once, when a logger starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clock {
    /// Readings are the time-stamp counter.
    Counter,
    /// Readings are the wall clock, in nanoseconds since the epoch.
    Wall,
}

impl Clock {
    /// The counter where the kernel keeps time with it, the wall clock
    /// elsewhere.
    pub(super) fn new() -> Self {
        if counter_keeps_the_time() {
            Clock::Counter
        } else {
            Clock::Wall
        }
    }

    /// A reading, for [`WallTimes::wall`] to convert.
    #[inline]
    pub(super) fn now(self) -> u64 {
        match self {
            Clock::Counter => counter(),
            Clock::Wall => nanos_since_epoch(crate::sync::wall_clock()),
        }
    }
}

pub(super) fn nanos_since_epoch(at: SystemTime) -> u64 {
    // Before the epoch reads as the epoch, as the line format shows it;
    // past 2554, the end of `u64` nanoseconds, as that end.
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    })
}

/// Whether this process's wall clock is the kernel's reading of the
/// time-stamp counter: then the counter is synchronised across cores and
/// runs at a constant rate (the kernel checks both before it uses it).
#[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
fn counter_keeps_the_time() -> bool {
    static COUNTER_KEEPS_THE_TIME: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *COUNTER_KEEPS_THE_TIME.get_or_init(|| {
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|source| source.trim() == "tsc")
    })
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
fn counter_keeps_the_time() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn counter() -> u64 {
    // SAFETY: `rdtsc` reads the time-stamp counter into registers: no
    // memory access, no precondition, present on every x86-64 CPU.
    unsafe { std::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
fn counter() -> u64 {
    // `Clock::Counter` is never chosen here.
    nanos_since_epoch(crate::sync::wall_clock())
}

/// A counter reading and the wall clock, taken together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sample {
    pub(super) ticks: u64,
    /// Nanoseconds since the epoch.
    pub(super) wall: u64,
}

impl Sample {
    /// Reads the counter on both sides of the wall clock and keeps the
    /// middle, three times, keeping the closest pair: an interrupt or a
    /// preemption between two of the reads (microseconds) would otherwise
    /// place the sample, and the times taken from it, that far off (a
    /// test saw a record stamped 8 µs before its call).
    pub(super) fn take() -> Self {
        let (mut closest, mut narrowest) = Self::read();
        for _ in 1..3 {
            let (sample, spread) = Self::read();
            if spread < narrowest {
                (closest, narrowest) = (sample, spread);
            }
        }
        closest
    }

    /// One pair of counter readings around a wall-clock reading: the
    /// sample at their middle, and how far apart they were.
    fn read() -> (Self, u64) {
        let before = counter();
        let wall = nanos_since_epoch(crate::sync::wall_clock());
        let after = counter();
        let spread = after.saturating_sub(before);
        let sample = Self {
            ticks: before + spread / 2,
            wall,
        };
        (sample, spread)
    }
}

/// The first rate is measured once the samples span this much (10 µs).
const FIRST_BASELINE: u64 = 10_000;

/// Each later rate over twice the span of the last, up to a second; then
/// from samples a second apart, so that the rate follows the wall clock's
/// slewing (NTP's, at most 500 millionths).
const RATE_RENEWAL: u64 = 1_000_000_000;

/// A reading is placed from the latest sample when it is at most a
/// hundredth of the rate's span past it, and at most 1 ms: a sample's
/// spread of some tens of nanoseconds then moves it by less than a
/// nanosecond. Further readings get a new sample first.
const MAX_AHEAD: u64 = 1_000_000;

/// A new rate this far from the current one (a hundredth) is a step of the
/// wall clock between its samples, not the counter's: it is taken only if
/// the next one agrees.
const RATE_TOLERANCE: f64 = 0.01;

/// The counter's rate, and the span of the samples it was measured over.
#[derive(Clone, Copy, Debug)]
struct Rate {
    nanos_per_tick: f64,
    span: u64,
}

/// The writer's conversion of readings into wall-clock times.
pub(super) struct WallTimes<S = fn() -> Sample> {
    clock: Clock,
    take_sample: S,
    /// The older end of the rate's measurement (the first sample, until
    /// the rate has a second's span).
    base: Sample,
    /// The latest sample.
    latest: Sample,
    /// Nanoseconds per tick from `base` to `latest`.
    between: f64,
    rate: Option<Rate>,
    /// A measured rate far from `rate`, kept to see whether the next one
    /// agrees with it.
    doubted: Option<f64>,
    /// The last reading placed from `latest` without a new sample (see
    /// [`MAX_AHEAD`]): worked out at each sample, so that a reading's
    /// check is one comparison.
    fresh_until: u64,
}

impl WallTimes {
    /// Call when a logger starts, before anything is stamped with `clock`:
    /// takes the first sample (for a counter).
    pub(super) fn start(clock: Clock) -> Self {
        let first = match clock {
            Clock::Counter => Sample::take(),
            Clock::Wall => Sample { ticks: 0, wall: 0 },
        };
        Self::with_samples(clock, first, Sample::take)
    }
}

impl<S: FnMut() -> Sample> WallTimes<S> {
    pub(super) fn with_samples(clock: Clock, first: Sample, take_sample: S) -> Self {
        Self {
            clock,
            take_sample,
            base: first,
            latest: first,
            between: 0.0,
            rate: None,
            doubted: None,
            fresh_until: first.ticks,
        }
    }

    /// The wall-clock time of `reading`, a [`Clock::now`] of this logger's
    /// clock, in nanoseconds since the epoch.
    #[inline]
    pub(super) fn wall(&mut self, reading: u64) -> u64 {
        match self.clock {
            Clock::Wall => reading,
            Clock::Counter => self.counter_to_nanos(reading),
        }
    }

    fn counter_to_nanos(&mut self, ticks: u64) -> u64 {
        if ticks > self.fresh_until {
            self.resample();
        }
        let (base, latest) = (self.base, self.latest);
        // Between two samples, in proportion (a writer behind its callers
        // converts readings older than its latest sample); past them, at
        // the rate; with no rate yet, the nearest sample.
        let (from, nanos_per_tick) = if ticks > latest.ticks {
            (latest, self.rate.map(|rate| rate.nanos_per_tick))
        } else if ticks >= base.ticks && base.ticks < latest.ticks {
            (base, Some(self.between))
        } else {
            (base, self.rate.map(|rate| rate.nanos_per_tick))
        };
        match nanos_per_tick {
            Some(nanos_per_tick) => {
                // The offset in floating point, the time in integers: a
                // time since the epoch needs 61 bits, more than an `f64`
                // holds. One multiplication a reading, at the writer's
                // pace: `i64` and truncation, single instructions, where
                // `i128` and `round` were library calls that cost the
                // writer a tenth of its speed.
                let ticks_from = ticks.wrapping_sub(from.ticks) as i64;
                let nanos_from = (ticks_from as f64 * nanos_per_tick) as i64;
                from.wall.saturating_add_signed(nanos_from)
            }
            None => from.wall,
        }
    }

    /// Sets `base` and `latest`, and the pace between them.
    fn set_samples(&mut self, base: Sample, latest: Sample) {
        self.base = base;
        self.latest = latest;
        self.between = if latest.ticks > base.ticks && latest.wall >= base.wall {
            (latest.wall - base.wall) as f64 / (latest.ticks - base.ticks) as f64
        } else {
            0.0
        };
    }

    /// Takes a new sample, maybe measures the rate afresh from it, and
    /// works out `fresh_until` for them.
    fn resample(&mut self) {
        self.take_new_sample();
        self.fresh_until = match self.rate {
            Some(rate) => {
                let ahead = (rate.span / 100).min(MAX_AHEAD) as f64 / rate.nanos_per_tick;
                // `as` saturates (and a NaN, from no rate at all, is 0).
                self.latest.ticks.saturating_add(ahead as u64)
            }
            None => self.latest.ticks,
        };
    }

    fn take_new_sample(&mut self) {
        let sample = (self.take_sample)();
        if sample.ticks < self.latest.ticks || sample.wall < self.base.wall {
            // The counter went back (not the kernel's clock after all) or
            // the wall clock was set back: measure the rate afresh from here.
            self.set_samples(sample, sample);
            return;
        }
        self.set_samples(self.base, sample);
        let span = sample.wall - self.base.wall;
        let wanted = self
            .rate
            .map_or(FIRST_BASELINE, |rate| (rate.span * 2).min(RATE_RENEWAL));
        if span < wanted || sample.ticks == self.base.ticks {
            return;
        }
        let measured = Rate {
            nanos_per_tick: span as f64 / (sample.ticks - self.base.ticks) as f64,
            span,
        };
        if span >= RATE_RENEWAL {
            self.set_samples(sample, sample);
        }
        match self.rate {
            Some(rate)
                if (measured.nanos_per_tick / rate.nanos_per_tick - 1.0).abs() > RATE_TOLERANCE =>
            {
                let confirmed = self.doubted.is_some_and(|doubted| {
                    (measured.nanos_per_tick / doubted - 1.0).abs() <= RATE_TOLERANCE
                });
                if confirmed {
                    self.rate = Some(measured);
                    self.doubted = None;
                } else {
                    self.doubted = Some(measured.nanos_per_tick);
                    // Measure the next one over samples after the step.
                    self.set_samples(sample, sample);
                }
            }
            _ => {
                self.rate = Some(measured);
                self.doubted = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A counter at 3 ticks per nanosecond, started at tick 1,000 at
    /// `start` nanoseconds; the wall clock runs `offset` apart from it.
    struct FakeMachine {
        now: Cell<u64>,
        offset: Cell<i64>,
    }

    const START: u64 = 1_700_000_000_000_000_000;

    impl FakeMachine {
        fn new() -> Self {
            Self {
                now: Cell::new(START),
                offset: Cell::new(0),
            }
        }
        fn ticks_at(nanos: u64) -> u64 {
            1_000 + (nanos - START) * 3
        }
        fn sample(&self) -> Sample {
            Sample {
                ticks: Self::ticks_at(self.now.get()),
                wall: self
                    .now
                    .get()
                    .checked_add_signed(self.offset.get())
                    .unwrap(),
            }
        }
        fn reading(&self) -> u64 {
            Self::ticks_at(self.now.get())
        }
        fn advance(&self, nanos: u64) {
            self.now.set(self.now.get() + nanos);
        }
    }

    #[test]
    fn readings_convert_exactly_before_and_after_the_rate_is_measured() {
        let machine = FakeMachine::new();
        let mut times =
            WallTimes::with_samples(Clock::Counter, machine.sample(), || machine.sample());
        // Every 100 µs for 50 ms: interpolated at first, then at the rate.
        for _ in 0..500 {
            machine.advance(100_000);
            let reading = machine.reading();
            machine.advance(3_000); // the writer converts it a bit later
            let expected = machine.now.get() - 3_000;
            let got = times.wall(reading);
            assert!(got.abs_diff(expected) <= 1, "{got} vs {expected}");
        }
        assert!(times
            .rate
            .is_some_and(|rate| (rate.nanos_per_tick - 1.0 / 3.0).abs() < 1e-9));
    }

    #[test]
    fn a_reading_older_than_the_latest_sample_is_placed_before_it() {
        let machine = FakeMachine::new();
        let mut times =
            WallTimes::with_samples(Clock::Counter, machine.sample(), || machine.sample());
        machine.advance(20_000_000);
        let _ = times.wall(machine.reading());
        let early = machine.reading();
        machine.advance(2_000_000);
        let _ = times.wall(machine.reading());
        assert_eq!(times.wall(early).abs_diff(START + 20_000_000), 0);
    }

    #[test]
    fn a_wall_clock_set_forward_or_back_moves_the_times_with_it() {
        let machine = FakeMachine::new();
        let mut times =
            WallTimes::with_samples(Clock::Counter, machine.sample(), || machine.sample());
        for step in [5_000_000_000_i64, -7_000_000_000] {
            for _ in 0..3_000 {
                machine.advance(1_000_000);
                let _ = times.wall(machine.reading());
            }
            machine.offset.set(machine.offset.get() + step);
            // From the first resample after the step on, every time is the
            // new wall clock's, to within the rate's error over 1 ms.
            for _ in 0..3_000 {
                machine.advance(1_500_000);
                let got = times.wall(machine.reading());
                let expected = machine.sample().wall;
                assert!(got.abs_diff(expected) <= 10, "{got} vs {expected}");
            }
            assert!(times
                .rate
                .is_some_and(|rate| (rate.nanos_per_tick - 1.0 / 3.0).abs() < 1e-9));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri's isolation has no wall clock")]
    fn a_wall_clock_reading_is_its_own_time() {
        let mut times = WallTimes::start(Clock::Wall);
        assert_eq!(times.wall(1_234_567_890), 1_234_567_890);
        let now = SystemTime::now();
        assert_eq!(times.wall(nanos_since_epoch(now)), nanos_since_epoch(now));
    }

    #[test]
    #[cfg_attr(miri, ignore = "miri's isolation has no wall clock")]
    fn readings_track_the_real_clock() {
        // Whichever clock this machine gets: a record stamped between two
        // wall-clock reads is placed between them (a microsecond's slack
        // for the sample's own spread).
        let clock = Clock::new();
        let mut times = WallTimes::start(clock);
        for round in 0..200 {
            let before = nanos_since_epoch(SystemTime::now());
            let reading = clock.now();
            let after = nanos_since_epoch(SystemTime::now());
            if round % 50 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let at = times.wall(reading);
            let slack = 1_000;
            assert!(
                at + slack >= before && at <= after + slack,
                "{clock:?}: {at} outside {before}..{after}"
            );
        }
    }
}
