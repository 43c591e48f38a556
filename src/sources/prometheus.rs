//! Asks a Prometheus server's instant-query API (`/api/v1/query`) under a deadline, for the
//! sources that read their figures from Prometheus instead of the pods (`--prometheus URL`):
//! the latency source and the DCGM GPU source. Owns the HTTP client's set-up and the errors
//! of asking, worded for the user.

use crate::domain::prom_query::{AnswerError, VectorSample, parse_vector};
use std::time::Duration;

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
    #[error("{source} (query `{query}`)")]
    BadAnswer {
        query: String,
        #[source]
        source: AnswerError,
    },
    /// An error status, usually a wrong URL.
    #[error(
        "Prometheus at {base_url} answered HTTP {status}: {source}; check the URL (it should \
         be the server's base URL)"
    )]
    Status {
        base_url: String,
        status: reqwest::StatusCode,
        #[source]
        source: AnswerError,
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

/// Runs one instant query against the server at `base_url`, within `timeout`.
pub async fn query(
    client: &reqwest::Client,
    base_url: &str,
    promql: &str,
    timeout: Duration,
) -> Result<Vec<VectorSample>, PrometheusError> {
    let url = format!("{}/api/v1/query", base_url.trim_end_matches('/'));
    let full = reqwest::Url::parse_with_params(&url, &[("query", promql)]).map_err(|e| {
        PrometheusError::BadUrl {
            base_url: base_url.to_string(),
            source: e,
        }
    })?;
    let response = client
        .get(full)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                PrometheusError::TimedOut {
                    base_url: base_url.to_string(),
                    timeout,
                }
            } else {
                PrometheusError::Unreachable {
                    base_url: base_url.to_string(),
                    source: e,
                }
            }
        })?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| PrometheusError::Body { url, source: e })?;
    parse_vector(&body).map_err(|source| {
        if status.is_success() {
            PrometheusError::BadAnswer {
                query: promql.to_string(),
                source,
            }
        } else {
            PrometheusError::Status {
                base_url: base_url.to_string(),
                status,
                source,
            }
        }
    })
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
            source: AnswerError::NoData,
        };
        assert_eq!(
            status.to_string(),
            "Prometheus at http://prom:9090/graph answered HTTP 404 Not Found: the Prometheus \
             answer has no `data`; check the URL (it should be the server's base URL)"
        );
        let answer = PrometheusError::BadAnswer {
            query: "up".into(),
            source: AnswerError::Refused {
                kind: "bad_data".into(),
                error: "parse error".into(),
            },
        };
        assert_eq!(
            answer.to_string(),
            "Prometheus refused the query (bad_data: parse error) (query `up`)"
        );
    }
}
