//! Fan-out/fan-in: input order, panics reported per item, streaming and
//! bounded in-flight.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use fearless_test_support::is_the_child_of;

use channels_patterns::{fan_out_bounded, fan_out_fan_in, fan_out_stream, FanOutError, PoolError};

const ITEMS: u64 = if cfg!(miri) { 30 } else { 10_000 };

#[test]
fn concurrent_results_come_back_in_input_order() {
    for workers in [1, 2, 3, 8] {
        let out = fan_out_fan_in(0..ITEMS, workers, |x| x * 2 + 1).unwrap();
        assert_eq!(
            out,
            (0..ITEMS).map(|x| x * 2 + 1).collect::<Vec<_>>(),
            "{workers} workers"
        );
    }
}

#[test]
fn the_closure_and_inputs_may_borrow_from_the_caller() {
    let words = vec!["fan".to_owned(), "out".to_owned(), "in".to_owned()];
    let suffix = String::from("!");
    let shouted = fan_out_fan_in(&words, 2, |w| format!("{w}{suffix}")).unwrap();
    assert_eq!(shouted, ["fan!", "out!", "in!"]);
}

#[test]
fn empty_input_gives_empty_output_and_zero_workers_is_an_error() {
    assert_eq!(
        fan_out_fan_in(Vec::<u8>::new(), 4, |x| x).unwrap(),
        Vec::<u8>::new()
    );
    let error = fan_out_fan_in(0..3, 0, |x: i32| x).unwrap_err();
    assert!(matches!(error, FanOutError::InvalidSize(e) if e.argument() == "workers"));
    assert_eq!(
        error.to_string(),
        "cannot fan out: `workers` must be at least 1, not 0"
    );
}

#[test]
fn concurrent_a_panic_is_reported_with_its_index_and_every_other_item_still_runs() {
    let ran = AtomicUsize::new(0);
    let error = fan_out_fan_in(0..ITEMS, 3, |x| {
        ran.fetch_add(1, Ordering::Relaxed);
        assert!(x % 7 != 3, "bad item {x}");
        x
    })
    .unwrap_err();
    assert_eq!(
        ran.load(Ordering::Relaxed) as u64,
        ITEMS,
        "every item ran once"
    );
    let panicked: Vec<usize> = error.panics().map(|p| p.index()).collect();
    let expected: Vec<usize> = (0..ITEMS as usize).filter(|x| x % 7 == 3).collect();
    assert_eq!(panicked, expected);
    let FanOutError::Panicked(outcomes) = error else {
        panic!("expected Panicked")
    };
    assert_eq!(outcomes.len() as u64, ITEMS);
    for (index, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(value) => assert_eq!(*value as usize, index),
            Err(panicked) => assert_eq!(panicked.message(), format!("bad item {index}")),
        }
    }
}

#[test]
fn concurrent_stream_yields_every_index_once() {
    let mut seen: Vec<(usize, u64)> = fan_out_stream(0..ITEMS, 3, |x| x + 1)
        .unwrap()
        .map(|(index, result)| (index, result.unwrap()))
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..ITEMS).map(|x| (x as usize, x + 1)).collect::<Vec<_>>()
    );
}

#[test]
fn stream_reports_panics_per_item_and_goes_on() {
    let outcomes: Vec<_> = fan_out_stream(0..10_u32, 2, |x| {
        assert!(x != 4, "four");
        x
    })
    .unwrap()
    .collect();
    assert_eq!(outcomes.len(), 10);
    let failed: Vec<_> = outcomes
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| (*i, e)))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, 4);
    assert_eq!(failed[0].1.index(), 4);
    assert_eq!(failed[0].1.to_string(), "item #4 panicked: four");
}

