//! SelfSubjectAccessReview: may the caller do this? Allowed unless a fault forbids the
//! namespace or the verb (the same rules the request path enforces). Takes JSON or, as
//! kubectl sends it, protobuf.

use super::{Ctx, respond};
use crate::sim::error::ApiError;
use axum::body::Body;
use axum::http::Response;
use serde_json::{Value, json};

pub fn review(ctx: &Ctx, body: &[u8], content_type: &str) -> Result<Response<Body>, ApiError> {
    // kubectl auth can-i sends protobuf; kube clients send JSON.
    let mut review: Value = if super::protobuf::is_protobuf(content_type) {
        super::protobuf::decode(body)?
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid review: {e}")))?
    };
    let attrs = &review["spec"]["resourceAttributes"];
    let verb = attrs["verb"].as_str().unwrap_or("");
    let resource = attrs["resource"].as_str().unwrap_or("");
    let namespace = attrs["namespace"].as_str().unwrap_or("");
    let status = match ctx.faults.forbidden(verb, resource, namespace) {
        Some(why) => json!({"allowed": false, "denied": true, "reason": why}),
        None => {
            json!({"allowed": true, "reason": "RBAC: allowed by ClusterRoleBinding \"kdeck-sim-admin\""})
        }
    };
    review["status"] = status;
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    Ok(respond::json(201, &review))
}
