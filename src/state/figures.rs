//! Live figures per service, filled by the metric scrapers and the GPU sources: latency,
//! rate, errors, GPU utilisation, cost. Absent until measured — never invented.

use super::ui::ObjectKey;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What was measured for one service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceFigures {
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub rps: Option<f64>,
    pub error_ratio: Option<f64>,
    pub gpu_util_pct: Option<f64>,
    pub usd_per_hour: Option<f64>,
    /// When the newest sample behind these figures was taken.
    pub at: Option<DateTime<Utc>>,
    /// The figures are older than the scrape interval allows: show them marked.
    pub stale: bool,
}

/// Figures by service.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub services: HashMap<ObjectKey, ServiceFigures>,
}

impl Figures {
    pub fn service(&self, key: &ObjectKey) -> Option<&ServiceFigures> {
        self.services.get(key)
    }
}
