//! [`WorkStealingPoolStats`]: what each worker of a pool has done.

/// From [`WorkStealingPool::stats`](crate::pool::WorkStealingPool::stats): per
/// worker, jobs executed and stolen, and the detached tasks that panicked.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// for _ in 0..10 {
///     pool.spawn(|| {})?;
/// }
/// pool.wait_idle();
/// let stats = pool.stats();
/// assert_eq!(stats.executed(), 10);
/// assert!(stats.stolen() <= 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkStealingPoolStats {
    /// One entry per worker, in index order.
    pub workers: Vec<WorkerStats>,
    /// Detached tasks that panicked (caught; the workers live on).
    pub panicked: u64,
}

/// One worker's counts.
///
/// # Examples
///
/// ```
/// let pool = cache_kit::WorkStealingPool::new(2)?;
/// pool.scope(|s| (0..8).for_each(|_| s.spawn(|_| {})));
/// for worker in pool.stats().workers {
///     assert!(worker.stolen <= worker.executed);
/// }
/// # Ok::<(), cache_kit::PoolBuildError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Jobs this worker ran: detached tasks, scope tasks and the `join`
    /// halves it did not run inline in its own `join`.
    pub executed: u64,
    /// Jobs it took from another worker's deque (not from the injector).
    pub stolen: u64,
}

impl WorkStealingPoolStats {
    /// Jobs executed by all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cache_kit::WorkStealingPoolStats::default().executed(), 0);
    /// ```
    #[must_use]
    pub fn executed(&self) -> u64 {
        self.workers.iter().map(|worker| worker.executed).sum()
    }

    /// Jobs stolen by all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(cache_kit::WorkStealingPoolStats::default().stolen(), 0);
    /// ```
    #[must_use]
    pub fn stolen(&self) -> u64 {
        self.workers.iter().map(|worker| worker.stolen).sum()
    }
}
