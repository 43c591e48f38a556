//! The simulated Kubernetes API server: one handler that authenticates (bearer token),
//! applies injected faults, parses the path, and dispatches to discovery, CRUD, watch, the
//! pod subresources, SelfSubjectAccessReview and the simulator's control API. Every error
//! is a Kubernetes `Status`; nothing a client sends can crash it.

pub mod control;
pub mod crud;
pub mod discovery;
pub mod label_selector;
pub mod openapi;
pub mod path;
pub mod pod_status;
pub mod pods;
pub mod protobuf;
pub mod respond;
pub mod select;
pub mod ssar;
pub mod table;
pub mod watch;

use super::error::ApiError;
use super::faults::{FaultControl, Injected, RequestKind};
use super::store::Store;
use super::workload::Workload;
use axum::body::{Body, Bytes, to_bytes};
use axum::http::{Method, Request, Response, header};
use path::{ResourcePath, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Query parameters.
pub type Query = HashMap<String, String>;

/// Handling time per kind of request, for `/kdeck-sim/v1/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    by_kind: Mutex<HashMap<&'static str, (u64, u128)>>,
}

impl Stats {
    fn record(&self, kind: &'static str, micros: u128) {
        if let Ok(mut m) = self.by_kind.lock() {
            let e = m.entry(kind).or_insert((0, 0));
            e.0 += 1;
            e.1 += micros;
        }
    }

    /// Per kind: requests and total/mean handling time in milliseconds.
    pub fn snapshot(&self) -> serde_json::Value {
        let m = self.by_kind.lock().map(|m| m.clone()).unwrap_or_default();
        let out: serde_json::Map<String, serde_json::Value> = m
            .into_iter()
            .map(|(k, (n, us))| {
                (k.to_string(), serde_json::json!({"requests": n, "total_ms": us as f64 / 1000.0, "mean_ms": us as f64 / 1000.0 / n.max(1) as f64}))
            })
            .collect();
        serde_json::Value::Object(out)
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct Ctx {
    pub store: Store,
    pub faults: FaultControl,
    pub workload: Arc<Workload>,
    pub token: Arc<str>,
    pub stats: Arc<Stats>,
}

fn query(req: &Request<Body>) -> Query {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn header_text(req: &Request<Body>, name: header::HeaderName) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn kind_of(method: &Method, rp: &ResourcePath, q: &Query) -> (RequestKind, &'static str) {
    let sub = rp.sub.as_deref();
    match (method.as_str(), rp.name.is_some(), sub) {
        ("GET", true, Some("log")) => (RequestKind::Log, "log"),
        (_, true, Some("proxy")) => (RequestKind::Proxy, "proxy"),
        ("GET", false, _) if q.get("watch").is_some_and(|w| w == "true" || w == "1") => {
            (RequestKind::Watch, "watch")
        }
        ("GET", false, _) => (RequestKind::List, "list"),
        ("GET", true, _) => (RequestKind::Get, "get"),
        ("POST", _, _) => (RequestKind::Create, "create"),
        ("PUT", _, _) => (RequestKind::Update, "update"),
        ("PATCH", _, _) => (RequestKind::Patch, "patch"),
        ("DELETE", _, _) => (RequestKind::Delete, "delete"),
        _ => (RequestKind::Get, "other"),
    }
}

/// Answers one request.
pub async fn handle(ctx: Ctx, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let authorised = header_text(&req, header::AUTHORIZATION)
        .strip_prefix("Bearer ")
        .is_some_and(|t| t == &*ctx.token);
    if !authorised {
        return respond::error(&ApiError::new(401, "Unauthorized", "Unauthorized"));
    }
    if let Some(delay) = ctx.faults.latency() {
        tokio::time::sleep(delay).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let q = query(&req);
    let accept = header_text(&req, header::ACCEPT);
    let content_type = header_text(&req, header::CONTENT_TYPE);
    let body = match to_bytes(req.into_body(), 64 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            return respond::error(&ApiError::bad_request(format!("cannot read the body: {e}")));
        }
    };
    let (result, kind) = match path::parse(&path) {
        Target::Resource(rp) => {
            match resource_request(&ctx, &method, rp, &q, &accept, &body, &content_type).await {
                Routed::Answered(result, label) => (result, label),
                Routed::AnswerLost => return respond::lost_answer(),
            }
        }
        other => other_request(&ctx, &method, other, &body),
    };
    ctx.stats.record(kind, started.elapsed().as_micros());
    match result {
        Ok(r) => r,
        Err(e) => respond::error(&e),
    }
}

/// How a resource request ended: with an answer to send (and its kind for the statistics),
/// or with the answer lost on the way back (the lost-answer fault; the change was made).
enum Routed {
    Answered(Result<Response<Body>, ApiError>, &'static str),
    AnswerLost,
}

/// Answers a request for a resource, unless a fault injected for it answers first.
async fn resource_request(
    ctx: &Ctx,
    method: &Method,
    rp: ResourcePath,
    q: &Query,
    accept: &str,
    body: &Bytes,
    content_type: &str,
) -> Routed {
    let (kind, label) = kind_of(method, &rp, q);
    let ns = rp.namespace.clone().unwrap_or_default();
    let dry_run = q.contains_key("dryRun");
    // A dry run is exempt from error500 and hang (reject-dry-run is its fault), so a
    // change can pass its checks and then fail or hang when sent.
    let injected = ctx
        .faults
        .check(kind, rp.resource.plural, &ns)
        .filter(|i| !(dry_run && matches!(i, Injected::Error500 | Injected::Hang)));
    let answer = match injected {
        Some(Injected::Hang) => {
            std::future::pending::<()>().await;
            Err(ApiError::new(500, "InternalError", "unreachable"))
        }
        Some(Injected::Error500) => Err(ApiError::new(
            500,
            "InternalError",
            "an error on the server (\"injected by kdeck sim\") has prevented the request from succeeding",
        )),
        Some(Injected::Forbidden(why)) => Err(forbidden(&rp, &ns, kind, &why)),
        Some(Injected::Conflict) => Err(ApiError::conflict(
            rp.resource.plural,
            rp.resource.group,
            rp.name.as_deref().unwrap_or(""),
        )),
        None => {
            let answer = resource(ctx, method, rp, q, accept, body, content_type);
            let write = !matches!(
                kind,
                RequestKind::Get | RequestKind::List | RequestKind::Watch
            );
            if write && answer.is_ok() && !dry_run && ctx.faults.loses_answer(kind) {
                return Routed::AnswerLost;
            }
            answer
        }
    };
    Routed::Answered(answer, label)
}

/// The 403 an injected `forbidden` fault answers, worded as the API server words it.
fn forbidden(rp: &ResourcePath, ns: &str, kind: RequestKind, why: &str) -> ApiError {
    let what = if rp.resource.group.is_empty() {
        rp.resource.plural.to_string()
    } else {
        format!("{}.{}", rp.resource.plural, rp.resource.group)
    };
    let name = rp
        .name
        .as_deref()
        .map(|n| format!(" \"{n}\""))
        .unwrap_or_default();
    let scope = if ns.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{ns}\"")
    };
    let message = format!(
        "{what}{name} is forbidden: User \"kdeck-sim-user\" cannot {} resource \"{}\" in API group \"{}\" {scope}: {why}",
        kind.verb(),
        rp.resource.plural,
        rp.resource.group
    );
    ApiError::new(403, "Forbidden", message)
}

/// Answers what is not a resource: version and discovery, OpenAPI, the sim's control API.
fn other_request(
    ctx: &Ctx,
    method: &Method,
    target: Target,
    body: &Bytes,
) -> (Result<Response<Body>, ApiError>, &'static str) {
    match target {
        Target::Version => (Ok(respond::json(200, &discovery::version())), "discovery"),
        Target::CoreVersions => (
            Ok(respond::json(200, &discovery::core_versions())),
            "discovery",
        ),
        Target::CoreResources => (
            discovery::resources("", "v1")
                .map(|v| respond::json(200, &v))
                .ok_or_else(|| ApiError::not_found("", "", "v1")),
            "discovery",
        ),
        Target::Groups => (
            Ok(respond::json(200, &discovery::group_list())),
            "discovery",
        ),
        Target::Group(g) => (
            discovery::group(&g)
                .map(|v| respond::json(200, &v))
                .ok_or_else(|| ApiError::not_found("", &g, "")),
            "discovery",
        ),
        Target::GroupResources { group, version } => (
            discovery::resources(&group, &version)
                .map(|v| respond::json(200, &v))
                .ok_or_else(|| ApiError::not_found("", &group, &version)),
            "discovery",
        ),
        Target::OpenApi(rest) => {
            let doc = match rest.as_str() {
                "v2" => Some(openapi::v2()),
                "v3" => openapi::v3(""),
                other => other.strip_prefix("v3/").and_then(openapi::v3),
            };
            (
                doc.map(|d| respond::json(200, &d))
                    .ok_or_else(|| ApiError::not_found("openapi", "", &rest)),
                "openapi",
            )
        }
        Target::Control(what) => (control::handle(ctx, method, &what, body), "control"),
        Target::Resource(_) | Target::Unknown => (
            Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )),
            "unknown",
        ),
    }
}

