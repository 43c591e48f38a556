//! One round of pod scrapes: every target's `/metrics` through the API server's pod proxy,
//! at most [`MAX_IN_FLIGHT`] at once (so the client's pooled connections are reused rather
//! than one opened per pod), each with a timeout; the texts parsed into readings, failures worded for the
//! user, then fed to the window to give one `Measurements` (transformer pods' pages feed the
//! chain split, `chain_window`, not the services' latency).

use crate::domain::latency::Measurements;
use crate::domain::latency::extract::MissingMetrics;
use crate::domain::latency::targets::Target;
use crate::domain::latency::{Endpoint, PodRound, Tracker, chain_window, extract};
use crate::domain::llm::vllm::{self, VllmReading};
use crate::domain::llm::window::LlmPodRound;
use crate::sources::pod_proxy::{self, ProxyError};
use futures::StreamExt;
use std::time::Duration;

/// Scrapes in flight at once; the rest wait for a free slot.
pub const MAX_IN_FLIGHT: usize = 8;

/// Why one pod gave no reading this round, worded for the user (the round's problems):
/// each starts with the pod and its exporter (`ml/iris-1 (model server :8080/metrics)`).
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error(
        "{target} did not answer within {seconds:.1}s through the API server: check that the \
         pod is running and serves port {port}"
    )]
    Timeout {
        target: String,
        seconds: f64,
        port: u16,
    },
    /// The API server answered with an error status.
    #[error("{target}: the API server answered {code} ({}); {advice}", .message.trim())]
    Refused {
        target: String,
        code: u16,
        message: String,
        advice: Advice,
        source: Box<ProxyError>,
    },
    /// The request failed some other way (no answer from the API server, a bad request).
    #[error("{target}: {source}")]
    Proxy {
        target: String,
        source: Box<ProxyError>,
    },
    /// The page came back but holds none of the exporter's metrics.
    #[error("{target}: {source}")]
    Page {
        target: String,
        source: MissingMetrics,
    },
}

/// What to do when the API server refused a scrape, by its status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// 403: the account may not use the pod proxy there.
    NoProxyRight { namespace: String },
    /// 404.
    Gone,
    /// 5xx: the API server could not reach the pod's port.
    PortClosed { port: u16 },
    /// Any other status.
    CheckPod,
}

impl std::fmt::Display for Advice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Advice::NoProxyRight { namespace } => write!(
                f,
                "your account may not read pods/proxy in namespace {namespace}: ask for `get` \
                 on `pods/proxy`, or use --prometheus"
            ),
            Advice::Gone => f.write_str("the pod is gone, or nothing serves that path"),
            Advice::PortClosed { port } => write!(
                f,
                "the API server could not reach port {port} of the pod: check that it listens \
                 there"
            ),
            Advice::CheckPod => f.write_str("check the pod and the API server"),
        }
    }
}

impl ScrapeError {
    /// A proxy failure of target `t` in the user's terms: an error status gets advice.
    fn of_proxy(t: &Target, source: ProxyError) -> ScrapeError {
        let target = t.describe();
        let ProxyError::Api {
            source: kube::Error::Api(status),
            ..
        } = &source
        else {
            return ScrapeError::Proxy {
                target,
                source: Box::new(source),
            };
        };
        let advice = match status.code {
            403 => Advice::NoProxyRight {
                namespace: t.pod.namespace.clone(),
            },
            404 => Advice::Gone,
            500..=599 => Advice::PortClosed { port: t.port },
            _ => Advice::CheckPod,
        };
        ScrapeError::Refused {
            target,
            code: status.code,
            message: status.message.clone(),
            advice,
            source: Box::new(source),
        }
    }
}

/// Scrapes `targets` once and folds the round into `tracker`.
pub async fn round(
    client: &kube::Client,
    targets: &[Target],
    timeout: Duration,
    tracker: &mut Tracker,
) -> Measurements {
    let texts = fetch_all(client, targets, timeout).await;
    fold(targets, texts, chrono::Utc::now(), tracker)
}

