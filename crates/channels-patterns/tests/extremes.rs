//! Every argument of every public function, extreme ones too, is accepted
//! (clamped, as documented) or refused with a typed error: never a panic
//! from inside std or crossbeam.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use channels_patterns::{
    fan_out_bounded, fan_out_fan_in, fan_out_stream, BoundedQueue, FanOutError, PoolError,
    SizeError, WorkerPool,
};
use fearless_test_support::{in_child, on_tiny_default_stacks};

#[test]
fn fan_out_fan_in_with_more_workers_than_inputs_uses_one_per_input() {
    for workers in [1 << 61, usize::MAX] {
        let doubled = fan_out_fan_in(0..10_u32, workers, |x| x * 2).unwrap();
        assert_eq!(doubled, (0..10).map(|x| x * 2).collect::<Vec<_>>());
    }
    assert_eq!(fan_out_fan_in(0..0_u32, usize::MAX, |x| x).unwrap(), []);
}

#[test]
fn pools_refuse_more_workers_than_they_can_start() {
    let error = WorkerPool::new(usize::MAX, |x: u8| x).unwrap_err();
    assert!(matches!(
        error,
        PoolError::InvalidSize(e) if e == SizeError::too_large("workers", WorkerPool::MAX_WORKERS)
    ));
    assert!(matches!(
        fan_out_stream(0..3, usize::MAX, |x: u8| x),
        Err(PoolError::InvalidSize(e)) if e.argument() == "workers"
    ));
    assert!(matches!(
        fan_out_bounded(0..3, usize::MAX, 4, |x: u8| x),
        Err(PoolError::InvalidSize(e)) if e.argument() == "workers"
    ));
}

#[test]
fn a_huge_queue_capacity_is_a_typed_error() {
    for capacity in [usize::MAX, WorkerPool::MAX_QUEUE_CAPACITY + 1] {
        let error = WorkerPool::builder()
            .workers(1)
            .queue_capacity(capacity)
            .build(|x: u8| x)
            .unwrap_err();
        assert!(matches!(
            error,
            PoolError::InvalidSize(e) if e.argument() == "queue_capacity" && !e.is_zero()
        ));
    }
    let (pool, _results) = WorkerPool::builder()
        .workers(1)
        .queue_capacity(1 << 16)
        .build(|x: u8| x)
        .unwrap();
    pool.shutdown();
}

#[test]
fn a_huge_bounded_queue_is_a_typed_error() {
    assert_eq!(
        BoundedQueue::<u8>::new(usize::MAX).unwrap_err(),
        SizeError::too_large("capacity", BoundedQueue::<u8>::MAX_CAPACITY)
    );
}

#[test]
fn a_queue_of_values_too_large_for_one_allocation_is_a_typed_error() {
    // 2^24 slots of a TiB each are far beyond `isize::MAX` bytes: this
    // type's `MAX_CAPACITY` says how many fit (a break run found it
    // 2^24, which `new` refused), and one more is a typed error naming
    // it, not a panic.
    type Huge = [u8; 1 << 40];
    let largest = (isize::MAX as usize) / ((1 << 40) + 8);
    assert_eq!(BoundedQueue::<Huge>::MAX_CAPACITY, largest);
    let error = BoundedQueue::<Huge>::new(largest + 1).unwrap_err();
    assert_eq!(error, SizeError::too_large("capacity", largest));
}

#[test]
fn a_pool_queue_of_jobs_too_large_for_one_allocation_is_a_typed_error() {
    // 2^23 slots of a TiB each (plus the job id and a stamp): a typed error
    // naming the largest capacity for this job type, from `build` and
    // `build_detached` alike, not a panic inside the channel.
    type Huge = [u8; 1 << 40];
    let expected = |error: &PoolError| {
        matches!(error, PoolError::InvalidSize(size)
            if size.argument() == "queue_capacity" && size.max().is_some_and(|max| max < 1 << 23))
    };
    let built = WorkerPool::builder()
        .workers(1)
        .queue_capacity(1 << 23)
        .build(|_: Huge| 0_u8);
    assert!(built.as_ref().is_err_and(expected), "{:?}", built.err());
    let detached = WorkerPool::builder()
        .workers(1)
        .queue_capacity(1 << 23)
        .build_detached(|_: Huge| {});
    assert!(
        detached.as_ref().is_err_and(expected),
        "{:?}",
        detached.err()
    );
    // Small jobs keep the full bound.
    let error = WorkerPool::builder()
        .workers(1)
        .queue_capacity(WorkerPool::MAX_QUEUE_CAPACITY + 1)
        .build(|x: u8| x)
        .unwrap_err();
    assert!(
        matches!(error, PoolError::InvalidSize(ref size) if size.max() == Some(WorkerPool::MAX_QUEUE_CAPACITY)),
        "{error:?}"
    );
}