#[test]
fn concurrent_bounded_never_has_more_than_its_limit_in_flight() {
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let pulled = Arc::new(AtomicUsize::new(0));
    let inputs = {
        let pulled = Arc::clone(&pulled);
        (0..).inspect(move |_| {
            pulled.fetch_add(1, Ordering::Relaxed);
        })
    };
    let stream = {
        let (running, most) = (Arc::clone(&running), Arc::clone(&most));
        fan_out_bounded(inputs, 4, 3, move |x: u64| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_micros(100));
            running.fetch_sub(1, Ordering::SeqCst);
            x
        })
        .unwrap()
    };
    let taken = if cfg!(miri) { 10 } else { 200 };
    let mut stream = stream;
    let mut indices = HashSet::new();
    for _ in 0..taken {
        let (index, result) = stream.next().unwrap();
        assert_eq!(result.unwrap() as usize, index);
        assert!(indices.insert(index));
        assert!(stream.in_flight() <= 3);
    }
    // An endless input: only what was taken plus what is in flight was pulled.
    assert!(pulled.load(Ordering::Relaxed) <= taken + 3);
    drop(stream);
    assert!(most.load(Ordering::SeqCst) <= 3, "at most 3 ran at once");
    assert_eq!(
        running.load(Ordering::SeqCst),
        0,
        "dropping the stream waits for the running items"
    );
}

#[test]
fn bounded_with_zero_in_flight_or_zero_workers_is_an_error() {
    assert!(matches!(
        fan_out_bounded(0..1, 1, 0, |x: i32| x),
        Err(PoolError::InvalidSize(e)) if e.argument() == "max_in_flight"
    ));
    assert!(matches!(
        fan_out_bounded(0..1, 0, 1, |x: i32| x),
        Err(PoolError::InvalidSize(e)) if e.argument() == "workers"
    ));
    assert!(matches!(
        fan_out_stream(0..1, 0, |x: i32| x),
        Err(PoolError::InvalidSize(e)) if e.argument() == "workers"
    ));
}

#[test]
fn dropping_a_stream_early_drops_the_inputs_not_started() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let inputs: Vec<Counted> = (0..50).map(|_| Counted(Arc::clone(&drops))).collect();
    let mut stream = fan_out_stream(inputs, 2, |c: Counted| {
        thread::sleep(Duration::from_micros(50));
        drop(c);
    })
    .unwrap();
    assert!(stream.next().is_some());
    drop(stream);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        50,
        "every input dropped once: run or discarded"
    );
}

/// Adaptive start: trivial inputs of every size run on the caller alone,
/// and still give every result once, in input order.
#[test]
fn inputs_of_every_size_give_every_result_once_in_order() {
    let sizes: &[usize] = if cfg!(miri) {
        &[0, 1, 2, 10, 100]
    } else {
        &[0, 1, 2, 3, 10, 1_000, 100_000]
    };
    for &size in sizes {
        for workers in [1, 2, 4, usize::MAX] {
            let calls: Vec<AtomicUsize> = (0..size).map(|_| AtomicUsize::new(0)).collect();
            let out = fan_out_fan_in(0..size, workers, |i| {
                calls[i].fetch_add(1, Ordering::Relaxed);
                i * 3
            })
            .unwrap();
            assert_eq!(out, (0..size).map(|i| i * 3).collect::<Vec<_>>());
            assert!(
                calls.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "every item ran exactly once: {size} items, {workers} workers"
            );
        }
    }
}

