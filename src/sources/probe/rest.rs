//! Probes over REST: the V2 (Open Inference Protocol) health, model-ready and metadata
//! endpoints then `POST /v2/models/NAME/infer`, or the V1 model endpoint then
//! `POST /v1/models/NAME:predict` (or `:explain`). Each failure is classified (connection
//! refused, timeout, HTTP 4xx/5xx, a body that is not the protocol's JSON).

use super::transport::Transport;
use super::{ProbeSpec, ms_since, timed};
use crate::domain::probe::payload::{inputs_from_metadata, v1_body, v2_body};
use crate::domain::probe::stats::Check;
use crate::domain::probe::{ErrorKind, ProbeError, ProbeReport, Protocol};
use serde_json::Value;
use std::time::Instant;

/// Runs a REST probe; with `explain` a V1 probe asks `:explain` instead of `:predict`.
pub async fn run(spec: &ProbeSpec, explain: bool) -> ProbeReport {
    match http_client(spec) {
        Ok(client) => run_with(spec, &Transport::Direct(client), explain).await,
        Err(report) => *report,
    }
}

/// Runs a REST probe through the API server's pod proxy: `spec.target` is the proxy's base
/// path (`/api/v1/namespaces/NS/pods/POD:PORT/proxy`).
pub async fn run_via_api(client: &kube::Client, spec: &ProbeSpec, explain: bool) -> ProbeReport {
    let transport = Transport::ApiProxy {
        client: client.clone(),
        timeout: spec.timeout,
    };
    run_with(spec, &transport, explain).await
}

/// Runs a REST probe over `transport`; with `explain` a V1 probe asks `:explain`.
pub async fn run_with(spec: &ProbeSpec, transport: &Transport, explain: bool) -> ProbeReport {
    let base = spec.target.trim_end_matches('/').to_string();
    let model = &spec.model;
    let mut checks = match readiness_checks(spec, transport, &base).await {
        Ok(checks) => checks,
        Err(failed) => return failed,
    };
    let body = match request_body(spec, transport, &base, &mut checks).await {
        Ok(body) => body,
        Err(failed) => return failed,
    };
    // An explanation has no fixed shape (each explainer answers its own JSON).
    let (url, expect) = match spec.protocol {
        Protocol::V1 if explain => (format!("{base}/v1/models/{model}:explain"), None),
        Protocol::V1 => (
            format!("{base}/v1/models/{model}:predict"),
            Some("predictions"),
        ),
        _ => (format!("{base}/v2/models/{model}/infer"), Some("outputs")),
    };
    let body = std::sync::Arc::new(body);
    let mut report = timed(spec.count, spec.concurrency, || {
        let (transport, url, body) = (transport.clone(), url.clone(), body.clone());
        async move {
            let (value, elapsed) = transport.post_json(&url, &body).await;
            let value = value?;
            if let Some(expect) = expect
                && value.get(expect).is_none()
            {
                return Err(ProbeError::new(
                    ErrorKind::BadBody,
                    format!(
                        "the answer from {url} has no `{expect}`: {}",
                        excerpt(&value.to_string())
                    ),
                ));
            }
            Ok(elapsed)
        }
    })
    .await;
    report.checks = checks;
    report
}

/// The server's and the model's readiness, in the protocol's words; `Err` is the probe's
/// setup failure when the server cannot be reached or does not serve the model.
async fn readiness_checks(
    spec: &ProbeSpec,
    transport: &Transport,
    base: &str,
) -> Result<Vec<Check>, ProbeReport> {
    let model = &spec.model;
    let mut checks = Vec::new();
    let (checks_to_run, model_check): (Vec<(&str, String)>, usize) = match spec.protocol {
        Protocol::V1 => (
            vec![("model ready", format!("{base}/v1/models/{model}"))],
            0,
        ),
        _ => (
            vec![
                ("server live", format!("{base}/v2/health/live")),
                ("server ready", format!("{base}/v2/health/ready")),
                ("model ready", format!("{base}/v2/models/{model}/ready")),
            ],
            2,
        ),
    };
    for (i, (name, url)) in checks_to_run.iter().enumerate() {
        let t = Instant::now();
        let result = transport.get_json(url).await;
        let ms = ms_since(t);
        match result {
            Ok(_) => checks.push(Check {
                name: name.to_string(),
                ok: true,
                detail: "ok".into(),
                ms,
            }),
            Err(e) => {
                let fatal = matches!(
                    e.kind,
                    ErrorKind::ConnectRefused | ErrorKind::ConnectFailed | ErrorKind::Timeout
                ) || (i == model_check && e.kind == ErrorKind::Http4xx(404));
                checks.push(Check {
                    name: name.to_string(),
                    ok: false,
                    detail: e.message.clone(),
                    ms,
                });
                if fatal {
                    let why = match e.kind {
                        ErrorKind::Http4xx(404) => format!(
                            "model `{model}` is not served at {base} ({}); check --model and the URL",
                            e.message
                        ),
                        _ => format!("cannot reach the model server: {}", e.message),
                    };
                    return Err(setup_failed(checks, why));
                }
            }
        }
    }
    Ok(checks)
}

