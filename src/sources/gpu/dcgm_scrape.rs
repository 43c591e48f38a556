//! Scrapes every DCGM exporter pod through the API server's pod proxy, concurrently and with
//! a timeout per exporter, on an interval until cancelled; sends one owned `DcgmBatch` per
//! round. A target that fails is an error in the batch, worded for the user; the others are
//! kept.

use super::dcgm_targets::{DcgmScrapeConfig, ScrapeTarget, discover};
use crate::domain::dcgm::{DcgmBatch, TargetError, parse_scrape};
use crate::domain::prom::Exposition;
use crate::sources::pod_proxy::{self, ProxyError};
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Scrapes the exporters among `pods()` every `config.interval` and sends a batch per round,
/// until `cancel` fires or the receiver is dropped. `pods` is called each round, so exporters
/// that come and go are followed (pass a reflector store's `state()`).
pub async fn run(
    client: kube::Client,
    pods: impl Fn() -> Vec<Arc<Pod>> + Send,
    config: DcgmScrapeConfig,
    cancel: CancellationToken,
    tx: mpsc::Sender<DcgmBatch>,
) {
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let current = pods();
        let targets = discover(current.iter().map(Arc::as_ref), &config);
        let batch = tokio::select! {
            _ = cancel.cancelled() => return,
            batch = scrape_once(&client, &targets, &config) => batch,
        };
        if tx.send(batch).await.is_err() {
            return;
        }
    }
}

/// Scrapes the targets once, a few at a time.
pub async fn scrape_once(
    client: &kube::Client,
    targets: &[ScrapeTarget],
    config: &DcgmScrapeConfig,
) -> DcgmBatch {
    use futures::{FutureExt, StreamExt};
    // Boxed and collected first: a stream over a borrowing closure is not `Send`.
    let requests: Vec<_> = targets
        .iter()
        .map(|t| scrape_target(client, t, config).boxed())
        .collect();
    let results: Vec<_> = futures::stream::iter(requests)
        .buffered(crate::sources::latency::scrape::MAX_IN_FLIGHT)
        .collect()
        .await;
    let mut batch = DcgmBatch {
        taken_at: chrono::Utc::now(),
        targets: targets.len(),
        gpus: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    if targets.is_empty() {
        batch.warnings.push(no_exporters_note(config));
    }
    for (target, result) in targets.iter().zip(results) {
        match result {
            Ok(text) => {
                let exposition = Exposition::parse_only(&text, &crate::domain::dcgm::metric::ALL);
                for problem in exposition.problems.iter() {
                    batch
                        .warnings
                        .push(format!("DCGM exporter {}: {problem}", target.describe()));
                }
                let gpus = parse_scrape(&exposition, target.node.as_deref());
                if gpus.is_empty() {
                    batch.warnings.push(format!(
                        "DCGM exporter {} answered without any DCGM_FI_* GPU metrics",
                        target.describe()
                    ));
                }
                batch.gpus.extend(gpus);
            }
            Err(error) => batch.errors.push(TargetError {
                target: target.describe(),
                message: error.to_string(),
            }),
        }
    }
    batch
}

/// Why one exporter's page could not be read: what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    // The kube client retries 503 ("cannot reach the pod") with backoff, so an exporter that
    // is down usually shows up here rather than as a 503.
    #[error(
        "DCGM exporter {target} did not answer within {:.1}s (the API server could not reach \
         it, or it is slow): check that the pod is running and serves port {port}{path}",
        .timeout.as_secs_f64()
    )]
    TimedOut {
        target: String,
        timeout: std::time::Duration,
        port: u16,
        path: String,
    },
    /// The API server answered with an error status.
    #[error(
        "DCGM exporter {target}: the API server answered {code} ({detail}); {}",
        refusal_advice(*.code, .namespace, *.port)
    )]
    Answered {
        target: String,
        code: u16,
        detail: String,
        namespace: String,
        port: u16,
        #[source]
        source: ProxyError,
    },
    /// No answer from the API server itself (connection, TLS, request).
    #[error("DCGM exporter {target}: {source}; check the connection to the API server")]
    Proxy {
        target: String,
        #[source]
        source: ProxyError,
    },
}

