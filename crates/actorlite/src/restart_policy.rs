//! How often a supervised actor may restart.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How many restarts a supervised actor gets within a time window
/// ([`spawn_supervised`](crate::spawn_supervised)). One restart more and
/// the actor stops with [`ExitReason::Panicked`](crate::ExitReason::Panicked).
///
/// # Examples
///
/// ```
/// use actorlite::RestartPolicy;
/// use std::time::Duration;
///
/// // kameo's and Erlang's default: 5 restarts in 5 seconds.
/// let policy = RestartPolicy { max_restarts: 5, within: Duration::from_secs(5) };
/// assert_eq!(policy, RestartPolicy::default());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// The most restarts allowed within `within`. 0 allows none, whatever
    /// `within` says (`Duration::ZERO` included).
    pub max_restarts: u32,
    /// The sliding window the restarts are counted in: a restart counts
    /// while it is at most `within` old. `Duration::ZERO` keeps none, so
    /// it allows restarts without end (for no restart at all, set
    /// `max_restarts: 0`); `Duration::MAX` keeps every one, a lifetime
    /// budget.
    pub within: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            within: Duration::from_secs(5),
        }
    }
}

/// The restarts inside the policy's window.
#[derive(Debug)]
pub(crate) struct RestartBudget {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl RestartBudget {
    pub(crate) fn new(policy: RestartPolicy) -> Self {
        Self {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Spends one restart if the window allows it.
    pub(crate) fn try_spend(&mut self) -> bool {
        let now = Instant::now();
        while self
            .recent
            .front()
            .is_some_and(|at| now.duration_since(*at) > self.policy.within)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.policy.max_restarts as usize {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_max_restarts_within_the_window() {
        let mut budget = RestartBudget::new(RestartPolicy {
            max_restarts: 2,
            within: Duration::from_secs(60),
        });
        assert!(budget.try_spend());
        assert!(budget.try_spend());
        assert!(
            !budget.try_spend(),
            "a third restart within the minute is over budget"
        );
        let mut none = RestartBudget::new(RestartPolicy {
            max_restarts: 0,
            within: Duration::from_secs(1),
        });
        assert!(!none.try_spend());
    }

    #[test]
    fn restarts_older_than_the_window_are_forgotten() {
        let mut budget = RestartBudget::new(RestartPolicy {
            max_restarts: 1,
            within: Duration::ZERO,
        });
        assert!(budget.try_spend());
        std::thread::sleep(Duration::from_millis(2));
        assert!(
            budget.try_spend(),
            "the first restart is out of the (empty) window"
        );
    }

    #[test]
    fn a_window_of_duration_max_is_a_lifetime_budget() {
        let mut budget = RestartBudget::new(RestartPolicy {
            max_restarts: 2,
            within: Duration::MAX,
        });
        assert!(budget.try_spend());
        std::thread::sleep(Duration::from_millis(2));
        assert!(budget.try_spend());
        std::thread::sleep(Duration::from_millis(2));
        assert!(!budget.try_spend(), "no restart ever leaves the window");
    }
}
