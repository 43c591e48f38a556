//! Reads the DCGM metrics from a Prometheus server instead of the exporters (`--prometheus
//! URL`): one instant query per round for every series kdeck needs, giving the same
//! per-GPU records and the same `DcgmBatch` as the pod-proxy scraper.

use crate::domain::dcgm::prom_api::{query, samples_from_vector};
use crate::domain::dcgm::{DcgmBatch, DcgmSample, TargetError, gpus_from_samples};
use crate::sources::prometheus::{self, PrometheusError};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A Prometheus server to ask.
#[derive(Debug, Clone)]
pub struct PrometheusSource {
    /// The server's base URL, e.g. `http://prometheus.monitoring:9090`.
    pub base_url: String,
    pub interval: Duration,
    pub timeout: Duration,
}

impl PrometheusSource {
    pub fn new(base_url: impl Into<String>) -> PrometheusSource {
        PrometheusSource {
            base_url: base_url.into(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Queries once; a failure is the batch's single error.
pub async fn query_once(client: &reqwest::Client, source: &PrometheusSource) -> DcgmBatch {
    let mut batch = DcgmBatch {
        taken_at: chrono::Utc::now(),
        targets: 1,
        gpus: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    match fetch(client, source).await {
        Ok(samples) => {
            batch.gpus = gpus_from_samples(&samples, None);
            if batch.gpus.is_empty() {
                batch.warnings.push(format!(
                    "Prometheus at {} has no DCGM_FI_* series: check that it scrapes the DCGM \
                     exporter",
                    source.base_url
                ));
            }
        }
        Err(error) => batch.errors.push(TargetError {
            target: source.base_url.clone(),
            message: error.to_string(),
        }),
    }
    batch
}

async fn fetch(
    client: &reqwest::Client,
    source: &PrometheusSource,
) -> Result<Vec<DcgmSample>, PrometheusError> {
    let samples = prometheus::query(client, &source.base_url, &query(), source.timeout).await?;
    Ok(samples_from_vector(samples))
}

/// Queries every `source.interval` until cancelled or the receiver is dropped.
pub async fn run(
    client: reqwest::Client,
    source: PrometheusSource,
    cancel: CancellationToken,
    tx: mpsc::Sender<DcgmBatch>,
) {
    let mut ticker = tokio::time::interval(source.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let batch = tokio::select! {
            _ = cancel.cancelled() => return,
            batch = query_once(&client, &source) => batch,
        };
        if tx.send(batch).await.is_err() {
            return;
        }
    }
}