#[test]
fn a_job_or_result_as_large_as_a_worker_stack_is_a_typed_error() {
    // Built before, and the worker overflowed its stack as it started, with
    // no job submitted: the process aborted (a break run, 64 GiB jobs).
    type Huge = [u8; 1 << 36];
    let too_small = |built: Result<(), PoolError>, stack: usize| match built {
        Err(PoolError::StackTooSmall { job, stack: given }) => {
            assert_eq!((job, given), (1 << 36, stack));
        }
        other => panic!("{other:?}"),
    };
    let default_stack = 2 << 20;
    too_small(
        WorkerPool::builder()
            .workers(1)
            .build(|x: Huge| x[0])
            .map(drop),
        default_stack,
    );
    too_small(
        WorkerPool::builder()
            .workers(1)
            .build_detached(|_: Huge| {})
            .map(drop),
        default_stack,
    );
    too_small(
        WorkerPool::builder()
            .workers(1)
            .stack_size(1 << 30)
            .build(|_: u8| -> Huge { unreachable!("never called") })
            .map(drop),
        1 << 30,
    );
    let error = WorkerPool::builder()
        .workers(1)
        .build(|x: Huge| x[0])
        .unwrap_err();
    assert!(
        error.to_string().contains("give `stack_size` more"),
        "{error}"
    );
    // A job well inside its stack is taken as before.
    let (pool, results) = WorkerPool::builder()
        .workers(1)
        .stack_size(1 << 20)
        .build(|x: [u8; 4096]| x[4095])
        .unwrap();
    pool.submit([7; 4096]).unwrap();
    assert_eq!(results.recv().unwrap().1, Ok(7));
    pool.shutdown();
}

#[test]
#[cfg_attr(
    miri,
    ignore = "5 MB of items: slow under miri, and a size check, not a memory one"
)]
fn fan_out_items_too_large_for_a_helper_stack_stay_on_the_calling_thread() {
    // 128 KiB items, slow enough that helpers would start: over a 32nd of
    // a helper's 2 MiB stack, so the caller maps them all itself (a break
    // run's 64 GiB pool jobs overflowed a worker's stack; a helper's is
    // the same size).
    type Big = [u8; 128 << 10];
    let caller = std::thread::current().id();
    let mapped = fan_out_fan_in((0..40_u8).map(|i| [i; 128 << 10]), 4, |item: Big| {
        std::thread::sleep(Duration::from_micros(200));
        (std::thread::current().id(), item[0])
    })
    .unwrap();
    assert_eq!(mapped.len(), 40);
    for (i, (thread, first)) in mapped.into_iter().enumerate() {
        assert_eq!(usize::from(first), i);
        assert_eq!(thread, caller, "item {i} ran on a helper");
    }
}

#[test]
fn a_thread_name_with_a_nul_byte_is_a_typed_error() {
    let error = WorkerPool::builder()
        .workers(1)
        .thread_name("bad\0name")
        .build(|x: u8| x)
        .unwrap_err();
    assert!(matches!(error, PoolError::InvalidThreadName(ref name) if name == "bad\0name"));
    assert!(error.to_string().contains("NUL"), "{error}");
}

#[test]
#[cfg_attr(miri, ignore = "miri's threads ignore the stack size asked for")]
fn a_stack_size_no_thread_can_have_is_a_typed_error() {
    for bytes in [usize::MAX, 1 << 60] {
        let error = WorkerPool::builder()
            .workers(2)
            .stack_size(bytes)
            .build(|x: u8| x)
            .unwrap_err();
        assert!(matches!(error, PoolError::Spawn(_)), "{error:?}");
        assert!(error.to_string().contains("could not start"), "{error}");
    }
}

