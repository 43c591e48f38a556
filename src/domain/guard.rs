//! The canary guard: while a canary runs, watch the new revision's p99 latency and error
//! rate; when either breaches its threshold for N consecutive measurement intervals, raise
//! the alarm (and, when the user enabled it, roll back automatically). Pure: it is fed one
//! measurement per interval.

use chrono::{DateTime, Utc};

/// Thresholds and behaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardConfig {
    /// p99 latency above this many milliseconds is a breach.
    pub p99_ms: f64,
    /// An error ratio (0–1) above this is a breach.
    pub error_ratio: f64,
    /// Consecutive breaching intervals before the alarm.
    pub intervals: u32,
    /// Roll back without asking when the alarm goes off.
    pub auto_rollback: bool,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            p99_ms: 500.0,
            error_ratio: 0.02,
            intervals: 3,
            auto_rollback: false,
        }
    }
}

/// One interval's measurement of the canary revision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanarySample {
    pub at: DateTime<Utc>,
    pub p99_ms: Option<f64>,
    pub error_ratio: Option<f64>,
}

/// The guard of one service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guard {
    /// The canary revision being watched; a new revision starts the count again.
    pub revision: String,
    pub consecutive: u32,
    pub last_at: Option<DateTime<Utc>>,
    /// Set once the alarm went off, until the canary changes.
    pub tripped: bool,
}

/// What the guard says after a measurement.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Fine,
    /// Breaching, but not for long enough yet.
    Watching {
        consecutive: u32,
    },
    /// The alarm, with why.
    Alarm(String),
}

fn breach(config: &GuardConfig, sample: &CanarySample) -> Option<String> {
    let mut why = Vec::new();
    if let Some(p99) = sample.p99_ms.filter(|p| *p > config.p99_ms) {
        why.push(format!("p99 {p99:.0} ms > {:.0} ms", config.p99_ms));
    }
    if let Some(err) = sample.error_ratio.filter(|e| *e > config.error_ratio) {
        why.push(format!(
            "errors {:.1}% > {:.1}%",
            err * 100.0,
            config.error_ratio * 100.0
        ));
    }
    (!why.is_empty()).then(|| why.join(", "))
}

impl Guard {
    /// Feeds one measurement of `revision`. The same interval twice (same time) counts once.
    pub fn observe(
        &mut self,
        config: &GuardConfig,
        revision: &str,
        sample: &CanarySample,
    ) -> Verdict {
        if self.revision != revision {
            *self = Guard {
                revision: revision.to_string(),
                ..Guard::default()
            };
        }
        if self.last_at.is_some_and(|t| t >= sample.at) {
            return if self.tripped {
                Verdict::Fine
            } else {
                Verdict::Watching {
                    consecutive: self.consecutive,
                }
            };
        }
        self.last_at = Some(sample.at);
        match breach(config, sample) {
            None => {
                self.consecutive = 0;
                Verdict::Fine
            }
            Some(why) => {
                self.consecutive += 1;
                if self.consecutive >= config.intervals && !self.tripped {
                    self.tripped = true;
                    Verdict::Alarm(format!("{why} for {} intervals", self.consecutive))
                } else {
                    Verdict::Watching {
                        consecutive: self.consecutive,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(sec: i64, p99: f64, err: f64) -> CanarySample {
        CanarySample {
            at: DateTime::from_timestamp(1_700_000_000 + sec, 0).unwrap_or_default(),
            p99_ms: Some(p99),
            error_ratio: Some(err),
        }
    }

    #[test]
    fn alarm_after_n_consecutive_breaches_only_once() {
        let config = GuardConfig::default();
        let mut g = Guard::default();
        assert_eq!(
            g.observe(&config, "r2", &sample(0, 900.0, 0.0)),
            Verdict::Watching { consecutive: 1 }
        );
        assert_eq!(
            g.observe(&config, "r2", &sample(0, 900.0, 0.0)),
            Verdict::Watching { consecutive: 1 },
            "same interval counts once"
        );
        assert_eq!(
            g.observe(&config, "r2", &sample(5, 100.0, 0.0)),
            Verdict::Fine,
            "a good interval resets"
        );
        g.observe(&config, "r2", &sample(10, 900.0, 0.0));
        g.observe(&config, "r2", &sample(15, 100.0, 0.08));
        match g.observe(&config, "r2", &sample(20, 900.0, 0.08)) {
            Verdict::Alarm(why) => assert!(
                why.contains("p99 900 ms > 500 ms") && why.contains("errors 8.0%"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            g.observe(&config, "r2", &sample(25, 900.0, 0.08)),
            Verdict::Watching { consecutive: 4 }
        );
        assert_eq!(
            g.observe(&config, "r3", &sample(30, 900.0, 0.0)),
            Verdict::Watching { consecutive: 1 },
            "a new canary starts over"
        );
    }

    #[test]
    fn missing_figures_never_breach() {
        let mut g = Guard::default();
        let s = CanarySample {
            at: DateTime::from_timestamp(1, 0).unwrap_or_default(),
            p99_ms: None,
            error_ratio: None,
        };
        assert_eq!(g.observe(&GuardConfig::default(), "r2", &s), Verdict::Fine);
    }
}
