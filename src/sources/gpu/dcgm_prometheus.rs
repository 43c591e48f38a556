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

/// Why Prometheus could not be asked, or its answer not read: what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error("cannot set up an HTTP client for Prometheus: {0}")]
    Client(#[source] reqwest::Error),
    #[error(
        "`{base_url}` is not a usable Prometheus URL ({source}): give the server's base URL, \
         e.g. http://prometheus.monitoring:9090"
    )]
    BadUrl {
        base_url: String,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "Prometheus at {base_url} did not answer within {:.1}s: check the URL and that the \
         server is up",
        .timeout.as_secs_f64()
    )]
    TimedOut { base_url: String, timeout: Duration },
    #[error("cannot reach Prometheus at {base_url} ({source}): check the URL and the network")]
    Unreachable {
        base_url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("reading Prometheus's answer from {url} failed: {source}")]
    Body {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A successful answer that is not the query result kdeck asked for.
    #[error("{detail} (from {url})")]
    BadAnswer { url: String, detail: String },
    /// An error status, usually a wrong URL.
    #[error(
        "Prometheus at {base_url} answered HTTP {status}: {detail}; check the URL (it should \
         be the server's base URL)"
    )]
    Status {
        base_url: String,
        status: reqwest::StatusCode,
        detail: String,
    },
}

/// Builds the HTTP client for Prometheus (installs the TLS provider first).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, PrometheusError> {
    crate::sources::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(PrometheusError::Client)
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
) -> Result<Vec<crate::domain::dcgm::DcgmSample>, PrometheusError> {
    let url = source.query_url();
    let full = reqwest::Url::parse_with_params(&url, &[("query", query())]).map_err(|e| {
        PrometheusError::BadUrl {
            base_url: source.base_url.clone(),
            source: e,
        }
    })?;
    let request = client.get(full).timeout(source.timeout);
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            PrometheusError::TimedOut {
                base_url: source.base_url.clone(),
                timeout: source.timeout,
            }
        } else {
            PrometheusError::Unreachable {
                base_url: source.base_url.clone(),
                source: e,
            }
        }
    })?;
    let status = response.status();
    let body = response.text().await.map_err(|e| PrometheusError::Body {
        url: url.clone(),
        source: e,
    })?;
    match samples_from_query_response(&body) {
        Ok(samples) => Ok(samples),
        Err(detail) if status.is_success() => Err(PrometheusError::BadAnswer { url, detail }),
        Err(detail) => Err(PrometheusError::Status {
            base_url: source.base_url.clone(),
            status,
            detail,
        }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_errors_say_what_happened_and_what_to_do() {
        let bad_url = PrometheusError::BadUrl {
            base_url: "prometheus:9090".into(),
            source: url::ParseError::RelativeUrlWithoutBase,
        };
        assert_eq!(
            bad_url.to_string(),
            "`prometheus:9090` is not a usable Prometheus URL (relative URL without a base): \
             give the server's base URL, e.g. http://prometheus.monitoring:9090"
        );
        assert!(std::error::Error::source(&bad_url).is_some());
        let timed_out = PrometheusError::TimedOut {
            base_url: "http://prom:9090".into(),
            timeout: Duration::from_millis(2500),
        };
        assert_eq!(
            timed_out.to_string(),
            "Prometheus at http://prom:9090 did not answer within 2.5s: check the URL and that \
             the server is up"
        );
        let status = PrometheusError::Status {
            base_url: "http://prom:9090/graph".into(),
            status: reqwest::StatusCode::NOT_FOUND,
            detail: "the answer is not JSON".into(),
        };
        assert_eq!(
            status.to_string(),
            "Prometheus at http://prom:9090/graph answered HTTP 404 Not Found: the answer is not \
             JSON; check the URL (it should be the server's base URL)"
        );
        let answer = PrometheusError::BadAnswer {
            url: "http://prom:9090/api/v1/query".into(),
            detail: "Prometheus refused the query: bad_data".into(),
        };
        assert_eq!(
            answer.to_string(),
            "Prometheus refused the query: bad_data (from http://prom:9090/api/v1/query)"
        );
    }
}
