//! Active probes of a model server: the health and metadata checks of its protocol, then
//! `count` timed inferences, `concurrency` at a time, each with a timeout, straight to the
//! server or through the API server's pod proxy (`transport`). Used by `kdeck probe` and by
//! the console's probe effect. Errors are data in the report, never panics.

pub mod grpc;
pub mod oip;
pub mod rest;
pub mod transport;

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

/// Runs the probe.
pub async fn run(spec: &ProbeSpec) -> ProbeReport {
    match spec.protocol {
        Protocol::V1 | Protocol::V2 => rest::run(spec).await,
        Protocol::Grpc => grpc::run(spec).await,
    }
}

/// Runs a REST probe through the API server's pod proxy (`spec.target` is the proxy's base
/// path). gRPC does not pass the proxy, so a gRPC spec is probed over REST V2, which KServe's
/// model servers serve on their HTTP port too.
pub async fn run_via_api(client: &kube::Client, spec: &ProbeSpec) -> ProbeReport {
    let mut spec = spec.clone();
    if spec.protocol == Protocol::Grpc {
        spec.protocol = Protocol::V2;
    }
    rest::run_via_api(client, &spec).await
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