fn resource(
    ctx: &Ctx,
    method: &Method,
    rp: ResourcePath,
    q: &Query,
    accept: &str,
    body: &[u8],
    content_type: &str,
) -> Result<Response<Body>, ApiError> {
    let r = rp.resource;
    let ns = rp.namespace.clone().unwrap_or_default();
    let watching = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method.as_str(), rp.name.as_deref(), rp.sub.as_deref()) {
        ("POST", None, None) if r.kind == "SelfSubjectAccessReview" => {
            ssar::review(ctx, body, content_type)
        }
        ("GET", None, None) if watching => {
            let stream = watch::watch(ctx, r, rp.namespace.clone(), q, accept)?;
            Ok(respond::stream("application/json", stream))
        }
        ("GET", None, None) => crud::list(ctx, r, rp.namespace.as_deref(), q, accept),
        ("POST", None, None) => crud::create(ctx, r, &ns, q, body, content_type),
        ("GET", Some(name), None) => crud::get(ctx, r, &ns, name, accept),
        ("GET", Some(name), Some("status")) => crud::get(ctx, r, &ns, name, accept),
        ("PUT", Some(name), sub @ (None | Some("status"))) => crud::update(
            ctx,
            r,
            &ns,
            name,
            sub,
            q,
            crud::Payload { body, content_type },
        ),
        ("PATCH", Some(name), sub @ (None | Some("status"))) => crud::patch(
            ctx,
            r,
            &ns,
            name,
            sub,
            q,
            crud::Payload { body, content_type },
        ),
        ("DELETE", Some(name), None) => crud::delete(ctx, r, &ns, name, q, body),
        ("GET", Some(name), Some("log")) if r.kind == "Pod" => pods::log(ctx, &ns, name, q),
        (m @ ("GET" | "POST"), Some(name), Some("proxy")) if r.kind == "Pod" => {
            pods::proxy(ctx, &ns, name, m, &rp.rest, body)
        }
        (m, _, sub) => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({m} {}{})",
                r.plural,
                sub.map(|s| format!("/{s}")).unwrap_or_default()
            ),
        )),
    }
}
