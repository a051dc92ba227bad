//! Hammer tests: many threads, exact totals afterwards. `cargo xtask
//! sanitizers` runs this file under AddressSanitizer and ThreadSanitizer, and
//! `cargo xtask miri` runs it with fewer operations.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use atomics_kit::{AtomicCounter, PerThreadCounter, ShardedCounter};

/// Operations per thread: enough to interleave for real, fewer under miri.
const OPS: u64 = if cfg!(miri) { 60 } else { 200_000 };

/// What one thread did to an `AtomicCounter`.
#[derive(Default)]
struct Tally {
    increments: u64,
    successful_decrements: u64,
    calls: u64,
    highest_returned_by_increment: u64,
}

#[test]
fn concurrent_mixed_updates_keep_value_max_and_operations_exact() {
    let counter = AtomicCounter::new();
    let tallies: Vec<Tally> = thread::scope(|s| {
        let workers: Vec<_> = (0..4_u64)
            .map(|seed| {
                let counter = &counter;
                s.spawn(move || {
                    let mut tally = Tally::default();
                    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    for _ in 0..OPS {
                        // xorshift: a different mix of updates on each thread,
                        // biased towards increments so the value wanders.
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        tally.calls += 1;
                        if state % 5 < 3 {
                            let new = counter.increment();
                            tally.increments += 1;
                            tally.highest_returned_by_increment =
                                tally.highest_returned_by_increment.max(new);
                        } else if counter.decrement().is_some() {
                            tally.successful_decrements += 1;
                        }
                    }
                    tally
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let sum = |field: fn(&Tally) -> u64| tallies.iter().map(field).sum::<u64>();
    let stats = counter.stats();
    assert_eq!(
        stats.value,
        sum(|t| t.increments) - sum(|t| t.successful_decrements)
    );
    assert_eq!(stats.operations, sum(|t| t.calls));
    // Exact: the highest value held is the highest an increment produced.
    let highest = tallies
        .iter()
        .map(|t| t.highest_returned_by_increment)
        .max()
        .unwrap();
    assert_eq!(stats.max, highest);
}

#[test]
fn concurrent_decrements_never_take_the_value_below_zero() {
    let counter = AtomicCounter::new();
    counter.add(OPS);
    let successes: u64 = thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| (0..OPS).filter(|_| counter.decrement().is_some()).count() as u64))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(successes, OPS, "exactly the added amount could be taken");
    assert_eq!(counter.get(), 0);
    assert_eq!(counter.max(), OPS);
}

#[test]
fn concurrent_sharded_adds_sum_exactly_with_more_threads_than_shards() {
    let counter = ShardedCounter::with_shards(2).unwrap();
    thread::scope(|s| {
        for thread in 0..8 {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..OPS / 4 {
                    counter.add(thread);
                }
            });
        }
    });
    assert_eq!(counter.sum(), (0..8).sum::<u64>() * (OPS / 4));
}

#[test]
fn concurrent_short_lived_threads_are_all_counted() {
    // Threads that exit give their shard index back; the next ones reuse it.
    let counter = ShardedCounter::with_shards(4).unwrap();
    let rounds = if cfg!(miri) { 4 } else { 200 };
    for _ in 0..rounds {
        thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| counter.increment());
            }
        });
    }
    assert_eq!(counter.sum(), rounds * 3);
}

#[test]
fn concurrent_gate_close_waits_for_every_admitted_operation() {
    use atomics_kit::AdmissionGate;
    use std::sync::Mutex;

    let rounds = if cfg!(miri) { 3 } else { 200 };
    for _ in 0..rounds {
        let gate = AdmissionGate::new();
        let done = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    while let Some(admission) = gate.enter() {
                        done.lock().unwrap().push(admission.sequence());
                        if done.lock().unwrap().len() > 1_000 {
                            break;
                        }
                    }
                });
            }
            std::thread::yield_now();
            gate.close();
            let admitted = gate.wait_for_admitted();
            // Every admitted operation finished before the wait returned;
            // none was admitted after the close.
            let mut sequences = done.lock().unwrap().clone();
            sequences.sort_unstable();
            assert_eq!(sequences, (0..admitted).collect::<Vec<_>>());
        });
        assert_eq!(
            gate.wait_for_admitted(),
            done.lock().unwrap().len() as u64,
            "a second wait agrees"
        );
    }
}

