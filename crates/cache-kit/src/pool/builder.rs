//! [`PoolBuilder`]: a pool's thread count, thread names, stack size and
//! handlers.

use std::any::Any;
use std::fmt;

use crate::pool::errors::PoolBuildError;
use crate::pool::shared::Handlers;
use crate::{SizeError, WorkStealingPool};

/// Builds a [`WorkStealingPool`].
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let reported = Arc::new(AtomicUsize::new(0));
/// let pool = cache_kit::WorkStealingPool::builder(2)
///     .thread_name("jobs")
///     .panic_handler({
///         let reported = Arc::clone(&reported);
///         move |_payload| { reported.fetch_add(1, Ordering::Relaxed); }
///     })
///     .build()?;
/// pool.spawn(|| panic!("task failed"))?;
/// pool.wait_idle();
/// assert_eq!(reported.load(Ordering::Relaxed), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder {
    threads: usize,
    name: String,
    stack_size: Option<usize>,
    handlers: Handlers,
}

impl PoolBuilder {
    /// A builder for a pool of `threads` workers, checked by
    /// [`build`](Self::build); 0 means one per hardware thread
    /// ([`std::thread::available_parallelism`], 1 if unknown), as in rayon.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(2).build()?;
    /// assert_eq!(pool.threads(), 2);
    /// let machine = std::thread::available_parallelism().map_or(1, usize::from);
    /// assert_eq!(cache_kit::PoolBuilder::new(0).build()?.threads(), machine);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            name: "cache-kit-pool".to_owned(),
            stack_size: None,
            handlers: Handlers::default(),
        }
    }

    /// Names the workers `{prefix}-0`, `{prefix}-1`, ... (default
    /// `cache-kit-pool`). Any text is accepted here; one holding a NUL
    /// byte makes [`build`](Self::build) fail. The operating system may
    /// show a shortened name (Linux: the first 15 bytes).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(1).thread_name("io").build()?;
    /// let name = pool.install(|| std::thread::current().name().map(str::to_owned));
    /// assert_eq!(name.as_deref(), Some("io-0"));
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn thread_name(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.name);
        self
    }

    /// The stack size of each worker thread, in bytes (default: std's,
    /// 2 MiB unless `RUST_MIN_STACK` says otherwise, and at least 64 KiB
    /// either way: `atomics_kit::user_thread_stack`). A closure handed to
    /// the pool from outside it moves onto a worker's stack with what it
    /// captures by value, and its result is made there (as in rayon): tens
    /// of KiB or more want a bigger stack, or a `Box`; a closure or result
    /// of a 32nd of the stack or more ([`atomics_kit::STACK_PER_VALUE`]) is
    /// refused with a panic on the calling thread (see the methods' Panics
    /// sections), where the worker's stack would overflow and abort the
    /// process. Every size is accepted here: one below 64 KiB is raised to
    /// 64 KiB (with less, a task's panic overflowed the stack while it
    /// unwound, and the process aborted, though the pool catches the
    /// panic); the platform rounds it to whole pages; one it cannot map
    /// makes [`build`](Self::build) fail with [`PoolBuildError::Spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// fn depth(n: u64) -> u64 {
    ///     if n == 0 { 0 } else { 1 + depth(n - 1) }
    /// }
    ///
    /// let pool = cache_kit::PoolBuilder::new(1).stack_size(16 << 20).build()?;
    /// assert_eq!(pool.install(|| depth(10_000)), 10_000);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes.max(atomics_kit::MIN_THREAD_STACK));
        self
    }

    /// Calls `handler` with the payload of every detached task's panic (on
    /// the worker that caught it), and of a start or exit handler's.
    /// Without one, panics are only counted (`stats().panicked`). A
    /// panicking handler is caught too. The handlers are dropped with the
    /// pool's last reference, which may be on a worker thread as it exits
    /// (a task that dropped the last handle); a panic of a capture's
    /// `Drop` is caught there.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(1)
    ///     .panic_handler(|payload| eprintln!("task panicked: {:?}", payload.downcast_ref::<&str>()))
    ///     .build()?;
    /// # drop(pool);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn panic_handler(
        mut self,
        handler: impl Fn(Box<dyn Any + Send>) + Send + Sync + 'static,
    ) -> Self {
        self.handlers.panic = Some(Box::new(handler));
        self
    }

    /// Calls `handler` on each worker thread, with its index, when it
    /// starts and before it runs any job (to name it in a profiler, pin
    /// it, set up thread-locals), once every worker thread of the pool
    /// has been started: a handler may use the pool, `broadcast` included.
    /// If the operating system refuses one of the threads, `build` fails
    /// and no handler runs. A panic in it is caught, counted and handed to
    /// the [`panic_handler`](Self::panic_handler); the worker starts
    /// anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let pool = cache_kit::PoolBuilder::new(3)
    ///     .start_handler({
    ///         let started = Arc::clone(&started);
    ///         move |_index| { started.fetch_add(1, Ordering::SeqCst); }
    ///     })
    ///     .build()?;
    /// pool.shutdown();
    /// assert_eq!(started.load(Ordering::SeqCst), 3);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn start_handler(mut self, handler: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.handlers.start = Some(Box::new(handler));
        self
    }

    /// Calls `handler` on each worker thread, with its index, as it exits
    /// (at [`shutdown`](WorkStealingPool::shutdown) or drop, after its
    /// last job). Tasks it spawns run on its thread before the thread
    /// exits. A panic in it is caught and reported as a start handler's
    /// is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let exited = Arc::new(Mutex::new(Vec::new()));
    /// let pool = cache_kit::PoolBuilder::new(2)
    ///     .exit_handler({
    ///         let exited = Arc::clone(&exited);
    ///         move |index| exited.lock().unwrap().push(index)
    ///     })
    ///     .build()?;
    /// drop(pool);
    /// let mut exited = exited.lock().unwrap().clone();
    /// exited.sort();
    /// assert_eq!(exited, [0, 1]);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn exit_handler(mut self, handler: impl Fn(usize) + Send + Sync + 'static) -> Self {
        self.handlers.exit = Some(Box::new(handler));
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// - [`PoolBuildError::InvalidSize`] if the thread count is above
    ///   [`WorkStealingPool::MAX_THREADS`];
    /// - [`PoolBuildError::InvalidThreadName`] if the name prefix holds a
    ///   NUL byte;
    /// - [`PoolBuildError::Spawn`] if the operating system refuses to start
    ///   a thread (the ones already started are stopped and joined).
    ///
    /// # Examples
    ///
    /// ```
    /// use cache_kit::{PoolBuildError, PoolBuilder, WorkStealingPool};
    ///
    /// assert!(PoolBuilder::new(2).build().is_ok());
    /// let too_many = PoolBuilder::new(WorkStealingPool::MAX_THREADS + 1).build();
    /// assert!(matches!(too_many, Err(PoolBuildError::InvalidSize(_))));
    /// ```
    pub fn build(self) -> Result<WorkStealingPool, PoolBuildError> {
        let threads = match self.threads {
            0 => std::thread::available_parallelism()
                .map_or(1, usize::from)
                .min(WorkStealingPool::MAX_THREADS),
            threads => SizeError::check("threads", threads, WorkStealingPool::MAX_THREADS)?,
        };
        if self.name.contains('\0') {
            return Err(PoolBuildError::InvalidThreadName(self.name));
        }
        WorkStealingPool::start(threads, &self.name, self.stack_size, self.handlers)
            .map_err(PoolBuildError::Spawn)
    }
}

impl Default for PoolBuilder {
    /// A builder for one worker per hardware thread ([`new(0)`](Self::new)).
    fn default() -> Self {
        Self::new(0)
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("threads", &self.threads)
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .field("panic_handler", &self.handlers.panic.is_some())
            .field("start_handler", &self.handlers.start.is_some())
            .field("exit_handler", &self.handlers.exit.is_some())
            .finish()
    }
}
