//! The pod subresources kdeck and kubectl read: `log` (follow, container, previous,
//! sinceSeconds, sinceTime, tailLines, timestamps, limitBytes) and `proxy` (the pod's HTTP
//! ports, for `/metrics`), with the API server's errors when a container is ambiguous,
//! not started, or has no previous instance.

use super::pod_status::{self, ContainerState, ContainerView};
use super::{Ctx, Query, respond};
use crate::domain::k8s::parse_time;
use crate::sim::error::ApiError;
use crate::sim::resources;
use crate::sim::workload::ProxyMiss;
use crate::sim::workload::logs::LogLine;
use axum::body::{Body, Bytes};
use axum::http::Response;
use std::convert::Infallible;

/// A pod's object, its containers and its init containers.
type PodParts = (serde_json::Value, Vec<ContainerView>, Vec<ContainerView>);

fn pod(ctx: &Ctx, ns: &str, name: &str) -> Result<PodParts, ApiError> {
    let r = resources::find("", "v1", "pods")
        .ok_or_else(|| ApiError::new(500, "InternalError", "no pods resource"))?;
    let obj = ctx
        .store
        .get(r, ns, name)
        .ok_or_else(|| ApiError::not_found("pods", "", name))?;
    let containers = pod_status::containers(&obj, false);
    let inits = pod_status::containers(&obj, true);
    Ok(((*obj).clone(), containers, inits))
}

fn format_line(line: &LogLine, timestamps: bool) -> String {
    if timestamps {
        format!(
            "{} {}\n",
            line.ts.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            line.text
        )
    } else {
        format!("{}\n", line.text)
    }
}

/// `GET …/pods/NAME/log`.
pub fn log(ctx: &Ctx, ns: &str, name: &str, q: &Query) -> Result<Response<Body>, ApiError> {
    let (container, previous) = readable_container(ctx, ns, name, q)?;
    let follow = q.get("follow").is_some_and(|v| v == "true") && !previous;
    // Following: the lines so far and the subscription are taken at once, so a line written
    // meanwhile is neither lost nor sent twice.
    let (lines, rx) = if follow {
        match ctx.workload.lines_and_follow(ns, name, &container) {
            Some((lines, rx)) => (lines, Some(rx)),
            None => (Vec::new(), None),
        }
    } else {
        (
            ctx.workload
                .log_lines(ns, name, &container, previous)
                .unwrap_or_default(),
            None,
        )
    };
    let timestamps = q.get("timestamps").is_some_and(|v| v == "true");
    let head = first_bytes(lines, q, timestamps);
    let Some(mut rx) = rx else {
        return Ok(respond::bytes(200, "text/plain", head));
    };
    let workload = ctx.workload.clone();
    let mut log_drops = ctx.faults.log_drops.subscribe();
    let (ns, name) = (ns.to_string(), name.to_string());
    let (tx, out) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(256);
    tokio::spawn(async move {
        if !head.is_empty() && tx.send(Ok(Bytes::from(head))).await.is_err() {
            return;
        }
        let mut check = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tokio::select! {
                line = rx.recv() => match line {
                    Ok(line) => {
                        if tx.send(Ok(Bytes::from(format_line(&line, timestamps)))).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                },
                // The `drop-logs` fault: the stream ends as a cut connection would.
                _ = log_drops.changed() => return,
                // The stream ends when the pod goes away.
                _ = check.tick() => {
                    if !workload.has_pod(&ns, &name) {
                        return;
                    }
                }
            }
        }
    });
    Ok(respond::stream(
        "text/plain",
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(out)),
    ))
}

/// The container a log request reads (named, or the pod's only one) and whether it asks
/// for the previous instance; the API server's 400s for an ambiguous, unknown, not yet
/// started, or never restarted container.
fn readable_container(
    ctx: &Ctx,
    ns: &str,
    name: &str,
    q: &Query,
) -> Result<(String, bool), ApiError> {
    let (_, containers, init_containers) = pod(ctx, ns, name)?;
    let container = match q.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None if containers.len() == 1 => containers[0].name.clone(),
        None => {
            let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
            let inits: Vec<&str> = init_containers.iter().map(|c| c.name.as_str()).collect();
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}] or one of the init containers: [{}]",
                names.join(" "),
                inits.join(" ")
            )));
        }
    };
    let Some(status) = containers
        .iter()
        .chain(&init_containers)
        .find(|c| c.name == container)
    else {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    };
    let previous = q.get("previous").is_some_and(|v| v == "true");
    // A container the workload restarted (`Workload::restart`) has a previous instance even
    // before the pod's status counts the restart.
    if previous
        && status.restarts == 0
        && ctx.workload.log_lines(ns, name, &container, true).is_none()
    {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    if !previous
        && matches!(
            status.state,
            ContainerState::Waiting(_) | ContainerState::Unknown
        )
        && status.restarts == 0
    {
        let reason = match &status.state {
            ContainerState::Waiting(reason) if !reason.is_empty() => reason.clone(),
            _ => "ContainerCreating".to_string(),
        };
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
        )));
    }
    Ok((container, previous))
}

