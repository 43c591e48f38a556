//! The simulator's own control API, outside the Kubernetes paths, for tests that drive a
//! separate `kdeck sim` process: faults (`POST /kdeck-sim/v1/faults` with a spec, `DELETE`
//! clears), `POST drop-watches` and `POST drop-logs` (end every open watch or followed log
//! stream now) and statistics (`GET /kdeck-sim/v1/stats`: object counts and the server's own
//! handling time per kind of request).

use super::{Ctx, respond};
use crate::sim::error::ApiError;
use crate::sim::faults::FaultSpec;
use crate::sim::resources::RESOURCES;
use axum::body::Body;
use axum::http::{Method, Response};
use serde_json::{Map, json};

pub fn handle(
    ctx: &Ctx,
    method: &Method,
    what: &str,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    match (method.as_str(), what) {
        ("GET", "faults") => Ok(respond::json(
            200,
            &json!({"faults": ctx.faults.list().iter().map(|f| format!("{f:?}")).collect::<Vec<_>>()}),
        )),
        ("POST", "faults") => {
            let spec = String::from_utf8_lossy(body).trim().to_string();
            let fault: FaultSpec = spec.parse().map_err(ApiError::bad_request)?;
            ctx.faults.add(fault);
            Ok(respond::json(200, &json!({"added": spec})))
        }
        ("DELETE", "faults") => {
            ctx.faults.clear();
            Ok(respond::json(200, &json!({"cleared": true})))
        }
        ("POST", "drop-watches") => {
            ctx.faults.drop_watches();
            Ok(respond::json(200, &json!({"dropped": true})))
        }
        ("POST", "drop-logs") => {
            ctx.faults.drop_logs();
            Ok(respond::json(200, &json!({"dropped": true})))
        }
        ("GET", "stats") => {
            let counts: Map<String, serde_json::Value> = RESOURCES
                .iter()
                .map(|r| (r.plural.to_string(), json!(ctx.store.count(r))))
                .collect();
            Ok(respond::json(
                200,
                &json!({"objects": counts, "requests": ctx.stats.snapshot(), "resourceVersion": ctx.store.rv()}),
            ))
        }
        _ => Err(ApiError::not_found("kdeck-sim", "", what)),
    }
}
