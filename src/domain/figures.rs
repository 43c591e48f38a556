//! What was measured for one revision of a service: latency, rate, errors.

use chrono::{DateTime, Utc};

/// What was measured for one revision of a service (canary and stable side by side).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RevisionFigures {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub rps: Option<f64>,
    pub error_ratio: Option<f64>,
    pub at: Option<DateTime<Utc>>,
    pub stale: bool,
    /// From the first scrape's cumulative counts (since the pod started), not the window.
    pub cumulative: bool,
    /// Over less than the full window yet (the first scrapes): shown marked.
    pub partial: bool,
}