/// Items far above a thread start (1 ms each) start helpers: the caller's
/// items past the middle wait until a helper has run one, so this test
/// ends only if a helper shared the work. Order, exactly-once and the
/// panic indices hold on this path too, for an input of unknown length as
/// well.
#[test]
fn concurrent_slow_items_start_helpers_and_keep_every_promise() {
    let size = if cfg!(miri) { 12 } else { 40 };
    let known = (0..size).collect::<Vec<usize>>();
    let mut next = 0;
    let unknown = std::iter::from_fn(move || {
        next += 1;
        (next <= size).then_some(next - 1)
    });
    assert_eq!(unknown.size_hint(), (0, None));
    let inputs: [Box<dyn Iterator<Item = usize>>; 2] =
        [Box::new(known.into_iter()), Box::new(unknown)];
    for inputs in inputs {
        let caller = thread::current().id();
        let helper_ran = (Mutex::new(false), Condvar::new());
        let calls: Vec<AtomicUsize> = (0..size).map(|_| AtomicUsize::new(0)).collect();
        let error = fan_out_fan_in(inputs, 2, |i| {
            calls[i].fetch_add(1, Ordering::Relaxed);
            thread::sleep(Duration::from_millis(1));
            let (ran, wake) = &helper_ran;
            if thread::current().id() != caller {
                *ran.lock().unwrap() = true;
                wake.notify_all();
            } else if i >= size / 2 {
                // Generous: only a missing helper makes this wait long.
                // The guard is dropped here, before this item may panic
                // (a panic holding it would poison the lock).
                let helper_has_run = *wake
                    .wait_timeout_while(ran.lock().unwrap(), Duration::from_secs(60), |ran| !*ran)
                    .unwrap()
                    .0;
                assert!(helper_has_run, "no helper thread ran an item");
            }
            assert!(i % 5 != 2, "slow item {i}");
            i * 3
        })
        .unwrap_err();
        assert!(calls.iter().all(|c| c.load(Ordering::Relaxed) == 1));
        let panicked: Vec<usize> = error.panics().map(|p| p.index()).collect();
        assert_eq!(
            panicked,
            (0..size).filter(|i| i % 5 == 2).collect::<Vec<_>>()
        );
        let FanOutError::Panicked(outcomes) = error else {
            panic!("expected Panicked")
        };
        for (index, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(value) => assert_eq!(*value, index * 3),
                Err(panicked) => assert_eq!(panicked.message(), format!("slow item {index}")),
            }
        }
        assert_eq!(outcomes.len(), size);
    }
}

/// A panic in the input iterator is not an item's: it unwinds out of the
/// call, whichever path the call was on.
#[test]
fn a_panicking_input_iterator_unwinds_out_of_the_call() {
    for (slow, workers) in [(false, 1), (false, 2), (true, 2)] {
        let ran = AtomicUsize::new(0);
        let inputs = (0..100_u32).inspect(|i| assert!(*i != 7, "input {i} is broken"));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fan_out_fan_in(inputs, workers, |i| {
                if slow {
                    thread::sleep(Duration::from_millis(1));
                }
                ran.fetch_add(1, Ordering::Relaxed);
                i
            })
        }));
        let payload = caught.expect_err("the iterator's panic unwinds");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("input 7 is broken")
        );
        // Some of the items before it ran (those the caller ran before it
        // collected the rest for helpers), none after it.
        assert!(ran.load(Ordering::Relaxed) <= 7);
    }
}

/// A panic of the input iterator unwinds out of the call once the inputs
/// and results the call holds are dropped, each once, even when their
/// `Drop` panics too: dropped during the unwind, as they were, that second
/// panic aborted the process. Run in a child process, which the broken
/// behaviour aborts.
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a child process")]
fn an_input_iterator_panic_drops_what_the_call_holds_once_even_if_a_drop_panics() {
    if !is_the_child_of(
        "an_input_iterator_panic_drops_what_the_call_holds_once_even_if_a_drop_panics",
    ) {
        return;
    }
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Input {
        id: u32,
    }
    impl Drop for Input {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
            // Five held by the call when the iterator panics, and one left
            // in the iterator (whose own `Drop` drops the others: a second
            // panic there would abort the process wherever it is dropped).
            let panics = self.id % 10 == 3 && (self.id < 50 || self.id == 73);
            assert!(!panics, "dropping input {}", self.id);
        }
    }
    // The trivial map runs on the caller (all of it, or until its probe
    // meets the panic); the slow one collects the rest for helpers.
    for (slow, workers) in [(false, 1), (false, 2), (true, 2)] {
        DROPS.store(0, Ordering::Relaxed);
        let inputs: Vec<Input> = (0..100).map(|id| Input { id }).collect();
        let inputs = inputs.into_iter().inspect(|input| {
            assert!(input.id != 50, "input 50 is broken");
        });
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fan_out_fan_in(inputs, workers, |input| {
                if slow {
                    thread::sleep(Duration::from_millis(1));
                }
                input
            })
        }));
        let Err(payload) = caught else {
            panic!("the iterator's panic did not unwind");
        };
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("input 50 is broken"),
            "slow {slow}, {workers} workers"
        );
        assert_eq!(
            DROPS.load(Ordering::Relaxed),
            100,
            "slow {slow}, {workers} workers: every input dropped once"
        );
    }
}

