//! get, list (selectors, `limit`/`continue` paging, Tables), create, update (PUT), patch
//! (merge, JSON patch, strategic merge treated as merge for maps, and apply — a merge of the
//! applied fields, recorded under the field manager), delete; `dryRun=All`; optimistic
//! concurrency (a stale resourceVersion answers 409); the `status` subresource; the
//! `reject-dry-run` fault refuses dry runs of writes as an admission webhook would.

use super::respond;
use super::select::{FieldSelector, labels};
use super::table;
use super::{Ctx, Query};
use crate::sim::error::ApiError;
use crate::sim::resources::{Resource, served_as, storage_version};
use crate::sim::store::{key_of, rv_of};
use axum::body::Body;
use axum::http::Response;
use base64::Engine;
use serde_json::{Value, json};

/// The stored object, or the API server's 404.
fn stored(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    name: &str,
) -> Result<std::sync::Arc<Value>, ApiError> {
    ctx.store
        .get(r, ns, name)
        .ok_or_else(|| ApiError::not_found(r.plural, r.group, name))
}

/// A request body and its content type.
#[derive(Debug, Clone, Copy)]
pub struct Payload<'a> {
    pub body: &'a [u8],
    pub content_type: &'a str,
}

fn parse_body(body: &[u8], content_type: &str) -> Result<Value, ApiError> {
    if super::protobuf::is_protobuf(content_type) {
        super::protobuf::decode(body)
    } else if content_type.contains("yaml") {
        serde_norway::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid YAML: {e}")))
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))
    }
}

fn continue_token(rv: u64, last: &(String, String)) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{rv}\n{}\n{}", last.0, last.1))
}

/// The resourceVersion of the list's first page and the key the previous page ended at.
fn parse_continue(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| ApiError::bad_request("invalid continue token"))?;
    let text =
        String::from_utf8(raw).map_err(|_| ApiError::bad_request("invalid continue token"))?;
    let mut parts = text.splitn(3, '\n');
    let rv = parts.next().and_then(|r| r.parse::<u64>().ok());
    match (rv, parts.next(), parts.next()) {
        (Some(rv), Some(ns), Some(name)) => Ok((rv, (ns.to_string(), name.to_string()))),
        _ => Err(ApiError::bad_request("invalid continue token")),
    }
}

/// The filtered list (after selectors), with the list's resourceVersion.
pub fn filtered(
    ctx: &Ctx,
    r: &Resource,
    ns: Option<&str>,
    q: &Query,
) -> Result<(Vec<std::sync::Arc<Value>>, u64), ApiError> {
    let selector = q
        .get("labelSelector")
        .filter(|s| !s.is_empty())
        .map(|s| labels(s))
        .transpose()?;
    let fields = q
        .get("fieldSelector")
        .filter(|s| !s.is_empty())
        .map(|s| FieldSelector::parse(s))
        .transpose()?;
    let (items, rv) = ctx.store.list(r, ns);
    let items = items
        .into_iter()
        .filter(|o| selector.as_ref().is_none_or(|s| s.matches(o)))
        .filter(|o| fields.as_ref().is_none_or(|f| f.matches(o)))
        .collect();
    Ok((items, rv))
}

pub fn list(
    ctx: &Ctx,
    r: &Resource,
    ns: Option<&str>,
    q: &Query,
    accept: &str,
) -> Result<Response<Body>, ApiError> {
    let (mut items, mut rv) = filtered(ctx, r, ns, q)?;
    if let Some(token) = q.get("continue").filter(|t| !t.is_empty()) {
        let (first_rv, after) = parse_continue(token)?;
        items.retain(|o| key_of(o) > after);
        // Every page carries the first page's resourceVersion, as the API server's do, so a
        // watch from it replays whatever changed while the pages were read (the pages show
        // newer objects than that version; the replay only moves them forward).
        rv = first_rv;
    }
    ctx.faults.note_list(rv);
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut next = None;
    if let Some(limit) = limit
        && items.len() > limit
    {
        items.truncate(limit);
        next = items.last().map(|o| continue_token(rv, &key_of(o)));
    }
    let rv_text = rv.to_string();
    if table::wants_table(accept) {
        let refs: Vec<&Value> = items.iter().map(|o| o.as_ref()).collect();
        let full = q.get("includeObject").is_some_and(|v| v == "Object");
        return Ok(respond::json(
            200,
            &table::table(r, &refs, &rv_text, next.as_deref(), full),
        ));
    }
    // Serialise the list without cloning every object into one big Value.
    let mut body = Vec::with_capacity(items.len() * 2048 + 256);
    let mut meta = json!({"resourceVersion": rv_text});
    if let Some(t) = &next {
        meta["continue"] = json!(t);
    }
    body.extend_from_slice(
        format!(
            "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":",
            r.kind,
            r.api_version()
        )
        .as_bytes(),
    );
    serde_json::to_writer(&mut body, &meta)
        .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))?;
    body.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, served_as(r, item).as_ref())
            .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))?;
    }
    body.extend_from_slice(b"]}");
    Ok(respond::bytes(200, "application/json", body))
}

