//! The objects an LLMInferenceService owns besides its pods — the main and prefill
//! Deployments (or LeaderWorkerSets when multi-node), the scheduler's Deployment, the
//! InferencePool and the HTTPRoute — and the small gateway controller that programs Gateways
//! (gives them an address) so routes can attach. Writes are idempotent: the store keeps an
//! object whose content did not change.

use super::spec::{Wanted, Workload};
use crate::sim::resources;
use crate::sim::store::Store;
use serde_json::{Value, json};

fn put(store: &Store, group: &str, version: &str, plural: &str, obj: Value) {
    if let Some(r) = resources::find(group, version, plural) {
        store.put(r, obj);
    }
}

fn meta(ns: &str, name: &str, service: &str, uid: &str, component: &str) -> Value {
    json!({"name": name, "namespace": ns,
        "labels": {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "llminferenceservice", "app.kubernetes.io/component": component},
        "ownerReferences": [{"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService", "name": service, "uid": uid, "controller": true, "blockOwnerDeletion": true}]})
}

/// A Deployment or LeaderWorkerSet for one workload, with its ready count.
#[allow(clippy::too_many_arguments)]
fn workload(
    store: &Store,
    ns: &str,
    service: &str,
    uid: &str,
    suffix: &str,
    component: &str,
    w: Workload,
    replicas: u32,
    ready: u32,
) {
    if w.workers > 0 {
        let name = format!("{service}-kserve-mn{suffix}");
        put(
            store,
            "leaderworkerset.x-k8s.io",
            "v1",
            "leaderworkersets",
            json!({
            "apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
            "metadata": meta(ns, &name, service, uid, component),
            "spec": {"replicas": replicas, "leaderWorkerTemplate": {"size": w.workers + 1}, "startupPolicy": "LeaderCreated"},
            "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas,
                "conditions": [{"type": "Available", "status": if ready >= replicas && replicas > 0 { "True" } else { "False" }}]}}),
        );
    } else {
        let name = format!("{service}-kserve{suffix}");
        put(
            store,
            "apps",
            "v1",
            "deployments",
            json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(ns, &name, service, uid, component),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": service, "app.kubernetes.io/component": component}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": replicas,
                "conditions": [{"type": "Available", "status": if ready >= replicas { "True" } else { "False" }, "reason": if ready >= replicas { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }}]}}),
        );
    }
}

/// Ready counts the owned objects show.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub main: u32,
    pub prefill: u32,
    pub scheduler: bool,
}

/// Writes every owned object of a service.
pub fn write(store: &Store, ns: &str, service: &str, uid: &str, w: &Wanted, c: Counts) {
    let replicas = |n: u32| if w.stopped { 0 } else { n };
    workload(
        store,
        ns,
        service,
        uid,
        "",
        "llminferenceservice-workload",
        w.main,
        replicas(w.main.replicas),
        c.main,
    );
    if let Some(p) = w.prefill {
        workload(
            store,
            ns,
            service,
            uid,
            "-prefill",
            "llminferenceservice-workload-prefill",
            p,
            replicas(p.replicas),
            c.prefill,
        );
    }
    if !w.scheduler {
        return;
    }
    let sched = format!("{service}-kserve-router-scheduler");
    let ready = u32::from(c.scheduler);
    put(
        store,
        "apps",
        "v1",
        "deployments",
        json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta(ns, &sched, service, uid, "llminferenceservice-router-scheduler"),
        "spec": {"replicas": replicas(1), "selector": {"matchLabels": {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "llminferenceservice-router-scheduler"}}},
        "status": {"replicas": replicas(1), "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": replicas(1)}}),
    );
    let pool = pool_name(service);
    put(
        store,
        "inference.networking.k8s.io",
        "v1",
        "inferencepools",
        json!({
        "apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool",
        "metadata": meta(ns, &pool, service, uid, "llminferenceservice-router-scheduler"),
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "llminferenceservice", "kserve.io/component": "workload"}},
            "targetPorts": [{"number": 8000}],
            "endpointPickerRef": {"name": format!("{service}-epp-service"), "kind": "Service", "port": {"number": 9002}, "failureMode": "FailOpen"}},
        "status": {"parents": w.gateways.iter().map(|(gns, g)| json!({"parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": gns, "name": g},
            "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}, {"type": "ResolvedRefs", "status": if c.scheduler { "True" } else { "False" }, "reason": if c.scheduler { "ResolvedRefs" } else { "InvalidExtensionRef" }}]})).collect::<Vec<_>>()}}),
    );
}

/// Writes the HTTPRoute, its parents accepted when their Gateway is programmed.
pub fn route(store: &Store, ns: &str, service: &str, uid: &str, w: &Wanted, programmed: &[bool]) {
    if w.gateways.is_empty() {
        return;
    }
    let backend = if w.scheduler {
        json!({"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": pool_name(service), "port": 8000, "weight": w.weight.max(0)})
    } else {
        json!({"kind": "Service", "name": format!("{service}-kserve-workload-svc"), "port": 8000, "weight": w.weight.max(0)})
    };
    let parents: Vec<Value> = w
        .gateways
        .iter()
        .map(|(gns, g)| json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": gns, "name": g}))
        .collect();
    let statuses: Vec<Value> = parents
        .iter()
        .zip(programmed)
        .map(|(p, ok)| json!({"parentRef": p, "controllerName": "istio.io/gateway-controller",
            "conditions": [{"type": "Accepted", "status": if *ok { "True" } else { "False" }, "reason": if *ok { "Accepted" } else { "NoMatchingParent" }}]}))
        .collect();
    put(
        store,
        "gateway.networking.k8s.io",
        "v1",
        "httproutes",
        json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": meta(ns, &format!("{service}-kserve-route"), service, uid, "llminferenceservice-router"),
        "spec": {"parentRefs": parents, "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": format!("/{ns}/{service}")}}],
            "filters": [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}],
            "backendRefs": [backend]}]},
        "status": {"parents": statuses}}),
    );
}

