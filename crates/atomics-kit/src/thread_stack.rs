//! [`MIN_THREAD_STACK`]: the smallest stack the workspace's builders give
//! a thread that runs user code.

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