/// An input iterator whose `Drop` panics: `0..len`.
struct PanicsWhenDropped(std::ops::Range<usize>);

impl Iterator for PanicsWhenDropped {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("the input iterator panicked on drop");
    }
}

/// A capture of `f` whose `Drop` panics.
struct CapturePanicsWhenDropped;

impl Drop for CapturePanicsWhenDropped {
    fn drop(&mut self) {
        panic!("f's capture panicked on drop");
    }
}

/// The input iterator's own `Drop`, or `f`'s (a capture's), panicking: the
/// panic reaches the caller after every result made was dropped, once.
/// Before, the call built its return value first, and the panic of a value
/// dropped after that leaked every result (rust-lang/rust#47949). (When
/// helpers may be worth starting, the inputs left are collected first, and
/// the iterator's `Drop` panics before they run: fewer results are made.)
#[test]
fn a_panicking_drop_of_the_inputs_or_of_f_drops_every_result_once() {
    let items = if cfg!(miri) { 20 } else { 200 };
    for (slow, workers) in [(false, 1), (false, 2), (true, 2)] {
        for culprit in ["inputs", "f"] {
            let (made, dropped) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let capture = CapturePanicsWhenDropped;
            let (made_ref, dropped_ref) = (&made, &dropped);
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let map = move |item: usize| {
                    if slow {
                        thread::sleep(Duration::from_micros(200));
                    }
                    made_ref.fetch_add(1, Ordering::Relaxed);
                    Counted(item, dropped_ref)
                };
                if culprit == "inputs" {
                    std::mem::forget(capture);
                    fan_out_fan_in(PanicsWhenDropped(0..items), workers, map)
                } else {
                    fan_out_fan_in(0..items, workers, move |item| {
                        let _ = &capture;
                        map(item)
                    })
                }
            }));
            let case = format!("{culprit}, slow {slow}, {workers} workers");
            let payload = caught.err().unwrap_or_else(|| panic!("{case}: no panic"));
            let expected = if culprit == "inputs" {
                "the input iterator panicked on drop"
            } else {
                "f's capture panicked on drop"
            };
            assert_eq!(
                payload.downcast_ref::<&str>().copied(),
                Some(expected),
                "{case}"
            );
            let made = made.load(Ordering::Relaxed);
            assert!(made > 0, "{case}: f ran");
            if culprit == "f" {
                assert_eq!(made, items, "{case}: every item ran");
            }
            assert_eq!(
                dropped.load(Ordering::Relaxed),
                made,
                "{case}: every result dropped once"
            );
        }
    }
}

/// The input iterator panicking, and `f`'s capture panicking when `f` is
/// dropped: the iterator's panic reaches the caller. Before, `f` was
/// dropped while that panic unwound, and the second panic aborted the
/// process. Run in a child process, which the broken behaviour aborts.
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a child process")]
fn an_input_panic_with_an_f_whose_drop_panics_too_reaches_the_caller() {
    if !is_the_child_of("an_input_panic_with_an_f_whose_drop_panics_too_reaches_the_caller") {
        return;
    }
    for workers in [1, 2] {
        let capture = CapturePanicsWhenDropped;
        let inputs = (0..100_u32).inspect(|&input| assert!(input != 50, "input 50 is broken"));
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fan_out_fan_in(inputs, workers, move |input| {
                let _ = &capture;
                input
            })
        }));
        let payload = caught.expect_err("the iterator's panic unwinds");
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("input 50 is broken"),
            "{workers} workers"
        );
    }
}

