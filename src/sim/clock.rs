//! Simulated time. Wall-clock timestamps stay real (so ages read naturally and kubectl agrees),
//! but every delay the simulation waits for — reconcile passes, pod start-up, model loading —
//! is divided by `time_scale`, so tests can run a rollout in a fraction of a second.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// The simulation's clock.
#[derive(Debug, Clone, Copy)]
pub struct SimClock {
    pub time_scale: f64,
}

impl SimClock {
    pub fn new(time_scale: f64) -> SimClock {
        SimClock {
            time_scale: if time_scale.is_finite() && time_scale > 0.0 {
                time_scale
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// A simulated delay of `seconds`, as wall time.
    pub fn delay(&self, seconds: f64) -> chrono::Duration {
        chrono::Duration::milliseconds((seconds * 1000.0 / self.time_scale).round() as i64)
    }

    /// A simulated period as a std duration (for tickers).
    pub fn period(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64((seconds / self.time_scale).max(0.001))
    }
}

/// RFC 3339 with seconds, as Kubernetes writes timestamps.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
