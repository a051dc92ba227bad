//! [`PoolBuilder`]: a pool's thread count, thread names and panic handler.

use std::any::Any;
use std::fmt;

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
    /// A builder for a pool of `threads` workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(2).build()?;
    /// assert_eq!(pool.threads(), 2);
    /// # Ok::<(), cache_kit::SizeError>(())
    /// ```
    pub fn new(threads: usize) -> Self {
        Self {
            threads,
            name: "cache-kit-pool".to_owned(),
            panic_handler: None,
        }
    }

    /// Names the workers `{prefix}-0`, `{prefix}-1`, ... (default
    /// `cache-kit-pool`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = cache_kit::PoolBuilder::new(1).thread_name("io").build()?;
    /// let name = pool.join(|| std::thread::current().name().map(str::to_owned), || ()).0;
    /// assert!(name.is_some());
    /// # Ok::<(), cache_kit::SizeError>(())
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
    /// # Ok::<(), cache_kit::SizeError>(())
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
    /// [`SizeError`] if the thread count is 0.
    ///
    /// # Panics
    ///
    /// If the operating system refuses to start a thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cache_kit::PoolBuilder::new(0).build().is_err());
    /// ```
    pub fn build(self) -> Result<WorkStealingPool, SizeError> {
        if self.threads == 0 {
            return Err(SizeError::zero("threads"));
        }
        Ok(WorkStealingPool::start(
            self.threads,
            &self.name,
            self.panic_handler,
        ))
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