async fn scrape_target(
    client: &kube::Client,
    target: &ScrapeTarget,
    config: &DcgmScrapeConfig,
) -> Result<String, ScrapeError> {
    let read = pod_proxy::get_text(
        client,
        &target.namespace,
        &target.pod,
        config.port,
        &config.path,
    );
    match tokio::time::timeout(config.timeout, read).await {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(err)) => Err(scrape_error(target, config, err)),
        Err(_) => Err(ScrapeError::TimedOut {
            target: target.describe(),
            timeout: config.timeout,
            port: config.port,
            path: config.path.clone(),
        }),
    }
}

/// Sorts a proxy failure: an error status from the API server, or no answer at all.
fn scrape_error(target: &ScrapeTarget, config: &DcgmScrapeConfig, err: ProxyError) -> ScrapeError {
    let status = match &err {
        ProxyError::Api {
            source: kube::Error::Api(status),
            ..
        } => Some((status.code, status.message.trim().to_string())),
        _ => None,
    };
    match status {
        Some((code, detail)) => ScrapeError::Answered {
            target: target.describe(),
            code,
            detail,
            namespace: target.namespace.clone(),
            port: config.port,
            source: err,
        },
        None => ScrapeError::Proxy {
            target: target.describe(),
            source: err,
        },
    }
}

/// What to do about an error status from the API server's pod proxy.
fn refusal_advice(code: u16, namespace: &str, port: u16) -> String {
    match code {
        401 => "log in again (the credentials were refused)".to_string(),
        403 => format!(
            "your account may not read pods/proxy in namespace {namespace}: ask for `get` on \
             `pods/proxy` there, or use --prometheus"
        ),
        404 => "the pod is gone, or nothing serves that path: check the pod".to_string(),
        500..=599 => format!(
            "the API server could not reach the exporter on port {port}: check that the pod \
             is ready and listens there"
        ),
        _ => "check the pod and the API server".to_string(),
    }
}

fn no_exporters_note(config: &DcgmScrapeConfig) -> String {
    let selectors: Vec<String> = config
        .selectors
        .iter()
        .map(|s| {
            s.0.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    format!(
        "no running DCGM exporter pods found (selectors: {}{}); install NVIDIA's dcgm-exporter \
         (the GPU operator includes it) or set [gpu] dcgm_selectors",
        selectors.join(" or "),
        config
            .namespace
            .as_ref()
            .map(|ns| format!(", namespace {ns}"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn target() -> ScrapeTarget {
        ScrapeTarget {
            namespace: "gpu-operator".into(),
            pod: "dcgm-1".into(),
            node: Some("gpu-node-1".into()),
        }
    }

    fn refused(code: u16, message: &str) -> ProxyError {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "code": code, "message": message, "reason": "Refused",
        }))
        .expect("a Status");
        ProxyError::Api {
            namespace: "gpu-operator".into(),
            pod: "dcgm-1".into(),
            port: 9400,
            path: "/metrics".into(),
            source: kube::Error::Api(Box::new(status)),
        }
    }

    #[test]
    fn scrape_errors_say_what_happened_and_what_to_do() {
        let config = DcgmScrapeConfig::default();
        let who = target().describe();
        let timed_out = ScrapeError::TimedOut {
            target: who.clone(),
            timeout: Duration::from_secs(2),
            port: 9400,
            path: "/metrics".into(),
        };
        assert_eq!(
            timed_out.to_string(),
            format!(
                "DCGM exporter {who} did not answer within 2.0s (the API server could not reach \
                 it, or it is slow): check that the pod is running and serves port 9400/metrics"
            )
        );
        let forbidden = scrape_error(
            &target(),
            &config,
            refused(403, " pods/proxy is forbidden "),
        );
        assert!(matches!(forbidden, ScrapeError::Answered { code: 403, .. }));
        assert_eq!(
            forbidden.to_string(),
            format!(
                "DCGM exporter {who}: the API server answered 403 (pods/proxy is forbidden); \
                 your account may not read pods/proxy in namespace gpu-operator: ask for `get` \
                 on `pods/proxy` there, or use --prometheus"
            )
        );
        let unreachable = scrape_error(&target(), &config, refused(503, "no endpoints"));
        assert_eq!(
            unreachable.to_string(),
            format!(
                "DCGM exporter {who}: the API server answered 503 (no endpoints); the API \
                 server could not reach the exporter on port 9400: check that the pod is ready \
                 and listens there"
            )
        );
        assert!(std::error::Error::source(&unreachable).is_some());
    }
}
