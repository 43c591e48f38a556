//! One round of pod scrapes: every target's `/metrics` through the API server's pod proxy,
//! at most [`MAX_IN_FLIGHT`] at once (so the client's pooled connections are reused rather
//! than one opened per pod), each with a timeout; each page parsed into a reading as soon as
//! it arrives (so a round never holds every pod's text at once: a queue-proxy page is about
//! 37 KB), failures worded for the user, then fed to the window to give one `Measurements`
//! (transformer pods' pages feed the chain split, `chain_window`, not the services' latency).

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
    let pages = fetch_all(client, targets, timeout).await;
    fold(targets, pages, chrono::Utc::now(), tracker)
}

/// [`round`], keeping the window of the pods in `resting` (targets not read this round).
pub async fn round_keeping(
    client: &kube::Client,
    targets: &[Target],
    resting: &std::collections::HashSet<crate::domain::key::ObjectKey>,
    timeout: Duration,
    tracker: &mut Tracker,
) -> Measurements {
    let pages = fetch_all(client, targets, timeout).await;
    fold_keeping(targets, pages, chrono::Utc::now(), tracker, resting)
}

/// [`round`] with the round's time given (tests step the clock instead of sleeping).
pub async fn round_at(
    client: &kube::Client,
    targets: &[Target],
    timeout: Duration,
    tracker: &mut Tracker,
    at: chrono::DateTime<chrono::Utc>,
) -> Measurements {
    let pages = fetch_all(client, targets, timeout).await;
    fold(targets, pages, at, tracker)
}

/// What a target's page gave, parsed by its endpoint as soon as it arrived, or why it could
/// not be read.
enum Page {
    /// A model server's (or its queue-proxy's) page.
    Server(Result<extract::Reading, ScrapeError>),
    /// A vLLM server's page.
    Vllm(Result<VllmReading, ScrapeError>),
    /// A transformer's page: its stage histograms.
    Stages(Result<chain_window::StageBuckets, ScrapeError>),
}

/// A target's page and the problems found reading it, worded for the user.
struct Fetched {
    page: Page,
    problems: Vec<String>,
}

impl Fetched {
    /// Parses `text` as `t`'s endpoint gives it; the text is not kept.
    fn parsed(t: &Target, text: &str) -> Fetched {
        let unread = |source: MissingMetrics| ScrapeError::Page {
            target: t.describe(),
            source,
        };
        let (page, problems) = match t.endpoint {
            Endpoint::Transformer => {
                let (stages, problems) = chain_window::parse(text);
                (Page::Stages(stages.map_err(unread)), problems)
            }
            Endpoint::Vllm => {
                let (reading, problems) = vllm::parse(text);
                (Page::Vllm(reading.map_err(unread)), problems)
            }
            endpoint => {
                let (reading, problems) = extract::parse(endpoint, text);
                (Page::Server(reading.map_err(unread)), problems)
            }
        };
        let problems = (problems.into_iter())
            .map(|p| format!("{}: {p}", t.describe()))
            .collect();
        Fetched { page, problems }
    }

    /// `t`'s page could not be read.
    fn failed(t: &Target, error: ScrapeError) -> Fetched {
        let page = match t.endpoint {
            Endpoint::Transformer => Page::Stages(Err(error)),
            Endpoint::Vllm => Page::Vllm(Err(error)),
            _ => Page::Server(Err(error)),
        };
        Fetched {
            page,
            problems: Vec::new(),
        }
    }
}

/// Every target's page, in the targets' order, [`MAX_IN_FLIGHT`] at a time. A target's
/// timeout starts when its request does, not while it waits for a slot.
async fn fetch_all(client: &kube::Client, targets: &[Target], timeout: Duration) -> Vec<Fetched> {
    // Collected first: a stream over a borrowing closure is not `Send` for the spawned task.
    let requests: Vec<_> = targets.iter().map(|t| fetch(client, t, timeout)).collect();
    futures::stream::iter(requests)
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await
}

/// The fetched pages of one round, read at `at` and folded into `tracker`.
fn fold(
    targets: &[Target],
    pages: Vec<Fetched>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
) -> Measurements {
    fold_keeping(targets, pages, at, tracker, &Default::default())
}

/// [`fold`], keeping the window of the pods in `resting`.
fn fold_keeping(
    targets: &[Target],
    pages: Vec<Fetched>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
    resting: &std::collections::HashSet<crate::domain::key::ObjectKey>,
) -> Measurements {
    let mut problems = Vec::new();
    let mut llm_pods = Vec::new();
    let mut chain_pods = Vec::new();
    let mut pods: Vec<PodRound> = Vec::new();
    for (t, fetched) in targets.iter().zip(pages) {
        problems.extend(fetched.problems);
        match fetched.page {
            Page::Stages(stages) => chain_pods.push(chain_window::ChainPodRound {
                pod: t.pod.clone(),
                uid: t.uid.clone(),
                service: t.service.clone(),
                stages: said(stages, &mut problems),
            }),
            Page::Vllm(reading) => {
                let reading = said(reading, &mut problems);
                llm_pods.push(llm_round(t, reading.clone()));
                pods.push(pod_round(t, reading.map(|r| r.as_reading())));
            }
            Page::Server(reading) => pods.push(pod_round(t, said(reading, &mut problems))),
        }
    }
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

/// The reading, or none with the reason added to the round's problems.
fn said<T>(outcome: Result<T, ScrapeError>, problems: &mut Vec<String>) -> Option<T> {
    outcome.map_err(|e| problems.push(e.to_string())).ok()
}

fn pod_round(t: &Target, reading: Option<extract::Reading>) -> PodRound {
    PodRound {
        pod: t.pod.clone(),
        uid: t.uid.clone(),
        service: t.service.clone(),
        revision: t.revision.clone(),
        started: t.started,
        reading,
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

/// Fetches a target's page and parses it at once (its text is dropped here).
async fn fetch(client: &kube::Client, t: &Target, timeout: Duration) -> Fetched {
    let read = pod_proxy::get_text(client, &t.pod.namespace, &t.pod.name, t.port, &t.path);
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(text)) => Fetched::parsed(t, &text),
        Ok(Err(err)) => Fetched::failed(t, ScrapeError::of_proxy(t, err)),
        Err(_) => Fetched::failed(
            t,
            ScrapeError::Timeout {
                target: t.describe(),
                seconds: timeout.as_secs_f64(),
                port: t.port,
            },
        ),
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