pub fn get(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    name: &str,
    accept: &str,
) -> Result<Response<Body>, ApiError> {
    let obj = stored(ctx, r, ns, name)?;
    if table::wants_table(accept) {
        let rv = ctx.store.rv().to_string();
        return Ok(respond::json(
            200,
            &table::table(r, &[obj.as_ref()], &rv, None, false),
        ));
    }
    Ok(respond::json(200, &served_as(r, &obj)))
}

/// The apiVersion objects of `r`'s kind are stored under (its storage version).
fn storage_api_version(r: &Resource) -> String {
    storage_version(r.group, r.plural)
        .unwrap_or(r)
        .api_version()
}

fn check_namespace(ctx: &Ctx, r: &Resource, ns: &str) -> Result<(), ApiError> {
    if !r.namespaced {
        return Ok(());
    }
    let namespaces = crate::sim::resources::find("", "v1", "namespaces")
        .ok_or_else(|| ApiError::new(500, "InternalError", "no namespaces"))?;
    if ctx.store.get(namespaces, "", ns).is_none() {
        return Err(ApiError::not_found("namespaces", "", ns));
    }
    Ok(())
}

fn validate(r: &Resource, obj: &Value) -> Result<(), ApiError> {
    if r.kind == "InferenceService" {
        crate::sim::validate::inference_service(obj)?;
    }
    Ok(())
}

/// `fieldValidation=Strict` (what kubectl create/apply send): unknown fields are refused,
/// at the top level of kinds laid out as spec and status, and in an InferenceService's spec
/// (the server has no full schemas; `Warn` and `Ignore` accept everything).
fn strict_fields(r: &Resource, obj: &Value, q: &Query) -> Result<(), ApiError> {
    if q.get("fieldValidation").is_none_or(|v| v != "Strict")
        || matches!(r.kind, "Event" | "ConfigMap")
    {
        return Ok(());
    }
    let mut unknown: Vec<String> = obj
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| {
                    !["apiVersion", "kind", "metadata", "spec", "status"].contains(&k.as_str())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if r.kind == "InferenceService"
        && let Some(spec) = obj["spec"].as_object()
    {
        unknown.extend(
            spec.keys()
                .filter(|k| {
                    !["predictor", "transformer", "explainer", "canary"].contains(&k.as_str())
                })
                .map(|k| format!("spec.{k}")),
        );
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    Err(ApiError::bad_request(format!(
        "{kind} in version \"{v}\" cannot be handled as a {kind}: strict decoding error: {}",
        list.join(", "),
        kind = r.kind,
        v = r.version
    )))
}

fn dry_run(q: &Query) -> bool {
    q.get("dryRun").is_some_and(|v| v == "All")
}

pub fn create(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    q: &Query,
    body: &[u8],
    content_type: &str,
) -> Result<Response<Body>, ApiError> {
    let mut obj = parse_body(body, content_type)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request("the body is not an object"));
    }
    obj["apiVersion"] = json!(storage_api_version(r));
    obj["kind"] = json!(r.kind);
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    if r.namespaced {
        match obj["metadata"]["namespace"].as_str() {
            Some(n) if n != ns => {
                return Err(ApiError::bad_request(format!(
                    "the namespace of the provided object ({n}) does not match the namespace sent on the request ({ns})"
                )));
            }
            _ => obj["metadata"]["namespace"] = json!(ns),
        }
    }
    if obj["metadata"]["name"].as_str().is_none_or(str::is_empty) {
        match obj["metadata"]["generateName"].as_str() {
            Some(prefix) => {
                let suffix: String = format!("{:x}", ctx.store.rv().wrapping_mul(2654435761))
                    .chars()
                    .rev()
                    .take(5)
                    .collect();
                obj["metadata"]["name"] = json!(format!("{prefix}{suffix}"));
            }
            None => {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!(
                        "{} is invalid: metadata.name: Required value: name or generateName is required",
                        r.kind
                    ),
                ));
            }
        }
    }
    check_namespace(ctx, r, ns)?;
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    if ctx.store.get(r, ns, &name).is_some() {
        return Err(ApiError::already_exists(r.plural, r.group, &name));
    }
    obj["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    strict_fields(r, &obj, q)?;
    validate(r, &obj)?;
    if dry_run(q) {
        return Ok(respond::json(201, &served_as(r, &obj)));
    }
    let stored = ctx.store.put(r, obj);
    Ok(respond::json(201, &served_as(r, &stored)))
}

