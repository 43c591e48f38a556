//! Probes of the OpenAI-compatible API: finds the route prefix (KServe's model server serves
//! it under `/openai/v1`, vLLM under `/v1`; a URL that already ends in `/v1` is taken as it
//! is) by asking `…/models`, checks that the model is listed, then sends the timed
//! generations (`stream`), `concurrency` at a time, each under the timeout.

use super::rest::{http_client, setup_failed};
use super::transport::Transport;
use super::{ProbeSpec, ms_since, run_many};
use crate::domain::probe::openai::{OpenAiAsk, model_ids, request_body};
use crate::domain::probe::stats::Check;
use crate::domain::probe::{ErrorKind, ProbeReport};
use std::sync::Arc;
use std::time::Instant;

/// The route prefixes tried, in order, under a base URL.
const PREFIXES: [&str; 2] = ["/openai/v1", "/v1"];

/// Runs an OpenAI probe.
pub async fn run(spec: &ProbeSpec, ask: &OpenAiAsk) -> ProbeReport {
    let client = match http_client(spec) {
        Ok(c) => c,
        Err(report) => return *report,
    };
    let mut checks = Vec::new();
    let transport = Transport::Direct(client.clone());
    let api_root = match discover(&transport, spec, &mut checks).await {
        Ok(root) => root,
        Err(why) => return setup_failed(checks, why),
    };
    let url = Arc::new(format!("{api_root}{}", ask.api.path()));
    let body = Arc::new(request_body(&spec.model, ask));
    let (api, stream) = (ask.api, ask.stream);
    let (results, elapsed) = run_many(spec.count, spec.concurrency, spec.timeout, || {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move { super::stream::one(&client, &url, &body, api, stream).await }
    })
    .await;
    report_of(checks, results, elapsed)
}

/// Runs an OpenAI probe through the API server's pod proxy (`spec.target` is the pod's
/// proxy path, e.g. `/api/v1/namespaces/NS/pods/POD:8000/proxy/v1`); always streamed.
pub async fn run_via_api(client: &kube::Client, spec: &ProbeSpec, ask: &OpenAiAsk) -> ProbeReport {
    let mut checks = Vec::new();
    let transport = Transport::ApiProxy {
        client: client.clone(),
        timeout: spec.timeout,
    };
    let api_root = match discover(&transport, spec, &mut checks).await {
        Ok(root) => root,
        Err(why) => return setup_failed(checks, why),
    };
    let url = Arc::new(format!("{api_root}{}", ask.api.path()));
    let ask = OpenAiAsk {
        stream: true,
        ..ask.clone()
    };
    let body = Arc::new(request_body(&spec.model, &ask));
    let api = ask.api;
    let (results, elapsed) = run_many(spec.count, spec.concurrency, spec.timeout, || {
        let (client, url, body) = (client.clone(), url.clone(), body.clone());
        async move { super::openai_proxy::one(&client, &url, &body, api).await }
    })
    .await;
    report_of(checks, results, elapsed)
}

/// The report of the timed requests.
fn report_of(
    checks: Vec<Check>,
    results: Vec<
        Result<crate::domain::probe::timing::StreamTiming, crate::domain::probe::ProbeError>,
    >,
    elapsed: std::time::Duration,
) -> ProbeReport {
    let mut report = ProbeReport {
        checks,
        elapsed,
        ..ProbeReport::default()
    };
    for result in results {
        match result {
            Ok(timing) => {
                report.latencies.push(timing.end);
                report.streams.push(timing);
            }
            Err(e) => report.errors.push(e),
        }
    }
    report
}

/// The API root (`http://host/openai/v1`) that lists the model, or why there is none.
async fn discover(
    transport: &Transport,
    spec: &ProbeSpec,
    checks: &mut Vec<Check>,
) -> Result<String, String> {
    let base = spec.target.trim_end_matches('/');
    let roots: Vec<String> = if base.ends_with("/v1") {
        vec![base.to_string()]
    } else {
        PREFIXES.iter().map(|p| format!("{base}{p}")).collect()
    };
    let mut tried = Vec::new();
    for root in &roots {
        let url = format!("{root}/models");
        let t = Instant::now();
        let answer = transport.get_json(&url).await;
        let ms = ms_since(t);
        let listed = match answer {
            Ok(value) => model_ids(&value).ok_or_else(|| "not an OpenAI model list".to_string()),
            Err(e) => {
                let fatal = matches!(
                    e.kind,
                    ErrorKind::ConnectRefused | ErrorKind::ConnectFailed | ErrorKind::Timeout
                );
                if fatal {
                    checks.push(failed_check(&url, &e.message, ms));
                    return Err(format!("cannot reach the model server: {}", e.message));
                }
                Err(e.message)
            }
        };
        let ids = match listed {
            Ok(ids) => ids,
            Err(why) => {
                tried.push(format!("{url} ({why})"));
                continue;
            }
        };
        let served = ids.iter().any(|id| id == &spec.model);
        checks.push(Check {
            name: "models".into(),
            ok: served,
            detail: format!("{url}: {}", ids.join(", ")),
            ms,
        });
        if !served {
            return Err(format!(
                "model `{}` is not served at {root} (it serves: {}); check --model",
                spec.model,
                if ids.is_empty() {
                    "nothing".to_string()
                } else {
                    ids.join(", ")
                }
            ));
        }
        return Ok(root.clone());
    }
    checks.push(failed_check(
        &format!("{base}/…/models"),
        "no OpenAI model list",
        0.0,
    ));
    Err(format!(
        "no OpenAI-compatible API at {base}: tried {}; give the API root (e.g. \
         http://host/openai/v1 or http://host/v1) or check the URL",
        tried.join(", ")
    ))
}

fn failed_check(url: &str, why: &str, ms: f64) -> Check {
    Check {
        name: "models".into(),
        ok: false,
        detail: format!("{url}: {why}"),
        ms,
    }
}
