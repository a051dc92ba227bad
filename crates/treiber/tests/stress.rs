//! Hammer tests: every value pushed is popped exactly once or left in the
//! stack, and dropped exactly once. `cargo xtask sanitizers` runs this file
//! under AddressSanitizer (a use-after-free in pop shows within a second at
//! 4 threads x 200k operations) and ThreadSanitizer; `cargo xtask miri` runs
//! it with fewer operations over many seeds.

use std::sync::atomic::{AtomicU8, Ordering};
use std::thread;

use treiber::TreiberStack;

/// Operations per thread: enough to interleave, at least 50 under miri.
const OPS: usize = if cfg!(miri) { 60 } else { 200_000 };
const THREADS: usize = 4;

/// A value that records its drop in its own slot, so a double drop or a
/// missed one shows as a count other than 1.
struct Tracked<'a> {
    id: usize,
    drops: &'a [AtomicU8],
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops[self.id].fetch_add(1, Ordering::Relaxed);
    }
}

fn drop_slots(n: usize) -> Vec<AtomicU8> {
    (0..n).map(|_| AtomicU8::new(0)).collect()
}

/// Sorts popped ids and checks they are exactly `0..expected`.
fn assert_exactly_once(mut ids: Vec<usize>, expected: usize) {
    ids.sort_unstable();
    let duplicates = ids.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(duplicates, 0, "a value was popped twice");
    assert_eq!(ids, (0..expected).collect::<Vec<_>>(), "a value was lost");
}

fn assert_dropped_once(drops: &[AtomicU8]) {
    let wrong: Vec<_> = drops
        .iter()
        .enumerate()
        .filter(|(_, count)| count.load(Ordering::Relaxed) != 1)
        .map(|(id, count)| (id, count.load(Ordering::Relaxed)))
        .take(5)
        .collect();
    assert!(
        wrong.is_empty(),
        "(id, drops) not dropped exactly once: {wrong:?}"
    );
}

#[test]
fn concurrent_pushers_and_poppers_deliver_each_value_once_and_drop_it_once() {
    let total = THREADS * OPS;
    let drops = drop_slots(total);
    let stack = TreiberStack::new();
    let mut ids: Vec<usize> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (stack, drops) = (&stack, &drops[..]);
                s.spawn(move || {
                    let mut popped = Vec::new();
                    for i in 0..OPS {
                        stack.push(Tracked {
                            id: thread * OPS + i,
                            drops,
                        });
                        // Pop a little less often than we push, so the
                        // stack grows and poppers also race near empty.
                        if i % 4 != 3 {
                            if let Some(value) = stack.pop() {
                                popped.push(value.id);
                            }
                        }
                    }
                    popped
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    ids.extend(stack.pop_all().map(|value| value.id));
    assert_exactly_once(ids, total);
    assert_dropped_once(&drops);
}

#[test]
fn concurrent_producers_and_consumers_pass_nodes_through_the_free_list_exactly_once() {
    // Threads that only push and threads that only pop: every node the
    // consumers empty reaches the producers through the shared free list.
    // Values of about 1 KiB keep the pools at 16 nodes, so chains move
    // through it every few operations (a refill pops a chain under a
    // hazard and reads the end its top node records).
    struct Big<'a> {
        tracked: Tracked<'a>,
        _ballast: [u64; 120],
    }
    const SIDES: usize = THREADS / 2;
    let total = SIDES * OPS;
    let drops = drop_slots(total);
    let stack = TreiberStack::new();
    let received = std::sync::atomic::AtomicUsize::new(0);
    let ids: Vec<usize> = thread::scope(|s| {
        for producer in 0..SIDES {
            let (stack, drops) = (&stack, &drops[..]);
            s.spawn(move || {
                for i in 0..OPS {
                    let id = producer * OPS + i;
                    stack.push(Big {
                        tracked: Tracked { id, drops },
                        _ballast: [id as u64; 120],
                    });
                }
            });
        }
        let consumers: Vec<_> = (0..SIDES)
            .map(|_| {
                let (stack, received) = (&stack, &received);
                s.spawn(move || {
                    let mut popped = Vec::new();
                    // Relaxed: a count of values taken; the stack orders
                    // the values themselves.
                    while received.load(Ordering::Relaxed) < total {
                        match stack.pop() {
                            Some(value) => {
                                received.fetch_add(1, Ordering::Relaxed);
                                popped.push(value.tracked.id);
                            }
                            None => thread::yield_now(),
                        }
                    }
                    popped
                })
            })
            .collect();
        consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect()
    });
    assert_exactly_once(ids, total);
    assert_dropped_once(&drops);
}

#[test]
fn concurrent_pops_of_a_prefilled_stack_take_each_value_once() {
    let total = THREADS * OPS;
    let stack: TreiberStack<usize> = (0..total).collect();
    let ids: Vec<usize> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| s.spawn(|| std::iter::from_fn(|| stack.pop()).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(stack.is_empty());
    assert_exactly_once(ids, total);
}

#[test]
fn concurrent_pop_all_racing_pushes_loses_nothing() {
    let total = THREADS * OPS;
    let drops = drop_slots(total);
    let stack = TreiberStack::new();
    let mut ids: Vec<usize> = thread::scope(|s| {
        for thread in 0..THREADS - 1 {
            let (stack, drops) = (&stack, &drops[..]);
            s.spawn(move || {
                for i in 0..OPS {
                    stack.push(Tracked {
                        id: thread * OPS + i,
                        drops,
                    });
                }
            });
        }
        let drainer = s.spawn(|| {
            let mut taken = Vec::new();
            for _ in 0..OPS / 8 {
                taken.extend(stack.pop_all().map(|value| value.id));
            }
            taken
        });
        drainer.join().unwrap()
    });
    ids.extend(stack.pop_all().map(|value| value.id));
    assert_exactly_once(ids, (THREADS - 1) * OPS);
    // The last thread's slots were never used.
    assert_dropped_once(&drops[..(THREADS - 1) * OPS]);
}

#[test]
fn concurrent_push_all_batches_stay_whole_and_in_order() {
    let batch = 16;
    let batches = OPS / batch;
    let stack = TreiberStack::new();
    thread::scope(|s| {
        for thread in 0..THREADS {
            let stack = &stack;
            s.spawn(move || {
                for b in 0..batches {
                    let first = (thread * batches + b) * batch;
                    stack.push_all(first..first + batch);
                }
            });
        }
    });
    let values: Vec<usize> = stack.pop_all().collect();
    assert_eq!(values.len(), THREADS * batches * batch);
    // Each batch was linked with one CAS: its values sit together, last on top.
    for chunk in values.chunks(batch) {
        let top = chunk[0];
        assert_eq!(top % batch, batch - 1, "a batch was split: {chunk:?}");
        assert!(chunk.iter().enumerate().all(|(i, &v)| v == top - i));
    }
}