/// Applies a new version of an object (from PUT or PATCH): checks the resourceVersion the
/// client sent, keeps the status (or, for the status subresource, everything but it), and
/// validates.
fn commit(
    ctx: &Ctx,
    r: &Resource,
    current: &Value,
    mut next: Value,
    status_only: bool,
    q: &Query,
) -> Result<Response<Body>, ApiError> {
    let (ns, name) = key_of(current);
    if let Some(sent) = rv_of(&next)
        && Some(sent) != rv_of(current)
    {
        return Err(ApiError::conflict(r.plural, r.group, &name));
    }
    if status_only {
        let status = next.get("status").cloned().unwrap_or(Value::Null);
        next = current.clone();
        next["status"] = status;
    } else if let Some(status) = current.get("status") {
        next["status"] = status.clone();
    }
    next["metadata"]["name"] = json!(name);
    if r.namespaced {
        next["metadata"]["namespace"] = json!(ns);
    }
    next["apiVersion"] = json!(storage_api_version(r));
    next["kind"] = json!(r.kind);
    strict_fields(r, &next, q)?;
    validate(r, &next)?;
    if dry_run(q) {
        if ctx.faults.rejects_dry_run() {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!(
                    "admission webhook \"inferenceservice.kserve-webhook-server.validator\" denied the request: {} {name} (injected by kdeck sim: reject-dry-run)",
                    r.kind
                ),
            ));
        }
        return Ok(respond::json(200, &served_as(r, &next)));
    }
    let stored = ctx.store.put(r, next);
    Ok(respond::json(200, &served_as(r, &stored)))
}

pub fn update(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    name: &str,
    sub: Option<&str>,
    q: &Query,
    payload: Payload,
) -> Result<Response<Body>, ApiError> {
    let Payload { body, content_type } = payload;
    let current = stored(ctx, r, ns, name)?;
    let next = parse_body(body, content_type)?;
    if next["metadata"]["name"].as_str().is_some_and(|n| n != name) {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    commit(ctx, r, &current, next, sub == Some("status"), q)
}

pub fn patch(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    name: &str,
    sub: Option<&str>,
    q: &Query,
    payload: Payload,
) -> Result<Response<Body>, ApiError> {
    let Payload { body, content_type } = payload;
    let current = stored(ctx, r, ns, name)?;
    let mut next = (*current).clone();
    // Only a resourceVersion the patch itself names is checked (merge patches normally omit it).
    next["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    let ct = content_type.split(';').next().unwrap_or("").trim();
    match ct {
        "application/json-patch+json" => {
            let ops: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
            let mut with_rv = (*current).clone();
            json_patch::patch(&mut with_rv, &ops).map_err(|e| {
                ApiError::new(
                    422,
                    "Invalid",
                    format!("the JSON patch cannot be applied: {e}"),
                )
            })?;
            next = with_rv;
            if rv_of(&next) == rv_of(&current) {
                next["metadata"]
                    .as_object_mut()
                    .map(|m| m.remove("resourceVersion"));
            }
        }
        "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/apply-patch+yaml"
        | "application/apply-patch+json" => {
            let patch = if ct.ends_with("yaml") {
                serde_norway::from_slice::<Value>(body)
                    .map_err(|e| ApiError::bad_request(format!("invalid apply patch: {e}")))?
            } else {
                serde_json::from_slice::<Value>(body)
                    .map_err(|e| ApiError::bad_request(format!("invalid patch: {e}")))?
            };
            if !patch.is_object() {
                return Err(ApiError::bad_request("the patch is not an object"));
            }
            json_patch::merge(&mut next, &patch);
            if ct.starts_with("application/apply-patch") {
                let manager = q
                    .get("fieldManager")
                    .cloned()
                    .unwrap_or_else(|| "unknown".to_string());
                next["metadata"]["managedFields"] = json!([{"manager": manager, "operation": "Apply", "apiVersion": r.api_version(), "time": crate::sim::clock::stamp(chrono::Utc::now())}]);
            }
        }
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got '{other}')"
                ),
            ));
        }
    }
    commit(ctx, r, &current, next, sub == Some("status"), q)
}

/// `DELETE`: `dryRun` comes in the query or, as kube-rs and client-go send it, in the
/// DeleteOptions body, which may also carry preconditions (uid, resourceVersion: 409 when
/// they do not hold).
pub fn delete(
    ctx: &Ctx,
    r: &Resource,
    ns: &str,
    name: &str,
    q: &Query,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let options: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let current = stored(ctx, r, ns, name)?;
    let pre = &options["preconditions"];
    let held = |field: &str, actual: &Value| {
        pre[field]
            .as_str()
            .is_none_or(|want| actual.as_str() == Some(want))
    };
    if !held("uid", &current["metadata"]["uid"])
        || !held("resourceVersion", &current["metadata"]["resourceVersion"])
    {
        return Err(ApiError::conflict(r.plural, r.group, name));
    }
    let body_dry_run = options["dryRun"]
        .as_array()
        .is_some_and(|d| d.iter().any(|v| v == "All"));
    if dry_run(q) || body_dry_run {
        return Ok(respond::json(200, &current));
    }
    let gone = ctx
        .store
        .delete(r, ns, name)
        .ok_or_else(|| ApiError::not_found(r.plural, r.group, name))?;
    Ok(respond::json(200, &gone))
}
