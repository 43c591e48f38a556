//! What the API server's requests actually do, as the header tells it: connected, slow,
//! unresponsive since T, or disconnected since T. Pure: the request layer feeds outcomes in
//! (`HealthTracker::record`), the console reads `HealthTracker::state`. An open watch proves
//! nothing; a request that got an answer (any HTTP status) or ran into its deadline does.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long API requests and credential plugins may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiTimeouts {
    /// One API request, until its answer (a slow API server under load can take seconds).
    pub request: Duration,
    /// One run of an exec credential plugin (it may talk to an identity provider).
    pub exec_plugin: Duration,
}

impl Default for ApiTimeouts {
    fn default() -> Self {
        ApiTimeouts {
            request: Duration::from_secs(30),
            exec_plugin: Duration::from_secs(30),
        }
    }
}

impl ApiTimeouts {
    /// Answers slower than this make the header say "slow".
    pub fn slow_after(&self) -> Duration {
        (self.request / 4).clamp(Duration::from_millis(500), Duration::from_secs(5))
    }
}

/// The header's word on the API server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ApiHealth {
    /// No request has finished yet, or the last ones answered promptly.
    #[default]
    Connected,
    /// The last answer took this long (over the slow threshold).
    Slow { latency: Duration },
    /// Requests ran into their deadline since `since` (accepted, never answered).
    Unresponsive { since: DateTime<Utc> },
    /// Requests could not reach the server since `since` (refused, reset, TLS…).
    Disconnected { since: DateTime<Utc>, error: String },
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The server answered (any status) after `latency`.
    Answered { latency: Duration },
    /// No answer within the deadline.
    TimedOut,
    /// The connection failed.
    Failed { error: String },
}

/// Folds request outcomes into the header's word.
#[derive(Debug, Clone, Default)]
pub struct HealthTracker {
    state: ApiHealth,
    slow_after: Duration,
    last_outcome: Option<DateTime<Utc>>,
}

impl HealthTracker {
    /// A tracker calling answers slower than `slow_after` slow.
    pub fn new(slow_after: Duration) -> HealthTracker {
        HealthTracker {
            state: ApiHealth::Connected,
            slow_after,
            last_outcome: None,
        }
    }

    /// Takes one request's outcome, finished at `at`.
    pub fn record(&mut self, outcome: RequestOutcome, at: DateTime<Utc>) {
        self.last_outcome = Some(at);
        let failing_since = match &self.state {
            ApiHealth::Unresponsive { since } | ApiHealth::Disconnected { since, .. } => {
                Some(*since)
            }
            _ => None,
        };
        self.state = match outcome {
            RequestOutcome::Answered { latency } if latency >= self.slow_after => {
                ApiHealth::Slow { latency }
            }
            RequestOutcome::Answered { .. } => ApiHealth::Connected,
            RequestOutcome::TimedOut => ApiHealth::Unresponsive {
                since: failing_since.unwrap_or(at),
            },
            RequestOutcome::Failed { error } => ApiHealth::Disconnected {
                since: failing_since.unwrap_or(at),
                error,
            },
        };
    }

    pub fn state(&self) -> &ApiHealth {
        &self.state
    }

    /// When the last request ended (answered, timed out or failed).
    pub fn last_outcome(&self) -> Option<DateTime<Utc>> {
        self.last_outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn answers_timeouts_and_failures_set_the_word_and_keep_the_first_failure_time() {
        let mut t = HealthTracker::new(Duration::from_secs(3));
        assert_eq!(t.state(), &ApiHealth::Connected);
        let answered = |ms| RequestOutcome::Answered {
            latency: Duration::from_millis(ms),
        };
        t.record(answered(4000), at(0));
        assert_eq!(
            t.state(),
            &ApiHealth::Slow {
                latency: Duration::from_secs(4)
            }
        );
        t.record(RequestOutcome::TimedOut, at(10));
        t.record(RequestOutcome::TimedOut, at(20));
        assert_eq!(t.state(), &ApiHealth::Unresponsive { since: at(10) });
        let refused = RequestOutcome::Failed {
            error: "connection refused".into(),
        };
        t.record(refused, at(30));
        assert!(matches!(t.state(), ApiHealth::Disconnected { since, .. } if *since == at(10)));
        t.record(answered(20), at(40));
        assert_eq!(t.state(), &ApiHealth::Connected);
    }
}
