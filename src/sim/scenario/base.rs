//! What every simulated cluster has: namespaces, KServe's CRDs (compact definitions written
//! from FACTS.md: names, scope, short names, printer columns, status subresource, permissive
//! schemas) and the built-in ClusterServingRuntimes.

use crate::sim::resources::{self, Resource};
use crate::sim::store::Store;
use serde_json::{Value, json};

/// Adds namespaces.
pub fn namespaces(store: &Store, names: &[&str]) {
    let Some(r) = resources::find("", "v1", "namespaces") else {
        return;
    };
    for n in names {
        store.put(r, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}, "status": {"phase": "Active"}}));
    }
}

fn crd_version(r: &Resource, storage: bool) -> Value {
    let columns: Vec<Value> = r
        .columns
        .iter()
        .map(|c| json!({"name": c.name, "type": c.kind, "jsonPath": c.json_path}))
        .collect();
    json!({"name": r.version, "served": true, "storage": storage,
        "subresources": if r.subresources.contains(&"status") { json!({"status": {}}) } else { json!({}) },
        "additionalPrinterColumns": columns,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}})
}

/// The CRD of a kind: every version it is served in, the first listed being the storage one.
fn crd(versions: &[&Resource]) -> Option<Value> {
    let r = versions.first()?;
    let served: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| crd_version(v, i == 0))
        .collect();
    let mut crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{}.{}", r.plural, r.group), "annotations": {"controller-gen.kubebuilder.io/version": "v0.16.4"}},
        "spec": {
            "group": r.group,
            "names": {"kind": r.kind, "listKind": format!("{}List", r.kind), "plural": r.plural, "singular": r.singular, "shortNames": r.short_names},
            "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
            "versions": null
        },
        "status": {"conditions": [{"type": "Established", "status": "True"}], "acceptedNames": {"kind": r.kind, "plural": r.plural},
            "storedVersions": [r.version]}
    });
    crd["spec"]["versions"] = Value::Array(served);
    Some(crd)
}

/// The groups served by CRDs (the rest are built into the API server).
const CRD_GROUPS: &[&str] = &[
    "serving.kserve.io",
    "inference.networking.k8s.io",
    "gateway.networking.k8s.io",
    "leaderworkerset.x-k8s.io",
];

/// Adds the CRDs: KServe's and the ones its LLM serving depends on.
pub fn crds(store: &Store) {
    let Some(crds) = resources::find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    else {
        return;
    };
    let mut done: Vec<(&str, &str)> = Vec::new();
    for r in resources::RESOURCES
        .iter()
        .filter(|r| CRD_GROUPS.contains(&r.group))
    {
        if done.contains(&(r.group, r.plural)) {
            continue;
        }
        done.push((r.group, r.plural));
        let versions: Vec<&Resource> = resources::RESOURCES
            .iter()
            .filter(|v| v.group == r.group && v.plural == r.plural)
            .collect();
        if let Some(c) = crd(&versions) {
            store.put(crds, c);
        }
    }
}

/// Adds the built-in ClusterServingRuntimes KServe ships.
pub fn runtimes(store: &Store) {
    let Some(r) = resources::find("serving.kserve.io", "v1alpha1", "clusterservingruntimes") else {
        return;
    };
    let list: [(&str, &[&str], &[&str], &str); 6] = [
        (
            "kserve-sklearnserver",
            &["sklearn"],
            &["v1", "v2"],
            "kserve/sklearnserver:v0.15.0",
        ),
        (
            "kserve-xgbserver",
            &["xgboost"],
            &["v1", "v2"],
            "kserve/xgbserver:v0.15.0",
        ),
        (
            "kserve-lgbserver",
            &["lightgbm"],
            &["v1", "v2"],
            "kserve/lgbserver:v0.15.0",
        ),
        (
            "kserve-torchserve",
            &["pytorch"],
            &["v1", "v2", "grpc-v2"],
            "pytorch/torchserve-kfs:0.9.0",
        ),
        (
            "kserve-tritonserver",
            &["tensorrt", "tensorflow", "onnx", "pytorch", "triton"],
            &["v2", "grpc-v2"],
            "nvcr.io/nvidia/tritonserver:24.05-py3",
        ),
        (
            "kserve-huggingfaceserver",
            &["huggingface"],
            &["v1", "v2"],
            "kserve/huggingfaceserver:v0.15.0",
        ),
    ];
    for (name, formats, protocols, image) in list {
        store.put(r, json!({
            "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterServingRuntime",
            "metadata": {"name": name},
            "spec": {"annotations": {"prometheus.kserve.io/port": "8080", "prometheus.kserve.io/path": "/metrics"},
                "supportedModelFormats": formats.iter().map(|f| json!({"name": f, "version": "1", "autoSelect": true})).collect::<Vec<_>>(),
                "protocolVersions": protocols,
                "containers": [{"name": "kserve-container", "image": image, "args": ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"]}]}
        }));
    }
}