/// A non-`Send` input iterator is fine: the inputs are pulled on the
/// calling thread.
#[test]
fn the_input_iterator_need_not_be_send() {
    let shared = std::rc::Rc::new(5_u64);
    let inputs = (0..1_000_u64).map(|i| i + *shared);
    let out = fan_out_fan_in(inputs, 2, |x| x * 2).unwrap();
    assert_eq!(out, (0..1_000_u64).map(|i| (i + 5) * 2).collect::<Vec<_>>());
}

/// A zero `max_in_flight` is the fan-out's argument, not a worker pool's:
/// the message says so (the fan-out's `workers` still build its pool).
#[test]
fn a_zero_max_in_flight_is_reported_as_the_fan_outs() {
    let error = fan_out_bounded(0..1, 1, 0, |x: i32| x).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot fan out: `max_in_flight` must be at least 1, not 0"
    );
    let error = fan_out_bounded(0..1, 0, 1, |x: i32| x).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build a worker pool: `workers` must be at least 1, not 0"
    );
}

/// An unbounded stream's `Debug` shows no bound (`None`), not a number.
#[test]
fn a_streams_debug_shows_its_bound_or_none() {
    let unbounded = fan_out_stream(0..1, 1, |x: i32| x).unwrap();
    let shown = format!("{unbounded:?}");
    assert!(shown.contains("max_in_flight: None"), "{shown}");
    assert!(!shown.contains(&usize::MAX.to_string()), "{shown}");
    let bounded = fan_out_bounded(0..1, 1, 8, |x: i32| x).unwrap();
    let shown = format!("{bounded:?}");
    assert!(shown.contains("max_in_flight: Some(8)"), "{shown}");
}

/// A stream starts no more threads than its input has items, nor than
/// may be in flight (a break run saw 1,001 threads started for 3 inputs);
/// an input of unknown length gets `workers`.
#[test]
fn a_stream_starts_no_more_threads_than_inputs_or_than_in_flight() {
    let workers = |shown: String| {
        let after = &shown[shown.find("workers: ").expect("Debug shows workers") + 9..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<usize>().unwrap()
    };
    let few = fan_out_stream(0..3, 64, |x: i32| x).unwrap();
    assert_eq!(workers(format!("{few:?}")), 3);
    assert_eq!(few.count(), 3);
    // Under miri each item's trip through the stream costs milliseconds:
    // the full count there took 80 s, most of this crate's miri time.
    let many = if cfg!(miri) { 40 } else { 1_000 };
    let bounded = fan_out_bounded(0..many, 64, 2, |x: i32| x).unwrap();
    assert_eq!(workers(format!("{bounded:?}")), 2);
    assert_eq!(bounded.count(), many as usize);
    let mut pulled = 0;
    let unknown_length = std::iter::from_fn(move || {
        pulled += 1;
        (pulled <= 3).then_some(pulled)
    });
    let unknown = fan_out_stream(unknown_length, 4, |x: i32| x).unwrap();
    assert_eq!(workers(format!("{unknown:?}")), 4);
    assert_eq!(unknown.count(), 3);
    let empty = fan_out_stream(0..0, 8, |x: i32| x).unwrap();
    assert_eq!(
        workers(format!("{empty:?}")),
        1,
        "one thread even for no input"
    );
    assert_eq!(empty.count(), 0);
    assert!(
        fan_out_stream(0..3, 0, |x: i32| x).is_err(),
        "0 workers is still refused"
    );
}

/// Helper threads outlive a call and serve every caller: calls from
/// several threads at once, and calls nested inside an item, each get
/// every result once and in order, and none waits for another's helpers.
#[test]
fn concurrent_callers_and_nested_calls_share_the_helpers_and_lose_nothing() {
    let (outer, inner) = if cfg!(miri) { (6, 3) } else { (60, 20) };
    let slow_square = |x: u64| {
        // Slow enough that the adaptive start wants helpers.
        thread::sleep(Duration::from_micros(200));
        x * x
    };
    thread::scope(|s| {
        let callers: Vec<_> = (0..3_u64)
            .map(|caller| {
                s.spawn(move || {
                    let sums = fan_out_fan_in(0..outer, 4, |i| {
                        let nested = fan_out_fan_in(0..inner, 2, slow_square).unwrap();
                        nested.iter().sum::<u64>() + caller * 1_000_000 + i
                    })
                    .unwrap();
                    let nested_sum: u64 = (0..inner).map(|x| x * x).sum();
                    let expected: Vec<u64> = (0..outer)
                        .map(|i| nested_sum + caller * 1_000_000 + i)
                        .collect();
                    assert_eq!(sums, expected, "caller {caller}");
                })
            })
            .collect();
        callers.into_iter().for_each(|c| c.join().unwrap());
    });
}

/// A cheap first input must not keep helpers out of slow ones after it
/// (they all ran on the caller, one after another).
#[test]
#[cfg_attr(miri, ignore = "sleeps of milliseconds")]
fn slow_items_after_a_cheap_first_one_still_get_helpers() {
    for _warm_and_then_measured in 0..3 {
        let threads = Mutex::new(HashSet::new());
        let out = fan_out_fan_in(0..17_u32, 4, |i| {
            if i > 0 {
                thread::sleep(Duration::from_millis(5));
                threads.lock().unwrap().insert(thread::current().id());
            }
            i
        })
        .unwrap();
        assert_eq!(out, (0..17).collect::<Vec<_>>());
        let threads = threads.into_inner().unwrap().len();
        assert!(threads > 1, "16 items of 5 ms ran on {threads} thread(s)");
    }
}

/// Counts its drops in a shared counter.
struct Counted<'a>(usize, &'a AtomicUsize);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

