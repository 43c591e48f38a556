//! Latency from a Prometheus server (`--prometheus URL` or `metrics.prometheus_url`): each
//! round runs the instant queries of `domain::latency::prom_api` at once and sends the
//! figures as one `Measurements`. A failed query is a problem in the round, the others kept.

use crate::domain::latency::Measurements;
use crate::domain::latency::prom_api::{self, Query, VectorSample};
use std::time::Duration;

/// Runs every query once.
pub async fn round(client: &reqwest::Client, base_url: &str, timeout: Duration) -> Measurements {
    let queries = prom_api::queries();
    let answers =
        futures::future::join_all(queries.iter().map(|q| ask(client, base_url, q, timeout))).await;
    let at = chrono::Utc::now();
    let mut problems = Vec::new();
    let mut good: Vec<(Query, Vec<VectorSample>)> = Vec::new();
    for (q, a) in queries.into_iter().zip(answers) {
        match a {
            Ok(samples) => good.push((q, samples)),
            Err(e) if problems.contains(&e) => {}
            Err(e) => problems.push(e),
        }
    }
    let figures = prom_api::figures(at, &good);
    Measurements {
        at,
        llm: Vec::new(),
        chains: Vec::new(),
        services: figures.services,
        revisions: figures.revisions,
        problems,
    }
}

async fn ask(
    client: &reqwest::Client,
    base_url: &str,
    query: &Query,
    timeout: Duration,
) -> Result<Vec<VectorSample>, String> {
    let url = format!("{}/api/v1/query", base_url.trim_end_matches('/'));
    let full = reqwest::Url::parse_with_params(&url, &[("query", query.promql.as_str())]).map_err(
        |e| {
            format!(
                "`{base_url}` is not a usable Prometheus URL ({e}): give the server's base URL, \
                 e.g. http://prometheus.monitoring:9090"
            )
        },
    )?;
    let response = client
        .get(full)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!(
                    "Prometheus at {base_url} did not answer within {:.1}s: check the URL and that \
                 the server is up",
                    timeout.as_secs_f64()
                )
            } else {
                format!(
                    "cannot reach Prometheus at {base_url} ({e}): check the URL and the network"
                )
            }
        })?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading Prometheus's answer from {url} failed: {e}"))?;
    prom_api::parse_vector(&body).map_err(|e| {
        if status.is_success() {
            format!("{e} (query `{}`)", query.promql)
        } else {
            format!("Prometheus at {base_url} answered HTTP {status}: {e}")
        }
    })
}
