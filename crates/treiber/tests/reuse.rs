//! Type-stable nodes: in push-then-pop phases across threads (one thread
//! pushes N, another pops N, repeat), the popper's emptied nodes reach the
//! pusher through the shared free list, so after a warm-up the phases
//! allocate (almost) nothing. Alone in its test binary, because it counts
//! every allocation the process makes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;

use treiber::TreiberStack;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; we only count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a statistic, read after the threads synchronize.
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Held by each test for its whole run: both count the process's
/// allocations, so they must not overlap.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The documented bound on the allocations of a stack of `V` used by
/// `threads` threads that hold at most `most_held` values at once: a node
/// per value held, plus for each thread a pool (16 KiB of nodes, a node
/// being the value and the link) and a retired list (64 nodes before a
/// scan, plus the few a hazard held back); plus what a test itself
/// allocates (its threads and the hazard slots).
fn documented_bound<V>(threads: usize, most_held: usize) -> usize {
    let pool = 16 * 1024 / std::mem::size_of::<(V, usize)>();
    most_held + threads * (pool + 64 + 16) + 32
}

#[test]
fn push_then_pop_phases_across_threads_reuse_nodes() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    const N: usize = if cfg!(miri) { 100 } else { 10_000 };
    const WARM_UP: usize = 2;
    const ROUNDS: usize = 6;
    let stack = TreiberStack::new();
    let barrier = Barrier::new(2);
    let allocated = thread::scope(|s| {
        let popper = s.spawn(|| {
            for _ in 0..ROUNDS {
                barrier.wait(); // the pusher's phase
                let mut popped = 0;
                while let Some(value) = stack.pop() {
                    assert!(value < N);
                    popped += 1;
                }
                assert_eq!(popped, N);
                barrier.wait(); // our phase is over
            }
        });
        let mut start = 0;
        for round in 0..ROUNDS {
            if round == WARM_UP {
                // Relaxed: the barrier orders the other thread's counted
                // allocations before this read.
                start = ALLOCATIONS.load(Ordering::Relaxed);
            }
            for i in 0..N {
                stack.push(i);
            }
            barrier.wait();
            barrier.wait();
        }
        // Relaxed: as above.
        let end = ALLOCATIONS.load(Ordering::Relaxed);
        popper.join().unwrap();
        end - start
    });
    // Without the free list every pushed value after the pusher's pool ran
    // dry was a fresh node: N per round, (ROUNDS - WARM_UP) * N here.
    assert!(
        allocated < N / 4,
        "{allocated} allocations in {} rounds of {N} pushes",
        ROUNDS - WARM_UP
    );
}

#[test]
fn threads_that_each_push_then_pop_in_step_stop_allocating() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Two threads each push N, then pop N, in step, so that both refill
    // from the free list at about the same time. A refill once took the
    // whole list and kept it, and the other thread, finding the list
    // empty, allocated: about 2,500 new nodes a round of 200 phases here,
    // without bound (a break run saw 4.9 million after 73 rounds). Then a
    // refill put back what it did not keep, but a thread that found the
    // list empty meanwhile either waited (a bounded wait) or allocated:
    // about 20 nodes a round, still without bound (2,300 and 3,176 after
    // 30 rounds in two CI runs).
    const N: usize = if cfg!(miri) { 20 } else { 1_500 };
    const PHASES: usize = if cfg!(miri) { 2 } else { 200 };
    const ROUNDS: usize = if cfg!(miri) { 3 } else { 32 };
    const THREADS: usize = 2;
    let stack = TreiberStack::new();
    let barrier = Barrier::new(THREADS);
    // Relaxed: read before the threads start.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    thread::scope(|s| {
        let worker = || {
            for _ in 0..ROUNDS * PHASES {
                for i in 0..N {
                    stack.push(i);
                }
                for _ in 0..N {
                    assert!(stack.pop().is_some());
                }
                barrier.wait();
            }
        };
        s.spawn(worker);
        worker();
    });
    // Relaxed: the scope joined the other thread, which orders its
    // counted allocations before this read.
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let bound = documented_bound::<usize>(THREADS, THREADS * N);
    // Under miri a pool holds two nodes and the scans run every four
    // retirements: the count says little there, the run is for UB.
    assert!(
        cfg!(miri) || allocated <= bound,
        "{allocated} allocations (bound {bound}) in {} phases of {N} values per thread",
        ROUNDS * PHASES
    );
}

#[test]
fn producers_and_consumers_keep_the_stack_within_its_memory_bound() {
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Three threads only push and two only pop, at most IN_FLIGHT values
    // held, with values big enough that a pool is a few dozen nodes. A
    // refill once took a whole list or slot and put back what it did not
    // keep: a refill preempted before its put-back hid that part, the
    // others allocated, and the stack grew without bound (a break run, in
    // release: 21,825 nodes after 20 s, then 6,128 with a shorter window,
    // for 1,000 values in flight; now 1,261). Here, in a second of a debug
    // build, the slot design went over the bound in 1 of 3 runs (1,690 to
    // 1,996 against 1,742) and the shorter window rarely; this design
    // stays at 1,450 to 1,480.
    const PRODUCERS: usize = 3;
    const CONSUMERS: usize = 2;
    const IN_FLIGHT: usize = if cfg!(miri) { 20 } else { 1_000 };
    const PER_PRODUCER: usize = if cfg!(miri) { 100 } else { 1_000_000 };
    type Value = [u64; 32];
    let stack = TreiberStack::<Value>::new();
    // Relaxed on both counters: the stack orders the values themselves;
    // these only bound and count them.
    let in_flight = AtomicUsize::new(0);
    let popped = AtomicUsize::new(0);
    // Relaxed: read before the threads start.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    thread::scope(|s| {
        for _ in 0..PRODUCERS {
            s.spawn(|| {
                let mut pushed = 0;
                while pushed < PER_PRODUCER {
                    if in_flight.fetch_add(1, Ordering::Relaxed) < IN_FLIGHT {
                        stack.push([pushed as u64; 32]);
                        pushed += 1;
                    } else {
                        in_flight.fetch_sub(1, Ordering::Relaxed);
                        thread::yield_now();
                    }
                }
            });
        }
        for _ in 0..CONSUMERS {
            s.spawn(|| {
                while popped.load(Ordering::Relaxed) < PRODUCERS * PER_PRODUCER {
                    if stack.pop().is_some() {
                        popped.fetch_add(1, Ordering::Relaxed);
                        in_flight.fetch_sub(1, Ordering::Relaxed);
                    } else {
                        thread::yield_now();
                    }
                }
            });
        }
    });
    // Relaxed: the scope joined every thread.
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let bound = documented_bound::<Value>(PRODUCERS + CONSUMERS, IN_FLIGHT);
    assert_eq!(stack.pop(), None);
    assert!(
        cfg!(miri) || allocated <= bound,
        "{allocated} allocations (bound {bound}) for {} values, at most {IN_FLIGHT} held",
        PRODUCERS * PER_PRODUCER
    );
}