/// The lines written so far as the request asks: since a time, the last N, at most so
/// many bytes.
fn first_bytes(lines: Vec<LogLine>, q: &Query, timestamps: bool) -> Vec<u8> {
    let since = q
        .get("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
        .map(|s| chrono::Utc::now() - chrono::Duration::seconds(s))
        .or_else(|| q.get("sinceTime").and_then(|t| parse_time(t)));
    let mut lines: Vec<LogLine> = lines
        .into_iter()
        .filter(|l| since.is_none_or(|s| l.ts >= s))
        .collect();
    if let Some(tail) = q.get("tailLines").and_then(|t| t.parse::<usize>().ok()) {
        let skip = lines.len().saturating_sub(tail);
        lines.drain(..skip);
    }
    let limit = q.get("limitBytes").and_then(|l| l.parse::<usize>().ok());
    let mut head: Vec<u8> = lines
        .iter()
        .flat_map(|l| format_line(l, timestamps).into_bytes())
        .collect();
    if let Some(limit) = limit {
        head.truncate(limit);
    }
    head
}

/// `GET|POST …/pods/NAME[:PORT]/proxy/PATH`: the pod's answer, its status passed through
/// as the API server does.
pub fn proxy(
    ctx: &Ctx,
    ns: &str,
    name_port: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let target = name_port
        .trim_start_matches("http:")
        .trim_start_matches("https:");
    let (name, port) = match target.rsplit_once(':') {
        Some((n, p)) => (
            n,
            p.parse::<u16>()
                .map_err(|_| ApiError::bad_request(format!("invalid port in {name_port}")))?,
        ),
        None => (target, 0),
    };
    let (obj, _, _) = pod(ctx, ns, name)?;
    let port = if port == 0 {
        first_container_port(&obj).unwrap_or(80)
    } else {
        port
    };
    if let Ok(Some(reply)) = ctx.workload.openai(ns, name, port, method, path, body) {
        return Ok(openai_response(reply));
    }
    match ctx.workload.serve(ns, name, port, method, path, body) {
        Ok((status, content_type, text)) => {
            Ok(respond::bytes(status, content_type, text.into_bytes()))
        }
        Err(ProxyMiss::NoPod) => Err(ApiError::not_found("pods", "", name)),
        Err(ProxyMiss::NotRunning) => Err(ApiError::new(
            503,
            "ServiceUnavailable",
            format!("pod {name} is not running yet; no endpoints available"),
        )),
        Err(ProxyMiss::NothingOnPort(port)) => Err(ApiError::new(
            503,
            "ServiceUnavailable",
            format!(
                "error trying to reach service: dial tcp {}:{port}: connect: connection refused",
                obj["status"]["podIP"].as_str().unwrap_or_default()
            ),
        )),
    }
}

/// The first `containerPort` any container of the pod declares.
fn first_container_port(pod: &serde_json::Value) -> Option<u16> {
    pod["spec"]["containers"]
        .as_array()?
        .iter()
        .filter_map(|c| c["ports"].as_array())
        .flatten()
        .find_map(|p| p["containerPort"].as_u64())
        .and_then(|n| u16::try_from(n).ok())
}

/// A vLLM pod's OpenAI answer, each part sent after its delay (tokens stream as they come).
fn openai_response(reply: crate::sim::workload::openai::Reply) -> Response<Body> {
    use crate::sim::workload::openai::Reply;
    let (status, content_type, events) = match reply {
        Reply::Whole {
            delay,
            status,
            content_type,
            body,
        } => (status, content_type, vec![(delay, body)]),
        Reply::Stream {
            content_type,
            events,
        } => (200, content_type, events),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        for (delay, text) in events {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if tx.send(Ok(axum::body::Bytes::from(text))).await.is_err() {
                return;
            }
        }
    });
    let mut response = respond::stream(
        content_type,
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    );
    *response.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    response
}
