//! One round of pod scrapes: every target's `/metrics` through the API server's pod proxy,
//! at most [`MAX_IN_FLIGHT`] at once (so the client's pooled connections are reused rather
//! than one opened per pod), each with a timeout; each page parsed into a reading as soon as
//! it arrives (so a round never holds every pod's text at once: a queue-proxy page is about
//! 37 KB), failures worded for the user, then fed to the window to give one `Measurements`
//! (transformer pods' pages feed the chain split, `chain_window`, not the services' latency).

use crate::domain::latency::Measurements;
use crate::domain::latency::targets::Target;
use crate::domain::latency::{Endpoint, PodRound, Tracker, chain_window, extract};
use crate::domain::llm::vllm::{self, VllmReading};
use crate::domain::llm::window::LlmPodRound;
use crate::sources::pod_proxy::{self, ProxyError};
use futures::StreamExt;
use std::time::Duration;

/// Scrapes in flight at once; the rest wait for a free slot.
pub const MAX_IN_FLIGHT: usize = 8;

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

/// A target's page, parsed as it arrived: what each kind of endpoint gives, with the
/// problems found reading it.
enum Page {
    /// A model server's (or its queue-proxy's) page.
    Server(Result<extract::Reading, String>, Vec<String>),
    /// A vLLM server's page.
    Vllm(Result<VllmReading, String>, Vec<String>),
    /// A transformer's page: its stage histograms.
    Stages(Result<chain_window::StageBuckets, String>, Vec<String>),
}

impl Page {
    fn parse(t: &Target, text: &str) -> Page {
        match t.endpoint {
            Endpoint::Transformer => {
                let (stages, problems) = chain_window::parse(text);
                Page::Stages(stages, problems)
            }
            Endpoint::Vllm => {
                let (reading, problems) = vllm::parse(text);
                Page::Vllm(reading, problems)
            }
            endpoint => {
                let (reading, problems) = extract::parse(endpoint, text);
                Page::Server(reading, problems)
            }
        }
    }
}

/// Every target's page, in the targets' order, [`MAX_IN_FLIGHT`] at a time. A target's
/// timeout starts when its request does, not while it waits for a slot.
async fn fetch_all(
    client: &kube::Client,
    targets: &[Target],
    timeout: Duration,
) -> Vec<Result<Page, String>> {
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
    pages: Vec<Result<Page, String>>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
) -> Measurements {
    fold_keeping(targets, pages, at, tracker, &Default::default())
}

/// [`fold`], keeping the window of the pods in `resting`.
fn fold_keeping(
    targets: &[Target],
    pages: Vec<Result<Page, String>>,
    at: chrono::DateTime<chrono::Utc>,
    tracker: &mut Tracker,
    resting: &std::collections::HashSet<crate::domain::key::ObjectKey>,
) -> Measurements {
    let mut problems = Vec::new();
    let mut llm_pods = Vec::new();
    let mut chain_pods = Vec::new();
    let pods: Vec<PodRound> = targets
        .iter()
        .zip(pages)
        .filter_map(|(t, page)| {
            if t.endpoint == Endpoint::Transformer {
                chain_pods.push(chain_round(t, page, &mut problems));
                return None;
            }
            let outcome = page.and_then(|page| {
                let (reading, parse_problems) = read(t, page, &mut llm_pods);
                for p in parse_problems {
                    problems.push(format!("{}: {p}", t.describe()));
                }
                reading.map_err(|e| format!("{}: {e}", t.describe()))
            });
            if let Err(e) = &outcome {
                problems.push(e.clone());
                if t.endpoint == Endpoint::Vllm {
                    llm_pods.push(llm_round(t, Err(e.clone())));
                }
            }
            Some(PodRound {
                pod: t.pod.clone(),
                uid: t.uid.clone(),
                service: t.service.clone(),
                revision: t.revision.clone(),
                started: t.started,
                outcome,
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
    page: Result<Page, String>,
    problems: &mut Vec<String>,
) -> chain_window::ChainPodRound {
    let outcome = page.and_then(|page| {
        let (stages, parse_problems) = match page {
            Page::Stages(stages, problems) => (stages, problems),
            Page::Server(..) | Page::Vllm(..) => (Err(MISREAD.to_string()), Vec::new()),
        };
        for p in parse_problems {
            problems.push(format!("{}: {p}", t.describe()));
        }
        stages.map_err(|e| format!("{}: {e}", t.describe()))
    });
    if let Err(e) = &outcome {
        problems.push(e.clone());
    }
    chain_window::ChainPodRound {
        pod: t.pod.clone(),
        uid: t.uid.clone(),
        service: t.service.clone(),
        outcome,
    }
}

fn llm_round(t: &Target, outcome: Result<VllmReading, String>) -> LlmPodRound {
    LlmPodRound {
        pod: t.pod.clone(),
        uid: t.uid.clone(),
        service: t.service.clone(),
        started: t.started,
        outcome,
    }
}

/// Pages are parsed by their target's endpoint, so each reader only ever gets its own kind;
/// this is what one would say of another's.
const MISREAD: &str = "the page was parsed for another kind of endpoint";

/// Reads one page: a vLLM page also feeds the vLLM window (through `llm_pods`).
fn read(
    t: &Target,
    page: Page,
    llm_pods: &mut Vec<LlmPodRound>,
) -> (Result<extract::Reading, String>, Vec<String>) {
    match page {
        Page::Server(reading, problems) => (reading, problems),
        Page::Vllm(reading, problems) => {
            if let Ok(r) = &reading {
                llm_pods.push(llm_round(t, Ok(r.clone())));
            }
            (reading.map(|r| r.as_reading()), problems)
        }
        Page::Stages(..) => (Err(MISREAD.to_string()), Vec::new()),
    }
}

/// Fetches a target's page and parses it at once (its text is dropped here).
async fn fetch(client: &kube::Client, t: &Target, timeout: Duration) -> Result<Page, String> {
    let read = pod_proxy::get_text(client, &t.pod.namespace, &t.pod.name, t.port, &t.path);
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(text)) => Ok(Page::parse(t, &text)),
        Ok(Err(err)) => Err(describe(t, &err)),
        Err(_) => Err(format!(
            "{} did not answer within {:.1}s through the API server: check that the pod is \
             running and serves port {}",
            t.describe(),
            timeout.as_secs_f64(),
            t.port
        )),
    }
}

/// A proxy failure in the user's terms.
fn describe(t: &Target, err: &ProxyError) -> String {
    match err {
        ProxyError::Api {
            source: kube::Error::Api(status),
            ..
        } => {
            let advice = match status.code {
                403 => format!(
                    "your account may not read pods/proxy in namespace {}: ask for `get` on \
                     `pods/proxy`, or use --prometheus",
                    t.pod.namespace
                ),
                404 => "the pod is gone, or nothing serves that path".to_string(),
                500..=599 => format!(
                    "the API server could not reach port {} of the pod: check that it listens there",
                    t.port
                ),
                _ => "check the pod and the API server".to_string(),
            };
            format!(
                "{}: the API server answered {} ({}); {advice}",
                t.describe(),
                status.code,
                status.message.trim()
            )
        }
        other => format!("{}: {other}", t.describe()),
    }
}
