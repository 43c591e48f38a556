//! Latency from a Prometheus server (`--prometheus URL` or `metrics.prometheus_url`): each
//! round runs the instant queries of `domain::latency::prom_api` at once and sends the
//! figures as one `Measurements`. A failed query is a problem in the round, the others kept.

use crate::domain::latency::Measurements;
use crate::domain::latency::prom_api::{self, Query, VectorSample};
use crate::sources::prometheus;
use std::time::Duration;

/// Runs every query once.
pub async fn round(client: &reqwest::Client, base_url: &str, timeout: Duration) -> Measurements {
    let queries = prom_api::queries();
    let answers = futures::future::join_all(
        queries
            .iter()
            .map(|q| prometheus::query(client, base_url, &q.promql, timeout)),
    )
    .await;
    let at = chrono::Utc::now();
    let mut problems = Vec::new();
    let mut good: Vec<(Query, Vec<VectorSample>)> = Vec::new();
    for (q, a) in queries.into_iter().zip(answers) {
        match a {
            Ok(samples) => good.push((q, samples)),
            Err(e) => {
                // The round's problems are what the user reads, each once.
                let said = e.to_string();
                if !problems.contains(&said) {
                    problems.push(said);
                }
            }
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
