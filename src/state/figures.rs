//! Live figures per service, filled by the metric scrapers and the GPU sources: latency,
//! rate, errors, GPU utilisation, cost. Absent until measured — never invented.

use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
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
    /// From the first scrape's cumulative counts (since the pod started), until the window
    /// has a second scrape: shown marked.
    pub cumulative: bool,
    /// Over less than the full window yet (the first scrapes): shown marked.
    pub partial: bool,
}

/// One point of a service's latency history (for sparklines).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPoint {
    pub at: DateTime<Utc>,
    pub p99_ms: Option<f64>,
    pub rps: Option<f64>,
}

/// How much latency history is kept per service.
pub const HISTORY_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Figures by service, and by revision within a service.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub services: HashMap<ObjectKey, ServiceFigures>,
    pub revisions: HashMap<ObjectKey, std::collections::BTreeMap<String, RevisionFigures>>,
    pub history: HashMap<ObjectKey, std::collections::VecDeque<HistoryPoint>>,
    /// Why the last round of measurements could not read some pods, if so.
    pub problems: Vec<String>,
    /// Canary revisions known to be worse than their stable one (see `state::canary`).
    pub breaches: HashMap<ObjectKey, crate::domain::canary::Breach>,
    /// vLLM figures per LLMInferenceService (TTFT, tokens/s, KV cache …).
    pub llm: HashMap<ObjectKey, crate::domain::llm::window::LlmFigures>,
    /// The last console probe of each LLM service (`i`), shown in its detail.
    pub llm_probes: HashMap<ObjectKey, LlmProbe>,
    /// The transformer → predictor split of services with a transformer.
    pub chains: HashMap<ObjectKey, crate::domain::latency::chain_window::ChainFigures>,
}

/// What the last console probe of an LLM service measured, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmProbe {
    pub at: DateTime<Utc>,
    pub ok: usize,
    pub requests: usize,
    pub stream: crate::domain::probe::timing::StreamFigures,
}

impl Figures {
    pub fn service(&self, key: &ObjectKey) -> Option<&ServiceFigures> {
        self.services.get(key)
    }

    /// Adds a history point for a service, dropping points older than the window.
    pub fn record(&mut self, key: &ObjectKey, point: HistoryPoint) {
        let series = self.history.entry(key.clone()).or_default();
        series.push_back(point);
        while series
            .front()
            .is_some_and(|p| point.at - p.at > HISTORY_WINDOW)
        {
            series.pop_front();
        }
    }
}