/// The body: the user's, or one built from the V2 metadata (V1 falls back to a sample row);
/// `Err` is the probe's setup failure when a V2 request cannot be built.
async fn request_body(
    spec: &ProbeSpec,
    transport: &Transport,
    base: &str,
    checks: &mut Vec<Check>,
) -> Result<Value, ProbeReport> {
    if let Some(p) = &spec.payload {
        return Ok(p.clone());
    }
    let t = Instant::now();
    let meta = transport
        .get_json(&format!("{base}/v2/models/{}", spec.model))
        .await;
    let inputs = meta
        .map_err(|e| e.message)
        .and_then(|m| inputs_from_metadata(&m).map_err(|e| e.to_string()));
    let ms = ms_since(t);
    match (&inputs, spec.protocol) {
        (Ok(i), Protocol::V1) => Ok(v1_body(Some(i))),
        (Ok(i), _) => {
            checks.push(Check {
                name: "model metadata".into(),
                ok: true,
                detail: format!("{} input(s)", i.len()),
                ms,
            });
            Ok(v2_body(i))
        }
        (Err(_), Protocol::V1) => Ok(v1_body(None)),
        (Err(e), _) => {
            checks.push(Check {
                name: "model metadata".into(),
                ok: false,
                detail: e.clone(),
                ms,
            });
            Err(setup_failed(
                std::mem::take(checks),
                format!("cannot build an inference request: {e}"),
            ))
        }
    }
}

/// The HTTP client of a direct probe: the spec's deadline for connecting and for each
/// request, one pooled connection per concurrent request. A client that cannot be built is
/// the probe's setup failure.
pub(crate) fn http_client(spec: &ProbeSpec) -> Result<reqwest::Client, Box<ProbeReport>> {
    crate::sources::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(spec.timeout)
        .connect_timeout(spec.timeout)
        .pool_max_idle_per_host(spec.concurrency.max(1))
        .build()
        .map_err(|e| {
            Box::new(setup_failed(
                Vec::new(),
                format!("cannot set up an HTTP client: {e}"),
            ))
        })
}

pub(crate) fn setup_failed(checks: Vec<Check>, why: String) -> ProbeReport {
    ProbeReport {
        checks,
        setup_error: Some(why),
        ..ProbeReport::default()
    }
}

/// Whether a send failed because the server had closed a pooled connection (reset or
/// closed before any answer), which a fresh connection does not suffer.
pub(crate) fn stale_connection(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() {
        return false;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        if c.to_string()
            .contains("connection closed before message completed")
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Classifies an HTTP answer; 2xx must be JSON.
pub(crate) async fn answer(
    url: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, ProbeError> {
    let response = sent.map_err(|e| classify(url, &e))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| classify(url, &e))?;
    classify_status(url, status, &text)
}

/// Classifies a status and body: an error with the server's words, or the JSON of a 2xx.
pub(super) fn classify_status(
    url: &str,
    status: http::StatusCode,
    text: &str,
) -> Result<Value, ProbeError> {
    if !status.is_success() {
        return Err(http_failure(url, status, text));
    }
    serde_json::from_str(text).map_err(|e| {
        ProbeError::new(
            ErrorKind::BadBody,
            format!(
                "{url} answered HTTP {} but not with JSON ({e}): {}",
                status.as_u16(),
                excerpt(text)
            ),
        )
    })
}

/// An answer with a status other than 2xx, with the server's message when its body has one.
pub(crate) fn http_failure(url: &str, status: reqwest::StatusCode, text: &str) -> ProbeError {
    let detail = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("error").or(v.get("detail")).map(|e| e.to_string()))
        .unwrap_or_else(|| excerpt(text));
    let code = status.as_u16();
    let kind = if status.is_server_error() {
        ErrorKind::Http5xx(code)
    } else {
        ErrorKind::Http4xx(code)
    };
    ProbeError::new(kind, format!("{url} answered HTTP {code}: {detail}"))
}

/// The start of a body, on one line.
pub(crate) fn excerpt(text: &str) -> String {
    let one_line: String = text
        .chars()
        .take(120)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 120 {
        format!("{one_line}…")
    } else {
        one_line
    }
}

/// A transport failure in the user's terms.
pub fn classify(url: &str, e: &reqwest::Error) -> ProbeError {
    if e.is_timeout() {
        ProbeError::new(
            ErrorKind::Timeout,
            format!(
                "{url}: no answer within the timeout (raise --timeout, or the server is overloaded)"
            ),
        )
    } else if e.is_connect() {
        if refused(e) {
            ProbeError::new(
                ErrorKind::ConnectRefused,
                format!(
                    "{url}: connection refused (nothing listens there: is the server running, is the port right?)"
                ),
            )
        } else {
            ProbeError::new(
                ErrorKind::ConnectFailed,
                format!("{url}: cannot connect ({})", chain(e)),
            )
        }
    } else if e.is_decode() || e.is_body() {
        ProbeError::new(
            ErrorKind::BadBody,
            format!("{url}: the answer could not be read ({})", chain(e)),
        )
    } else {
        ProbeError::new(ErrorKind::Transport, format!("{url}: {}", chain(e)))
    }
}

/// Whether a connection-refused I/O error is among the causes.
pub fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// The error and its causes, joined.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cause = c.source();
    }
    parts.join(": ")
}
