//! Thread stacks for user code: [`MIN_THREAD_STACK`], the smallest the
//! workspace's builders give; [`default_thread_stack`], what std gives;
//! [`user_thread_stack`], what the workspace's threads get unless told;
//! [`too_large_for_stack`], values too large to pass through such a stack
//! ([`STACK_PER_VALUE`]).

/// The smallest stack, in bytes, that the workspace's thread builders give a
/// thread running user code (channels-patterns' `WorkerPoolBuilder`,
/// cache-kit's `PoolBuilder`, actorlite's `ActorBuilder`): each raises a
/// smaller `stack_size` to this. With less, a panic in user code overflowed
/// the stack while it unwound, and the process aborted, even where the
/// panic would have been caught and reported (measured with
/// `RUST_BACKTRACE=full` in a debug build: 64 KiB held, 16 KiB did not).
///
/// # Examples
///
/// ```
/// let asked = 4 << 10;
/// let given = asked.max(atomics_kit::MIN_THREAD_STACK);
/// assert_eq!(given, 64 << 10);
/// ```
pub const MIN_THREAD_STACK: usize = 64 << 10;

/// The stack std gives a thread spawned without a size: `RUST_MIN_STACK`
/// bytes when that variable holds a number, else 2 MiB. Read from the
/// environment at each call (std reads it once per process: set it before
/// the first thread starts).
///
/// # Examples
///
/// ```
/// let stack = atomics_kit::default_thread_stack();
/// match std::env::var("RUST_MIN_STACK").ok().and_then(|v| v.parse().ok()) {
///     Some(bytes) => assert_eq!(stack, bytes),
///     None => assert_eq!(stack, 2 << 20),
/// }
/// ```
#[must_use]
pub fn default_thread_stack() -> usize {
    std::env::var("RUST_MIN_STACK")
        .ok()
        .and_then(|bytes| bytes.parse().ok())
        .unwrap_or(2 << 20)
}

/// The stack the workspace gives a thread that runs user code when no size
/// was asked for: std's default ([`default_thread_stack`]), raised to
/// [`MIN_THREAD_STACK`]. Every such thread is started with this size
/// explicitly, so that a `RUST_MIN_STACK` below the minimum gets the
/// minimum too (a break run: with `RUST_MIN_STACK=24576`, a pool's job
/// that panicked overflowed its worker's stack while unwinding, and the
/// process aborted, where `stack_size(24576)` had been raised and held).
///
/// # Examples
///
/// ```
/// use atomics_kit::{default_thread_stack, user_thread_stack, MIN_THREAD_STACK};
///
/// assert_eq!(user_thread_stack(), default_thread_stack().max(MIN_THREAD_STACK));
/// assert!(user_thread_stack() >= 64 << 10);
/// ```
#[must_use]
pub fn user_thread_stack() -> usize {
    default_thread_stack().max(MIN_THREAD_STACK)
}

/// How many times a value's size a thread's stack must be for the value to
/// pass through it by value: a job and its result, an actor and its
/// message, move through several frames at once (the worker's or actor's
/// loop reserves room for each temporary copy on entry, before any value
/// arrives), more of them in a debug build.
///
/// Measured (a break run of actorlite, then each path at sizes from 16 to
/// 512 KiB on a 2 MiB stack, each in a child process): in a debug build an
/// idle actor overflowed its stack, and the process aborted, from a
/// 128 KiB message (a 16th of the stack), an actor type from 96 KiB,
/// channels-patterns' pool from a 128 KiB result; an optimized build from
/// 384 KiB. A 32nd (64 KiB of std's default 2 MiB) held on every path of
/// an actor's or a pool's thread, and is the line fan-out already drew for
/// what it hands to helpers. (actorlite's timer thread, whose path takes
/// more copies, carries values under a 128th of its stack.)
///
/// # Examples
///
/// ```
/// use atomics_kit::{too_large_for_stack, STACK_PER_VALUE};
///
/// let stack = 2 << 20;
/// assert_eq!(stack / STACK_PER_VALUE, 64 << 10);
/// assert!(too_large_for_stack::<[u8; 64 << 10], u8>(stack).is_some());
/// assert!(too_large_for_stack::<[u8; 60 << 10], u8>(stack).is_none());
/// ```
pub const STACK_PER_VALUE: usize = 32;

/// The larger of `T`'s and `U`'s sizes, when a stack of `stack` bytes is
/// less than [`STACK_PER_VALUE`] times it: a value that size, passed by
/// value through a thread whose stack is `stack` bytes (a job and its
/// result, an actor and its message), may overflow that stack, and the
/// overflow aborts the process. The workspace refuses such a pair before a
/// thread takes it: its builders with a typed error, cache-kit's
/// work-stealing pool (whose closures come after the build) with a panic on
/// the calling thread. `None` when both fit.
///
/// # Examples
///
/// ```
/// use atomics_kit::too_large_for_stack;
///
/// assert_eq!(too_large_for_stack::<[u8; 4096], u8>(1 << 20), None);
/// assert_eq!(too_large_for_stack::<u8, [u8; 4096]>(64 << 10), Some(4096));
/// ```
#[must_use]
pub fn too_large_for_stack<T, U>(stack: usize) -> Option<usize> {
    let largest = std::mem::size_of::<T>().max(std::mem::size_of::<U>());
    (largest.saturating_mul(STACK_PER_VALUE) >= stack).then_some(largest)
}