/// The path where helpers share the work moves each input out of a shared
/// buffer and writes each result in place: every input is dropped once
/// (by `f`, panicking or not), every result once (by the caller), whether
/// no item panicked, some panicked only once helpers had started, or one
/// panicked while the caller still ran alone.
#[test]
fn concurrent_shared_items_and_results_are_each_dropped_once_even_when_some_panic() {
    let size = if cfg!(miri) { 10 } else { 40 };
    for first_panic in [None, Some(size / 2), Some(0)] {
        let inputs_dropped = AtomicUsize::new(0);
        let results_dropped = AtomicUsize::new(0);
        let threads = Mutex::new(HashSet::new());
        let outcome = fan_out_fan_in((0..size).map(|i| Counted(i, &inputs_dropped)), 2, |input| {
            thread::sleep(Duration::from_millis(2));
            threads.lock().unwrap().insert(thread::current().id());
            let i = input.0;
            assert!(
                first_panic.is_none_or(|first| i < first || i % 3 != 0),
                "item {i}"
            );
            Counted(i, &results_dropped)
        });
        assert_eq!(
            inputs_dropped.load(Ordering::Relaxed),
            size,
            "{first_panic:?}"
        );
        let outcomes: Vec<Result<Counted<'_>, usize>> = match outcome {
            Ok(results) => results.into_iter().map(Ok).collect(),
            Err(FanOutError::Panicked(outcomes)) => outcomes
                .into_iter()
                .map(|outcome| outcome.map_err(|panicked| panicked.index()))
                .collect(),
            Err(other) => panic!("unexpected {other}"),
        };
        let mut expected_panics = 0;
        for (index, outcome) in outcomes.iter().enumerate() {
            let panics = first_panic.is_some_and(|first| index >= first && index % 3 == 0);
            expected_panics += usize::from(panics);
            match outcome {
                Ok(result) => assert!(!panics && result.0 == index, "{first_panic:?}: {index}"),
                Err(panicked) => assert!(panics && *panicked == index, "{first_panic:?}: {index}"),
            }
        }
        assert_eq!(outcomes.len(), size);
        drop(outcomes);
        assert_eq!(
            results_dropped.load(Ordering::Relaxed),
            size - expected_panics,
            "{first_panic:?}"
        );
        assert!(
            threads.into_inner().unwrap().len() > 1,
            "{first_panic:?}: 2 ms items shared no work"
        );
    }
}