pub fn pool_name(service: &str) -> String {
    format!("{service}-inference-pool")
}

/// Programs every Gateway that has no status yet (an address and Programmed=True), as a
/// gateway implementation would; returns how many it programmed.
pub fn program_gateways(store: &Store) -> usize {
    let Some(r) = resources::find("gateway.networking.k8s.io", "v1", "gateways") else {
        return 0;
    };
    let mut done = 0;
    for gw in store.list(r, None).0 {
        if gw["status"]["conditions"].is_array() {
            continue;
        }
        let mut next = (*gw).clone();
        let name = gw["metadata"]["name"].as_str().unwrap_or("");
        let ip = format!(
            "10.0.200.{}",
            10 + crate::sim::controller::events::fxhash(name) % 200
        );
        next["status"] = json!({"addresses": [{"type": "IPAddress", "value": ip}],
            "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted"}, {"type": "Programmed", "status": "True", "reason": "Programmed"}]});
        store.put(r, next);
        done += 1;
    }
    done
}

/// The address of a programmed Gateway, None when it does not exist or is not programmed.
pub fn gateway_address(store: &Store, ns: &str, name: &str) -> Option<String> {
    let r = resources::find("gateway.networking.k8s.io", "v1", "gateways")?;
    let gw = store.get(r, ns, name)?;
    let programmed = gw["status"]["conditions"]
        .as_array()?
        .iter()
        .any(|c| c["type"] == "Programmed" && c["status"] == "True");
    if !programmed {
        return None;
    }
    gw["status"]["addresses"][0]["value"]
        .as_str()
        .map(str::to_string)
}

/// Whether an LLMInferenceServiceConfig exists in `ns` or in KServe's namespace.
pub fn config_exists(store: &Store, ns: &str, name: &str) -> bool {
    let Some(r) = resources::find(
        "serving.kserve.io",
        "v1alpha1",
        "llminferenceserviceconfigs",
    ) else {
        return false;
    };
    store.get(r, ns, name).is_some() || store.get(r, "kserve", name).is_some()
}

/// Deletes the objects a deleted service owned (as garbage collection would).
pub fn remove(store: &Store, ns: &str, service: &str) {
    let owned = [
        ("apps", "v1", "deployments", format!("{service}-kserve")),
        (
            "apps",
            "v1",
            "deployments",
            format!("{service}-kserve-prefill"),
        ),
        (
            "apps",
            "v1",
            "deployments",
            format!("{service}-kserve-router-scheduler"),
        ),
        (
            "leaderworkerset.x-k8s.io",
            "v1",
            "leaderworkersets",
            format!("{service}-kserve-mn"),
        ),
        (
            "leaderworkerset.x-k8s.io",
            "v1",
            "leaderworkersets",
            format!("{service}-kserve-mn-prefill"),
        ),
        (
            "inference.networking.k8s.io",
            "v1",
            "inferencepools",
            pool_name(service),
        ),
        (
            "gateway.networking.k8s.io",
            "v1",
            "httproutes",
            format!("{service}-kserve-route"),
        ),
    ];
    for (group, version, plural, name) in owned {
        if let Some(r) = resources::find(group, version, plural) {
            store.delete(r, ns, &name);
        }
    }
}