#[test]
fn concurrent_closers_each_read_the_count_once_their_close_returns() {
    use atomics_kit::AdmissionGate;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // Two threads close each gate at once, in step (a spinning barrier per
    // gate): the one whose `close` returns `false` may run between the
    // winner's two steps. A break run read `None` there in about one
    // round in 8,000.
    let rounds = if cfg!(miri) { 20 } else { 200_000 };
    let gates: Vec<AdmissionGate> = (0..rounds).map(|_| AdmissionGate::new()).collect();
    let arrived = AtomicUsize::new(0);
    // Counted, not asserted in the loop: a closer that stopped would leave
    // the other spinning at the next rendezvous.
    let misread = AtomicUsize::new(0);
    let closers = std::thread::scope(|s| {
        let closer = || {
            let mut closed = 0;
            for (round, gate) in gates.iter().enumerate() {
                // Relaxed: a rendezvous only; the gate orders the rest.
                arrived.fetch_add(1, Ordering::Relaxed);
                let mut spins = 0_u32;
                while arrived.load(Ordering::Relaxed) < 2 * (round + 1) {
                    spins += 1;
                    if spins % 64 == 0 {
                        std::thread::yield_now();
                    }
                    std::hint::spin_loop();
                }
                closed += usize::from(gate.close());
                if gate.try_wait_for_admitted() != Some(0) {
                    misread.fetch_add(1, Ordering::Relaxed);
                }
            }
            closed
        };
        let other = s.spawn(closer);
        closer() + other.join().unwrap()
    });
    assert_eq!(
        misread.into_inner(),
        0,
        "closers that read no count after their close returned"
    );
    assert_eq!(closers, rounds, "one close closes each gate");
}

#[test]
fn per_thread_counts_from_short_lived_threads_are_exact() {
    // Threads exit and later ones take their indices (and slots) over: no
    // increment may be lost in the hand-over, and more threads than slots
    // share the overflow word.
    let counter = PerThreadCounter::new();
    let per_thread = OPS / 10;
    for _ in 0..3 {
        thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| (0..per_thread).for_each(|_| counter.increment()));
            }
        });
    }
    assert_eq!(counter.sum(), 3 * 6 * per_thread);
}

#[test]
fn concurrent_operation_count_read_while_counting_never_goes_backwards() {
    // The count lives in per-thread slots summed by the reader: each slot
    // only grows, so successive readings must too, and the last is exact.
    const PER_THREAD: u64 = if cfg!(miri) { 50 } else { 50_000 };
    let counter = AtomicCounter::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..PER_THREAD {
                        counter.increment();
                    }
                })
            })
            .collect();
        let reader = s.spawn(|| {
            let mut last = 0;
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                let now = counter.stats().operations;
                assert!(now >= last, "operations went from {last} to {now}");
                last = now;
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        reader.join().unwrap();
    });
    assert_eq!(counter.stats().operations, 2 * PER_THREAD);
}

