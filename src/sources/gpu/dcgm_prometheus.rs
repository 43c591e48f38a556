//! Reads the DCGM metrics from a Prometheus server instead of the exporters (`--prometheus
//! URL`): one instant query per round for every series kdeck needs, giving the same
//! per-GPU records and the same `DcgmBatch` as the pod-proxy scraper.

use crate::domain::dcgm::prom_api::{query, samples_from_query_response};
use crate::domain::dcgm::{DcgmBatch, TargetError, gpus_from_samples};
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

    fn query_url(&self) -> String {
        format!("{}/api/v1/query", self.base_url.trim_end_matches('/'))
    }
}

/// Builds the HTTP client for Prometheus (installs the TLS provider first).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    crate::sources::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot set up an HTTP client for Prometheus: {e}"))
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
        Err(message) => batch.errors.push(TargetError {
            target: source.base_url.clone(),
            message,
        }),
    }
    batch
}

async fn fetch(
    client: &reqwest::Client,
    source: &PrometheusSource,
) -> Result<Vec<crate::domain::dcgm::DcgmSample>, String> {
    let url = source.query_url();
    let full = reqwest::Url::parse_with_params(&url, &[("query", query())]).map_err(|e| {
        format!(
            "`{}` is not a usable Prometheus URL ({e}): give the server's base URL, e.g. \
             http://prometheus.monitoring:9090",
            source.base_url
        )
    })?;
    let request = client.get(full).timeout(source.timeout);
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            format!(
                "Prometheus at {} did not answer within {:.1}s: check the URL and that the \
                 server is up",
                source.base_url,
                source.timeout.as_secs_f64()
            )
        } else {
            format!(
                "cannot reach Prometheus at {} ({e}): check the URL and the network",
                source.base_url
            )
        }
    })?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading Prometheus's answer from {url} failed: {e}"))?;
    match samples_from_query_response(&body) {
        Ok(samples) => Ok(samples),
        Err(e) if status.is_success() => Err(format!("{e} (from {url})")),
        Err(e) => Err(format!(
            "Prometheus at {} answered HTTP {status}: {e}; check the URL (it should be the \
             server's base URL)",
            source.base_url
        )),
    }
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