/// A one-worker pool from `builder` whose job 1 panics: the panic is
/// reported as job 1's outcome, and job 2 still runs.
fn a_panicking_job_is_caught(builder: channels_patterns::WorkerPoolBuilder) {
    let (pool, results) = builder
        .workers(1)
        .build(|x: u32| {
            assert!(x != 1, "job {x} panics");
            x
        })
        .unwrap();
    pool.submit(1).unwrap();
    pool.submit(2).unwrap();
    pool.shutdown();
    let outcomes: Vec<_> = results.iter().map(|(_, outcome)| outcome.is_ok()).collect();
    assert_eq!(outcomes, [false, true]);
}

#[test]
fn a_tiny_stack_size_is_raised_so_a_panicking_job_is_caught_not_an_abort() {
    // With the 16 KiB a stack of 0 got, the job's panic overflowed the
    // stack while unwinding and aborted the whole test binary.
    for bytes in [0, 1, 16 << 10] {
        a_panicking_job_is_caught(WorkerPool::builder().stack_size(bytes));
    }
}

#[test]
#[cfg_attr(miri, ignore = "runs a child process")]
fn a_tiny_rust_min_stack_is_raised_too_so_panics_are_caught_not_an_abort() {
    // A break run: with `RUST_MIN_STACK=24576` (and `RUST_BACKTRACE=1`),
    // a pool's panicking job, a stream's and a fan-out helper's panicking
    // item each overflowed the thread's stack while unwinding, and the
    // process aborted: only an explicit `stack_size` was raised to 64 KiB.
    on_tiny_default_stacks(
        "a_tiny_rust_min_stack_is_raised_too_so_panics_are_caught_not_an_abort",
        || {
            a_panicking_job_is_caught(WorkerPool::builder());
            let mut streamed: Vec<_> = fan_out_stream(0..4u32, 1, |x| {
                assert!(x != 0, "item {x} panics");
                x
            })
            .unwrap()
            .map(|(index, outcome)| (index, outcome.is_ok()))
            .collect();
            streamed.sort_unstable();
            assert_eq!(streamed, [(0, false), (1, true), (2, true), (3, true)]);
            // Slow items, so that helpers start; every 8th panics.
            let mapped = fan_out_fan_in(0..64u32, 2, |x| {
                std::thread::sleep(Duration::from_millis(1));
                assert!(x % 8 != 7, "item {x} panics");
                x
            });
            match mapped {
                Err(FanOutError::Panicked(outcomes)) => {
                    assert_eq!(
                        outcomes.iter().filter(|outcome| outcome.is_err()).count(),
                        8
                    );
                }
                other => panic!("{:?}", other.map(|mapped| mapped.len())),
            }
        },
    );
}

/// Deeper than a default 2 MiB stack holds, in a debug or release build.
fn depth(n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        // black_box: no tail call, every level keeps its frame.
        1 + std::hint::black_box(depth(n - 1))
    }
}

#[test]
#[cfg_attr(miri, ignore = "200,000 frames are too slow under miri")]
fn workers_get_the_stack_size_asked_for() {
    let (pool, results) = WorkerPool::builder()
        .workers(1)
        .stack_size(256 << 20)
        .build(depth)
        .unwrap();
    // At least 32 bytes a frame: 6 MiB, three default stacks.
    pool.submit(200_000).unwrap();
    assert_eq!(results.recv().unwrap().1, Ok(200_000));
    pool.shutdown();
}

#[test]
fn any_timeout_works_on_results() {
    let (pool, results) = WorkerPool::new(1, |x: u8| x).unwrap();
    pool.submit(4).unwrap();
    assert_eq!(results.recv_timeout(Duration::MAX).unwrap().1, Ok(4));
    pool.shutdown();
    assert!(
        results.recv_timeout(Duration::MAX).is_err(),
        "ended, not waiting forever"
    );
}

