//! OpenAPI documents just rich enough for kubectl's client: `/openapi/v3` lists a document
//! per group version, each declaring its kinds (with `x-kubernetes-group-version-kind`),
//! permissive schemas, and the resource paths with their operations. kubectl needs the paths
//! twice: `explain` finds a resource's kind through them, and `create -f` / `apply -f` see the
//! `fieldValidation` parameter on PATCH and so leave validation to the server (as against
//! any API server since 1.27) instead of downloading `/openapi/v2` as protobuf, which this
//! server does not speak. `/openapi/v2` carries the same definitions in JSON.

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

fn operation(r: &Resource, action: &str, verb: &str) -> Value {
    let mut op = json!({
        "operationId": format!("{verb}{}", r.kind),
        "description": format!("{verb} {}", r.kind),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{}", schema_name(r))}}}}},
    });
    let mut params = Vec::new();
    if matches!(action, "post" | "put" | "patch") {
        params.push(json!({"name": "fieldValidation", "in": "query", "description": "Ignore, Warn or Strict: what to do with unknown or duplicate fields.", "schema": {"type": "string", "uniqueItems": true}}));
        params.push(json!({"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}}));
    }
    if matches!(action, "post" | "put" | "patch" | "delete") {
        params.push(json!({"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}}));
    }
    if !params.is_empty() {
        op["parameters"] = json!(params);
    }
    op
}

/// The collection and object paths of a resource, with an operation per verb it serves.
fn paths(r: &Resource, out: &mut Map<String, Value>) {
    let base = format!("/{}", gv_path(r.group, r.version));
    let collection = if r.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", r.plural)
    } else {
        format!("{base}/{}", r.plural)
    };
    let has = |v: &str| r.verbs.contains(&v);
    let mut coll = Map::new();
    if has("list") {
        coll.insert("get".into(), operation(r, "list", "list"));
    }
    if has("create") {
        coll.insert("post".into(), operation(r, "post", "create"));
    }
    let mut item = Map::new();
    for (method, verb, action) in [
        ("get", "get", "get"),
        ("put", "update", "put"),
        ("patch", "patch", "patch"),
        ("delete", "delete", "delete"),
    ] {
        if has(verb) {
            item.insert(method.into(), operation(r, action, verb));
        }
    }
    if !coll.is_empty() {
        out.insert(collection.clone(), Value::Object(coll));
    }
    if !item.is_empty() {
        out.insert(format!("{collection}/{{name}}"), Value::Object(item));
    }
    if r.namespaced && has("list") {
        out.insert(
            format!("{base}/{}", r.plural),
            json!({"get": operation(r, "list", "listAllNamespaces")}),
        );
    }
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
    let mut resource_paths = Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| gv_path(r.group, r.version) == rest)
    {
        schemas.insert(schema_name(r), schema(r));
        paths(r, &mut resource_paths);
    }
    if schemas.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": resource_paths, "components": {"schemas": schemas}}),
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
