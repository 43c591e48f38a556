//! Probes of the OpenAI-compatible API: finds the route prefix (KServe's model server serves
//! it under `/openai/v1`, vLLM under `/v1`; a URL that already ends in `/v1` is taken as it
//! is) by asking `…/models`, checks that the model is listed, then sends the timed
//! generations (`stream`), `concurrency` at a time, each under the timeout.

use super::rest::{http_client, setup_failed};
use super::transport::Transport;
use super::{ProbeSpec, ms_since, run_many};
use crate::domain::probe::openai::{OpenAiAsk, model_ids, request_body};
use crate::domain::probe::stats::Check;
use crate::domain::probe::{ErrorKind, ProbeError, ProbeReport};
use std::sync::Arc;
use std::time::Instant;

/// The route prefixes tried, in order, under a base URL.
const PREFIXES: [&str; 2] = ["/openai/v1", "/v1"];

/// Why no API root serving the model was found, worded for the user (the report's setup
/// error).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoverError {
    /// Connection refused, failed or timed out: no point trying the other prefixes.
    #[error("cannot reach the model server: {}", .0.message)]
    Unreachable(ProbeError),
    #[error(
        "model `{model}` is not served at {root} (it serves: {}); check --model",
        served_list(.served)
    )]
    NotServed {
        model: String,
        root: String,
        served: Vec<String>,
    },
    /// Every prefix was tried; `tried` is each URL with why it was not a model list.
    #[error(
        "no OpenAI-compatible API at {base}: tried {}; give the API root (e.g. \
         http://host/openai/v1 or http://host/v1) or check the URL",
        .tried.join(", ")
    )]
    NoApi { base: String, tried: Vec<String> },
}

fn served_list(ids: &[String]) -> String {
    if ids.is_empty() {
        "nothing".to_string()
    } else {
        ids.join(", ")
    }
}

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
        Err(why) => return setup_failed(checks, why.to_string()),
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
        Err(why) => return setup_failed(checks, why.to_string()),
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
) -> Result<String, DiscoverError> {
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
        let ids = match answer {
            Ok(value) => match model_ids(&value) {
                Some(ids) => ids,
                None => {
                    tried.push(format!("{url} (not an OpenAI model list)"));
                    continue;
                }
            },
            Err(e) => {
                let fatal = matches!(
                    e.kind,
                    ErrorKind::ConnectRefused | ErrorKind::ConnectFailed | ErrorKind::Timeout
                );
                // A probe error's message already starts with the URL it was about.
                if fatal {
                    checks.push(failed_check(e.message.clone(), ms));
                    return Err(DiscoverError::Unreachable(e));
                }
                tried.push(e.message);
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
            return Err(DiscoverError::NotServed {
                model: spec.model.clone(),
                root: root.clone(),
                served: ids,
            });
        }
        return Ok(root.clone());
    }
    checks.push(failed_check(
        format!("{base}/…/models: no OpenAI model list"),
        0.0,
    ));
    Err(DiscoverError::NoApi {
        base: base.to_string(),
        tried,
    })
}

fn failed_check(detail: String, ms: f64) -> Check {
    Check {
        name: "models".into(),
        ok: false,
        detail,
        ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_is_named_once_in_the_models_check() {
        // A port nothing listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let spec = ProbeSpec {
            target: format!("http://127.0.0.1:{port}/v1"),
            model: "llm".into(),
            protocol: crate::domain::probe::Protocol::Openai,
            count: 1,
            concurrency: 1,
            timeout: std::time::Duration::from_secs(2),
            payload: None,
        };
        crate::sources::tls::ensure_crypto_provider();
        let transport = Transport::Direct(reqwest::Client::new());
        let mut checks = Vec::new();
        let found = discover(&transport, &spec, &mut checks).await;
        assert!(
            matches!(found, Err(DiscoverError::Unreachable(_))),
            "{found:?}"
        );
        let url = format!("http://127.0.0.1:{port}/v1/models");
        assert_eq!(checks.len(), 1);
        assert_eq!(
            checks[0].detail.matches(&url).count(),
            1,
            "{}",
            checks[0].detail
        );
    }

    #[test]
    fn discover_errors_read_as_the_users_message() {
        let refused = ProbeError::new(ErrorKind::ConnectRefused, "connection refused at h:1");
        assert_eq!(
            DiscoverError::Unreachable(refused).to_string(),
            "cannot reach the model server: connection refused at h:1"
        );
        let not_served = |served: &[&str]| DiscoverError::NotServed {
            model: "llama".into(),
            root: "http://h/v1".into(),
            served: served.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            not_served(&["a", "b"]).to_string(),
            "model `llama` is not served at http://h/v1 (it serves: a, b); check --model"
        );
        assert_eq!(
            not_served(&[]).to_string(),
            "model `llama` is not served at http://h/v1 (it serves: nothing); check --model"
        );
        let no_api = DiscoverError::NoApi {
            base: "http://h".into(),
            tried: vec![
                "http://h/openai/v1/models (HTTP 404)".into(),
                "http://h/v1/models (not an OpenAI model list)".into(),
            ],
        };
        assert_eq!(
            no_api.to_string(),
            "no OpenAI-compatible API at http://h: tried http://h/openai/v1/models (HTTP 404), \
             http://h/v1/models (not an OpenAI model list); give the API root (e.g. \
             http://host/openai/v1 or http://host/v1) or check the URL"
        );
    }
}
