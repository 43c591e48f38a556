//! OpenAPI documents just rich enough for kubectl's client: `/openapi/v3` lists a document
//! per group version, each declaring its kinds (with `x-kubernetes-group-version-kind`) and
//! permissive schemas, so `kubectl create -f`, `apply -f` and `explain` work without
//! `--validate=false`. `/openapi/v2` carries the same definitions.

use crate::sim::resources::{RESOURCES, Resource};
use serde_json::{Map, Value, json};

fn schema_name(r: &Resource) -> String {
    let group = if r.group.is_empty() {
        "io.k8s.api.core".to_string()
    } else {
        r.group.split('.').rev().collect::<Vec<_>>().join(".")
    };
    format!("{group}.{}.{}", r.version, r.kind)
}

fn schema(r: &Resource) -> Value {
    json!({
        "type": "object",
        "description": format!("{} (simulated by kdeck sim; fields are not checked beyond the KServe webhook rules)", r.kind),
        "x-kubernetes-group-version-kind": [{"group": r.group, "version": r.version, "kind": r.kind}],
        "x-kubernetes-preserve-unknown-fields": true,
        "properties": {
            "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
            "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
            "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "description": "Standard object's metadata."},
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "description": "The desired state."},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "description": "The observed state."}
        }
    })
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3` (the index) or `/openapi/v3/<gv path>` (one group version).
pub fn v3(rest: &str) -> Option<Value> {
    if rest.is_empty() {
        let mut paths = Map::new();
        for r in RESOURCES {
            let p = gv_path(r.group, r.version);
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=kdecksim")}),
            );
        }
        return Some(json!({"paths": paths}));
    }
    let mut schemas = Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| gv_path(r.group, r.version) == rest)
    {
        schemas.insert(schema_name(r), schema(r));
    }
    if schemas.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": {}, "components": {"schemas": schemas}}),
    )
}

/// `/openapi/v2`.
pub fn v2() -> Value {
    let definitions: Map<String, Value> = RESOURCES
        .iter()
        .map(|r| (schema_name(r), schema(r)))
        .collect();
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": {}, "definitions": definitions})
}
