//! [`PoolBuilder`]: a pool's thread count, thread names and panic handler.

use std::any::Any;
use std::fmt;

use crate::pool::errors::PoolBuildError;
use crate::pool::shared::PanicHandler;
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
    panic_handler: Option<PanicHandler>,
}

impl PoolBuilder {
    /// A builder for a pool of `threads` workers, checked by
    /// [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(2).build()?;
    /// assert_eq!(pool.threads(), 2);
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            name: "cache-kit-pool".to_owned(),
            panic_handler: None,
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
    /// let name = pool.join(|| std::thread::current().name().map(str::to_owned), || ()).0;
    /// assert!(name.is_some());
    /// # Ok::<(), cache_kit::PoolBuildError>(())
    /// ```
    pub fn thread_name(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.name);
        self
    }

    /// Calls `handler` with the payload of every detached task's panic (on
    /// the worker that caught it). Without one, panics are only counted
    /// (`stats().panicked`). A panicking handler is caught too.
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
        self.panic_handler = Some(Box::new(handler));
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    ///
    /// - [`PoolBuildError::InvalidSize`] if the thread count is 0 or above
    ///   [`WorkStealingPool::MAX_THREADS`];
    /// - [`PoolBuildError::InvalidThreadName`] if the name prefix holds a
    ///   NUL byte;
    /// - [`PoolBuildError::Spawn`] if the operating system refuses to start
    ///   a thread (the ones already started are stopped and joined).
    ///
    /// # Examples
    ///
    /// ```
    /// use cache_kit::{PoolBuildError, PoolBuilder};
    ///
    /// assert!(PoolBuilder::new(2).build().is_ok());
    /// assert!(matches!(PoolBuilder::new(0).build(), Err(PoolBuildError::InvalidSize(_))));
    /// ```
    pub fn build(self) -> Result<WorkStealingPool, PoolBuildError> {
        let threads = SizeError::check("threads", self.threads, WorkStealingPool::MAX_THREADS)?;
        if self.name.contains('\0') {
            return Err(PoolBuildError::InvalidThreadName(self.name));
        }
        WorkStealingPool::start(threads, &self.name, self.panic_handler)
            .map_err(PoolBuildError::Spawn)
    }
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("threads", &self.threads)
            .field("name", &self.name)
            .field("panic_handler", &self.panic_handler.is_some())
            .finish()
    }
}