#[test]
fn concurrent_increments_at_the_ceiling_all_panic_and_leave_the_counter_there() {
    // Before, `add` was a `fetch_add` undone after an overflow of `u64`: a
    // racing increment landed on the wrapped value and succeeded (returning
    // 1), the counter stayed wrapped and its high-water mark fell (8 of 10
    // runs of two threads in a break run).
    // Each attempt unwinds: under AddressSanitizer an unwind costs about
    // 0.3 ms, and 100 000 attempts a thread took a minute of CI.
    let attempts = if cfg!(miri) {
        20
    } else if cfg!(fearless_sanitizer) {
        5_000
    } else {
        100_000
    };
    // Quiet for the expected overflow panics only (the hook is the
    // process's: other tests' panics still print).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.to_string().contains("AtomicCounter overflow") {
            default_hook(info);
        }
    }));
    let counter = AtomicCounter::new();
    counter.add(AtomicCounter::MAX);
    let succeeded = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..attempts {
                    let result = std::panic::catch_unwind(|| counter.increment());
                    if result.is_ok() {
                        succeeded.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(
        succeeded.into_inner(),
        0,
        "an increment at AtomicCounter::MAX succeeded"
    );
    let stats = counter.stats();
    let max = AtomicCounter::MAX;
    assert_eq!((stats.value, stats.max), (max, max), "{stats:?}");
}

#[test]
fn concurrent_additions_near_the_ceiling_return_the_values_of_one_sequence() {
    // Two threads race additions of 1 and 2 a few steps under the ceiling,
    // many rounds. Those that fit, sorted by the value they returned, must
    // each add their amount to the one before, from the start to the final
    // value: a sequential history. Additions past the ceiling land for a
    // moment and are backed out; one left in a value under the ceiling
    // shows up as two additions returning the same value, or a gap. (The
    // moment is nanoseconds: loom's model is what checks the order of
    // back-outs; this checks the history on real hardware, and under the
    // sanitizers and miri.)
    // In batches: a counter's operation count allocates a slot per thread.
    const ROUNDS_PER_BATCH: usize = if cfg!(miri) { 10 } else { 1_000 };
    let batches = if cfg!(miri) { 1 } else { 30 };
    let start = AtomicCounter::MAX - 4;
    for _ in 0..batches {
        let counters: Vec<AtomicCounter> = (0..ROUNDS_PER_BATCH)
            .map(|_| {
                let counter = AtomicCounter::new();
                counter.add(start);
                counter
            })
            .collect();
        // A spinning start line per round: the racers leave it within a few
        // nanoseconds of each other (a `Barrier` wakes them microseconds apart,
        // wider than the moment an addition past the ceiling stays landed).
        let arrived = AtomicUsize::new(0);
        let fitted_per_racer: Vec<Vec<Vec<(u64, u64)>>> = thread::scope(|s| {
            let racers: Vec<_> = [[1, 2, 1], [2, 1, 2]]
                .into_iter()
                .map(|amounts| {
                    let (counters, arrived) = (&counters, &arrived);
                    s.spawn(move || {
                        let mut fitted = Vec::with_capacity(counters.len());
                        for (round, counter) in counters.iter().enumerate() {
                            arrived.fetch_add(1, Ordering::SeqCst);
                            while arrived.load(Ordering::SeqCst) < 2 * (round + 1) {
                                std::hint::spin_loop();
                            }
                            let fitted_now: Vec<(u64, u64)> = amounts
                                .into_iter()
                                .filter_map(|n| counter.try_add(n).ok().map(|value| (value, n)))
                                .collect();
                            fitted.push(fitted_now);
                        }
                        fitted
                    })
                })
                .collect();
            racers
                .into_iter()
                .map(|racer| racer.join().unwrap())
                .collect()
        });
        for (round, counter) in counters.iter().enumerate() {
            let mut fitted: Vec<(u64, u64)> = fitted_per_racer
                .iter()
                .flat_map(|racer| racer[round].iter().copied())
                .collect();
            fitted.sort_unstable();
            let mut expected = start;
            for &(value, n) in &fitted {
                expected += n;
                assert_eq!(value, expected, "not one sequence: {fitted:?} from {start}");
            }
            let stats = counter.stats();
            assert_eq!((stats.value, stats.max), (expected, expected), "{fitted:?}");
            assert_eq!(stats.operations, 7);
        }
    }
}