#[test]
fn large_jobs_each_run_once_in_bounded_and_unbounded_pools() {
    // Jobs beyond the size the queue holds by value travel boxed.
    type Large = [u64; 512];
    let jobs: u64 = if cfg!(miri) { 8 } else { 500 };
    for capacity in [None, Some(3)] {
        let mut builder = WorkerPool::builder().workers(2);
        if let Some(capacity) = capacity {
            builder = builder.queue_capacity(capacity);
        }
        let (pool, results) = builder.build(|job: Large| job[0] + job[511]).unwrap();
        for n in 0..jobs {
            let mut job = [0; 512];
            job[0] = n;
            job[511] = n;
            pool.submit(job).unwrap();
        }
        pool.shutdown();
        let mut sums: Vec<u64> = results.iter().map(|(_, r)| r.unwrap()).collect();
        sums.sort_unstable();
        assert_eq!(sums, (0..jobs).map(|n| 2 * n).collect::<Vec<_>>());
    }
}

/// User code whose `Drop` panics, even while another panic unwinds, and
/// counts its drops.
struct Bomb(Arc<AtomicUsize>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a bomb went off in Drop");
    }
}

/// An input iterator holding a bomb: it yields nothing.
struct BombInputs(#[allow(dead_code)] Bomb);

impl Iterator for BombInputs {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        None
    }
}

/// A refused argument is a typed error even when the inputs' and the
/// function's `Drop` panic: before, dropping them on the way out raised
/// the first panic instead of the error, and the second (while the first
/// unwound) aborted the process (a break run, 2026-12-01). Each is
/// dropped exactly once.
#[test]
#[cfg_attr(miri, ignore = "runs in a child process")]
fn a_refused_argument_is_a_typed_error_whatever_the_users_drops_do() {
    const NAME: &str = "a_refused_argument_is_a_typed_error_whatever_the_users_drops_do";
    in_child(NAME, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let bomb = || Bomb(Arc::clone(&drops));
        let function = || {
            let captured = bomb();
            move |x: u8| {
                let _ = &captured;
                x
            }
        };
        assert!(matches!(
            fan_out_fan_in(BombInputs(bomb()), 0, function()),
            Err(FanOutError::InvalidSize(_))
        ));
        assert!(matches!(
            fan_out_stream(BombInputs(bomb()), 0, function()),
            Err(PoolError::InvalidSize(_))
        ));
        assert!(matches!(
            fan_out_bounded(BombInputs(bomb()), 2, 0, function()),
            Err(PoolError::InvalidSize(_))
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 6);
        assert!(matches!(
            WorkerPool::new(0, function()),
            Err(PoolError::InvalidSize(_))
        ));
        assert!(matches!(
            WorkerPool::builder().thread_name("a\0b").build(function()),
            Err(PoolError::InvalidThreadName(_))
        ));
        assert!(matches!(
            WorkerPool::builder()
                .queue_capacity(usize::MAX)
                .build_detached({
                    let f = function();
                    move |x: u8| {
                        f(x);
                    }
                }),
            Err(PoolError::InvalidSize(_))
        ));
        assert!(matches!(
            WorkerPool::builder()
                .stack_size(usize::MAX)
                .build(function()),
            Err(PoolError::Spawn(_))
        ));
        assert_eq!(drops.load(Ordering::SeqCst), 10);
    });
}

#[test]
#[cfg_attr(miri, ignore = "about stack sizes, which miri does not enforce")]
fn a_job_of_a_32nd_of_a_workers_stack_is_refused_and_one_below_it_runs() {
    // A break run of actorlite: a value of a quarter of a thread's stack,
    // passed by value through its frames, overflowed it (the process
    // aborted); in a debug build this pool's worker did from a 16th
    // (128 KiB results on 2 MiB). The line is a 32nd.
    let stack = 2 << 20;
    let refused = WorkerPool::builder()
        .workers(1)
        .stack_size(stack)
        .build(|x: [u8; 64 << 10]| x[0])
        .map(drop)
        .unwrap_err();
    assert!(
        matches!(refused, PoolError::StackTooSmall { job, stack: given } if job == 64 << 10 && given == stack),
        "{refused:?}"
    );
    let (pool, results) = WorkerPool::builder()
        .workers(1)
        .stack_size(stack)
        .build(|x: u8| [x; 48 << 10])
        .unwrap();
    for x in 0..3 {
        pool.submit(x).unwrap();
    }
    pool.shutdown();
    let mut last = Vec::new();
    for (_, result) in results.iter() {
        last.push(result.unwrap()[(48 << 10) - 1]);
    }
    assert_eq!(last, [0, 1, 2]);
}