/// [`round`], keeping the window of the pods in `resting` (targets not read this round).
pub async fn round_keeping(
    client: &kube::Client,
    targets: &[Target],
    resting: &std::collections::HashSet<crate::domain::key::ObjectKey>,
    timeout: Duration,
    tracker: &mut Tracker,
) -> Measurements {
    let texts = fetch_all(client, targets, timeout).await;
    fold_keeping(targets, texts, chrono::Utc::now(), tracker, resting)
}

/// [`round`] with the round's time given (tests step the clock instead of sleeping).
pub async fn round_at(
    client: &kube::Client,
    targets: &[Target],
    timeout: Duration,
    tracker: &mut Tracker,
    at: chrono::DateTime<chrono::Utc>,
) -> Measurements {
    let texts = fetch_all(client, targets, timeout).await;
    fold(targets, texts, at, tracker)
}

/// Every target's text, in the targets' order, [`MAX_IN_FLIGHT`] at a time. A target's
/// timeout starts when its request does, not while it waits for a slot.
async fn fetch_all(
    client: &kube::Client,
    targets: &[Target],
    timeout: Duration,
) -> Vec<Result<String, ScrapeError>> {
    // Collected first: a stream over a borrowing closure is not `Send` for the spawned task.
    let requests: Vec<_> = targets.iter().map(|t| fetch(client, t, timeout)).collect();
    futures::stream::iter(requests)
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await
}

/// The fetched texts of one round, read at `at` and folded into `tracker`.
fn fold(
    targets: &[Target],
    texts: Vec<Result<String, ScrapeError>>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
) -> Measurements {
    fold_keeping(targets, texts, at, tracker, &Default::default())
}

/// [`fold`], keeping the window of the pods in `resting`.
fn fold_keeping(
    targets: &[Target],
    texts: Vec<Result<String, ScrapeError>>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
    resting: &std::collections::HashSet<crate::domain::key::ObjectKey>,
) -> Measurements {
    let mut problems = Vec::new();
    let mut llm_pods = Vec::new();
    let mut chain_pods = Vec::new();
    let pods: Vec<PodRound> = targets
        .iter()
        .zip(texts)
        .filter_map(|(t, text)| {
            if t.endpoint == Endpoint::Transformer {
                chain_pods.push(chain_round(t, text, &mut problems));
                return None;
            }
            let outcome = text.and_then(|text| {
                let (reading, parse_problems) = read(t, &text, &mut llm_pods);
                for p in parse_problems {
                    problems.push(format!("{}: {p}", t.describe()));
                }
                reading.map_err(|source| ScrapeError::Page {
                    target: t.describe(),
                    source,
                })
            });
            if let Err(e) = &outcome {
                problems.push(e.to_string());
                if t.endpoint == Endpoint::Vllm {
                    llm_pods.push(llm_round(t, None));
                }
            }
            Some(PodRound {
                pod: t.pod.clone(),
                uid: t.uid.clone(),
                service: t.service.clone(),
                revision: t.revision.clone(),
                started: t.started,
                reading: outcome.ok(),
            })
        })
        .collect();
    let figures = tracker.round_keeping(at, &pods, resting);
    let llm = tracker.llm.round(at, &llm_pods);
    let chains = tracker.chain.round(at, &chain_pods, &figures.services);
    problems.extend(figures.restarts);
    Measurements {
        at,
        services: figures.services,
        revisions: figures.revisions,
        llm,
        chains,
        problems,
    }
}

/// A transformer pod's round: its stage histograms (for the chain split), problems worded
/// for the user.
fn chain_round(
    t: &Target,
    text: Result<String, ScrapeError>,
    problems: &mut Vec<String>,
) -> chain_window::ChainPodRound {
    let outcome = text.and_then(|text| {
        let (stages, parse_problems) = chain_window::parse(&text);
        for p in parse_problems {
            problems.push(format!("{}: {p}", t.describe()));
        }
        stages.map_err(|source| ScrapeError::Page {
            target: t.describe(),
            source,
        })
    });
    if let Err(e) = &outcome {
        problems.push(e.to_string());
    }
    chain_window::ChainPodRound {
        pod: t.pod.clone(),
        uid: t.uid.clone(),
        service: t.service.clone(),
        stages: outcome.ok(),
    }
}