/// A stream dropped from inside its own `f` neither panics nor waits for
/// itself: the inputs already handed to the workers still run.
#[test]
fn a_stream_dropped_inside_its_own_f_does_not_panic() {
    type Stream = channels_patterns::FanOutStream<std::ops::Range<u32>, u32>;
    static STREAM: Mutex<Option<Stream>> = Mutex::new(None);
    let (dropped, was_dropped) = std::sync::mpsc::channel::<bool>();
    let dropped = Mutex::new(dropped);
    let mut stream = fan_out_stream(0..4_u32, 2, move |x| {
        if x == 3 {
            // Wait for the caller to park the stream where this can take it.
            let stream = loop {
                if let Some(stream) = STREAM.lock().unwrap().take() {
                    break stream;
                }
                thread::sleep(Duration::from_millis(1));
            };
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
            dropped.lock().unwrap().send(panicked.is_err()).unwrap();
        }
        x
    })
    .unwrap();
    // Pulls inputs into flight (the stream is unbounded) until a result
    // is ready: all four, unless the worker was quicker than the pulling
    // (a loaded machine, miri's scheduler), when input 3, which drops the
    // stream, never goes: then there is nothing to check.
    assert!(stream.next().is_some());
    if stream.in_flight() < 3 {
        return;
    }
    *STREAM.lock().unwrap() = Some(stream);
    let panicked = was_dropped.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(!panicked, "dropping the stream inside its own f panicked");
}

/// Results a stream's workers finished and nobody took are dropped with
/// the stream, each once, even when one's `Drop` panics; that panic then
/// comes out of the drop (before, it was swallowed).
#[test]
fn a_dropped_streams_untaken_results_are_each_dropped_once() {
    struct Noisy(u32, Arc<AtomicUsize>);
    impl Drop for Noisy {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::Relaxed);
            assert!(self.0 != 1, "result 1's drop panics");
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let (counter, making) = (Arc::clone(&dropped), Arc::clone(&made));
    let mut stream = fan_out_stream(0..10_u32, 1, move |x| {
        making.fetch_add(1, Ordering::Relaxed);
        Noisy(x, Arc::clone(&counter))
    })
    .unwrap();
    drop(stream.next().unwrap());
    // Let the worker finish the inputs the stream pulled so far (all ten,
    // unless a result was ready before: it goes out first) before the
    // stream goes, so that their results wait untaken.
    let pulled = stream.in_flight() + 1;
    while made.load(Ordering::Relaxed) < pulled {
        thread::yield_now();
    }
    let dropping = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
    // Every result made was dropped once (the first by the test).
    let made = made.load(Ordering::Relaxed);
    assert_eq!(dropped.load(Ordering::Relaxed), made);
    // Result 1, if the worker made it, waited untaken: its panic is told.
    match dropping {
        Err(payload) => {
            assert!(made > 1, "a panic, though result 1 was never made");
            assert!(atomics_kit::panic_text(&*payload)
                .is_some_and(|text| text.contains("result 1's drop panics")));
        }
        Ok(()) => assert_eq!(made, 1, "result 1 was made, and its panic swallowed"),
    }
}

/// Slow items clustered at the end of the input spread over the threads:
/// chunks are sized by the probed cost of an item (down to one slow item
/// a chunk), not only by count (8 chunks a thread, of 8 items each for the
/// 128 inputs left after the first, put all 8 slow items of this input in
/// the last chunk, on one thread, one after another).
#[test]
#[cfg_attr(miri, ignore = "waits on sleeps of milliseconds")]
fn slow_items_clustered_at_the_end_spread_over_the_threads() {
    const LEN: u32 = 129;
    let slow = |i: u32| i == 0 || i >= LEN - 8;
    let ran_on = Mutex::new(Vec::new());
    let out = fan_out_fan_in(0..LEN, 2, |i| {
        if slow(i) {
            thread::sleep(Duration::from_millis(5));
            ran_on.lock().unwrap().push((i, thread::current().id()));
        }
        i
    })
    .unwrap();
    assert_eq!(out, (0..LEN).collect::<Vec<_>>());
    let last_cluster: HashSet<_> = ran_on
        .into_inner()
        .unwrap()
        .into_iter()
        .filter(|(i, _)| *i >= LEN - 8)
        .map(|(_, thread)| thread)
        .collect();
    assert_eq!(
        last_cluster.len(),
        2,
        "the last 8 slow items ran on one thread"
    );
}

