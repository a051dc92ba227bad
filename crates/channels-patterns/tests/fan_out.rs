//! Fan-out/fan-in: input order, panics reported per item, streaming and
//! bounded in-flight.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

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