fn llm_round(t: &Target, reading: Option<VllmReading>) -> LlmPodRound {
    LlmPodRound {
        pod: t.pod.clone(),
        uid: t.uid.clone(),
        service: t.service.clone(),
        started: t.started,
        reading,
    }
}

/// Reads one page: a vLLM page also feeds the vLLM window (through `llm_pods`).
fn read(
    t: &Target,
    text: &str,
    llm_pods: &mut Vec<LlmPodRound>,
) -> (Result<extract::Reading, MissingMetrics>, Vec<String>) {
    if t.endpoint != Endpoint::Vllm {
        return extract::parse(t.endpoint, text);
    }
    let (reading, problems) = vllm::parse(text);
    if let Ok(r) = &reading {
        llm_pods.push(llm_round(t, Some(r.clone())));
    }
    (reading.map(|r| r.as_reading()), problems)
}

async fn fetch(
    client: &kube::Client,
    t: &Target,
    timeout: Duration,
) -> Result<String, ScrapeError> {
    let read = pod_proxy::get_text(client, &t.pod.namespace, &t.pod.name, t.port, &t.path);
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(err)) => Err(ScrapeError::of_proxy(t, err)),
        Err(_) => Err(ScrapeError::Timeout {
            target: t.describe(),
            seconds: timeout.as_secs_f64(),
            port: t.port,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::key::ObjectKey;

    fn target() -> Target {
        Target {
            pod: ObjectKey::new("ml", "iris-1"),
            uid: "u".into(),
            service: ObjectKey::new("ml", "iris"),
            revision: None,
            endpoint: Endpoint::ModelServer,
            port: 8080,
            path: "/metrics".into(),
            started: None,
        }
    }

    fn refused(code: u16) -> String {
        let status = kube::core::Status {
            code,
            message: " no access \n".into(),
            ..Default::default()
        };
        let source = ProxyError::Api {
            namespace: "ml".into(),
            pod: "iris-1".into(),
            port: 8080,
            path: "/metrics".into(),
            source: kube::Error::Api(Box::new(status)),
        };
        ScrapeError::of_proxy(&target(), source).to_string()
    }

    #[test]
    fn scrape_errors_read_as_the_users_message() {
        let timeout = ScrapeError::Timeout {
            target: target().describe(),
            seconds: 2.0,
            port: 8080,
        };
        assert_eq!(
            timeout.to_string(),
            "ml/iris-1 (model server :8080/metrics) did not answer within 2.0s through the API \
             server: check that the pod is running and serves port 8080"
        );
        assert_eq!(
            refused(403),
            "ml/iris-1 (model server :8080/metrics): the API server answered 403 (no access); \
             your account may not read pods/proxy in namespace ml: ask for `get` on \
             `pods/proxy`, or use --prometheus"
        );
        assert_eq!(
            refused(404),
            "ml/iris-1 (model server :8080/metrics): the API server answered 404 (no access); \
             the pod is gone, or nothing serves that path"
        );
        assert_eq!(
            refused(503),
            "ml/iris-1 (model server :8080/metrics): the API server answered 503 (no access); \
             the API server could not reach port 8080 of the pod: check that it listens there"
        );
        assert_eq!(
            refused(409),
            "ml/iris-1 (model server :8080/metrics): the API server answered 409 (no access); \
             check the pod and the API server"
        );
        let page = ScrapeError::Page {
            target: target().describe(),
            source: MissingMetrics::QueueProxy,
        };
        assert_eq!(
            page.to_string(),
            "ml/iris-1 (model server :8080/metrics): no `revision_app_request_latencies` or \
             `revision_app_request_count` in its queue-proxy metrics"
        );
        assert!(std::error::Error::source(&page).is_some());
    }
}
