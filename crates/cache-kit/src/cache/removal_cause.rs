//! [`RemovalCause`]: why an entry left the cache, for the eviction
//! listener.

use std::fmt;

/// Why an entry left the cache, as told to the
/// [eviction listener](crate::CacheBuilder::eviction_listener).
///
/// # Examples
///
/// ```
/// use cache_kit::RemovalCause;
///
/// assert_eq!(RemovalCause::Evicted.to_string(), "evicted");
/// assert!(RemovalCause::Evicted.was_evicted());
/// assert!(!RemovalCause::Replaced.was_evicted());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RemovalCause {
    /// The eviction policy removed it to make room (the cache was full).
    Evicted,
    /// An insert stored another value for its key (or, with a weigher,
    /// tried to store one heavier than the whole capacity: the old value is
    /// removed and the new one never stored).
    Replaced,
    /// [`remove`](crate::Cache::remove), [`clear`](crate::Cache::clear) or
    /// [`retain`](crate::Cache::retain) removed it.
    Removed,
    /// Its time to live or to idle ran out (see
    /// [`CacheBuilder::time_to_live`](crate::CacheBuilder::time_to_live)).
    Expired,
}

impl RemovalCause {
    /// Whether the cache removed the entry on its own, for lack of room or
    /// because it expired (moka's `was_evicted`), rather than because the
    /// user replaced or removed it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(cache_kit::RemovalCause::Evicted.was_evicted());
    /// assert!(!cache_kit::RemovalCause::Removed.was_evicted());
    /// ```
    #[must_use]
    pub fn was_evicted(self) -> bool {
        matches!(self, Self::Evicted | Self::Expired)
    }
}

impl fmt::Display for RemovalCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Evicted => "evicted",
            Self::Replaced => "replaced",
            Self::Removed => "removed",
            Self::Expired => "expired",
        })
    }
}