/// An input whose `Drop` counts itself and panics.
struct InputPanicsWhenDropped(Arc<AtomicUsize>);

impl Drop for InputPanicsWhenDropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("an input panicked on drop");
    }
}

/// A stream dropped early with several unstarted inputs whose `Drop`
/// panics: every input is dropped once and the first panic comes out of
/// the drop. Before, the second panic, raised while the first unwound out
/// of the vector of unstarted inputs, aborted the process (a break run);
/// so this runs in a child process.
#[test]
#[cfg_attr(miri, ignore = "miri cannot start a child process")]
fn a_dropped_stream_drops_every_unstarted_input_even_when_their_drops_panic() {
    if !is_the_child_of("a_dropped_stream_drops_every_unstarted_input_even_when_their_drops_panic")
    {
        return;
    }
    for bounded in [false, true] {
        let drops = Arc::new(AtomicUsize::new(0));
        let ran = Arc::new(AtomicUsize::new(0));
        // Made as they are pulled: a vector's iterator would hold the
        // bounded stream's unpulled ones, and dropping two of them aborts
        // in std's own drop, as dropping such a vector does.
        let (made, pulled) = (Arc::clone(&drops), Arc::new(AtomicUsize::new(0)));
        let pulling = Arc::clone(&pulled);
        let inputs = (0..10).map(move |_| {
            pulling.fetch_add(1, Ordering::SeqCst);
            InputPanicsWhenDropped(Arc::clone(&made))
        });
        let running = Arc::clone(&ran);
        let f = move |input: InputPanicsWhenDropped| {
            running.fetch_add(1, Ordering::SeqCst);
            std::mem::forget(input);
            thread::sleep(Duration::from_millis(20));
        };
        let mut stream = if bounded {
            fan_out_bounded(inputs, 1, 4, f).unwrap()
        } else {
            fan_out_stream(inputs, 1, f).unwrap()
        };
        assert!(stream.next().is_some());
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
        let payload = dropped.expect_err("the inputs' panic came out of the drop");
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("an input panicked on drop")
        );
        // Every input pulled was run (and forgotten by f) or dropped.
        let pulled = pulled.load(Ordering::SeqCst);
        assert_eq!(
            drops.load(Ordering::SeqCst) + ran.load(Ordering::SeqCst),
            pulled,
            "bounded {bounded}: every input pulled was run or dropped, once"
        );
    }
}

/// A panic in `f`'s own `Drop` (a capture's), which happens on a worker
/// thread as the last worker stops, comes out of the stream's drop.
/// Before, the streams swallowed it: every result came back and nothing
/// told the caller (a break run).
#[test]
fn a_streams_function_that_panics_when_dropped_is_reported_by_the_drop() {
    for bounded in [false, true] {
        let capture = CapturePanicsWhenDropped;
        let f = move |x: u32| {
            let _ = &capture;
            x
        };
        let mut stream = if bounded {
            fan_out_bounded(0..10, 2, 3, f).unwrap()
        } else {
            fan_out_stream(0..10, 2, f).unwrap()
        };
        assert_eq!(stream.by_ref().filter(|(_, r)| r.is_ok()).count(), 10);
        let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(stream)));
        let Err(payload) = dropped else {
            panic!("bounded {bounded}: f's panic did not come out of the drop");
        };
        assert_eq!(
            payload.downcast_ref::<&str>().copied(),
            Some("the fan-out's function panicked when dropped"),
            "bounded {bounded}"
        );
    }
}
