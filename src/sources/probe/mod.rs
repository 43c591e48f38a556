//! Active probes of a model server: the health and metadata checks of its protocol, then
//! `count` timed inferences, `concurrency` at a time, each with a timeout, straight to the
//! server or through the API server's pod proxy (`transport`). Used by `kdeck probe` and by
//! the console's probe effect. Errors are data in the report, never panics.

pub mod chain;
pub mod grpc;
pub mod oip;
pub mod openai;
pub mod openai_proxy;
pub mod rest;
pub mod stream;
pub mod transport;

use crate::domain::probe::openai::OpenAiAsk;
use crate::domain::probe::{ProbeError, ProbeReport, Protocol};
use futures::StreamExt;
use std::future::Future;
use std::time::{Duration, Instant};

/// What to probe and how hard.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    /// A base URL (`http://host:port`) for REST, `host:port` (or `http://host:port`) for gRPC.
    pub target: String,
    pub model: String,
    pub protocol: Protocol,
    pub count: usize,
    pub concurrency: usize,
    pub timeout: Duration,
    /// A request body to send instead of one built from the model's metadata (V2 JSON for
    /// v2 and gRPC, V1 JSON for v1).
    pub payload: Option<serde_json::Value>,
}

/// What the timed requests ask beyond the protocol's default (a V1/V2 inference, or an
/// OpenAI generation with `OpenAiAsk::default()`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ask {
    /// V1 only: `POST /v1/models/NAME:explain` instead of `:predict`.
    pub explain: bool,
    /// `--protocol openai`: the endpoint, prompt, tokens and streaming.
    pub openai: OpenAiAsk,
}

/// Runs the probe with the protocol's default requests.
pub async fn run(spec: &ProbeSpec) -> ProbeReport {
    run_asking(spec, &Ask::default()).await
}

/// Runs the probe, asking what `ask` says.
pub async fn run_asking(spec: &ProbeSpec, ask: &Ask) -> ProbeReport {
    match spec.protocol {
        Protocol::V1 | Protocol::V2 => rest::run(spec, ask.explain).await,
        Protocol::Grpc => grpc::run(spec).await,
        Protocol::Openai => openai::run(spec, &ask.openai).await,
    }
}

/// Runs `count` calls of `call`, `concurrency` at a time, each under `deadline` (a call
/// still running then is a timeout): the results and the wall time of them all.
pub async fn run_many<T, F, Fut>(
    count: usize,
    concurrency: usize,
    deadline: Duration,
    call: F,
) -> (Vec<Result<T, ProbeError>>, Duration)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ProbeError>>,
{
    let started = Instant::now();
    let results = futures::stream::iter(0..count)
        .map(|_| {
            let call = call();
            async move {
                tokio::time::timeout(deadline, call)
                    .await
                    .unwrap_or_else(|_| Err(past_deadline(deadline)))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    (results, started.elapsed())
}

/// The error of a request that ran past its deadline.
pub fn past_deadline(deadline: Duration) -> ProbeError {
    ProbeError::new(
        crate::domain::probe::ErrorKind::Timeout,
        format!(
            "no complete answer within the timeout ({}); raise --timeout, or the server is overloaded",
            humantime::format_duration(deadline)
        ),
    )
}

/// Runs a REST probe through the API server's pod proxy (`spec.target` is the proxy's base
/// path). gRPC does not pass the proxy, so a gRPC spec is probed over REST V2, which KServe's
/// model servers serve on their HTTP port too. An OpenAI spec streams its default
/// generations through the proxy.
pub async fn run_via_api(client: &kube::Client, spec: &ProbeSpec) -> ProbeReport {
    run_via_api_asking(client, spec, false).await
}

/// `run_via_api`; with `explain` (V1) the timed requests ask `:explain`.
pub async fn run_via_api_asking(
    client: &kube::Client,
    spec: &ProbeSpec,
    explain: bool,
) -> ProbeReport {
    if spec.protocol == Protocol::Openai {
        return openai::run_via_api(client, spec, &OpenAiAsk::default()).await;
    }
    let mut spec = spec.clone();
    if spec.protocol == Protocol::Grpc {
        spec.protocol = Protocol::V2;
    }
    rest::run_via_api(client, &spec, explain).await
}

/// Runs `count` calls of `call`, `concurrency` at a time; each call times itself (so a
/// retry on a connection the server had closed is not counted as the server's latency).
pub async fn timed<F, Fut>(count: usize, concurrency: usize, call: F) -> ProbeReport
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Duration, ProbeError>>,
{
    let started = Instant::now();
    let results: Vec<Result<Duration, ProbeError>> = futures::stream::iter(0..count)
        .map(|_| call())
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut report = ProbeReport {
        elapsed: started.elapsed(),
        ..ProbeReport::default()
    };
    for r in results {
        match r {
            Ok(d) => report.latencies.push(d),
            Err(e) => report.errors.push(e),
        }
    }
    report
}

/// Milliseconds since `t`.
pub(crate) fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
