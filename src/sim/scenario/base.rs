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

fn crd(r: &Resource) -> Value {
    let columns: Vec<Value> = r
        .columns
        .iter()
        .map(|c| json!({"name": c.name, "type": c.kind, "jsonPath": c.json_path}))
        .collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{}.{}", r.plural, r.group), "annotations": {"controller-gen.kubebuilder.io/version": "v0.16.4"}},
        "spec": {
            "group": r.group,
            "names": {"kind": r.kind, "listKind": format!("{}List", r.kind), "plural": r.plural, "singular": r.singular, "shortNames": r.short_names},
            "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
            "versions": [{"name": r.version, "served": true, "storage": true,
                "subresources": if r.subresources.contains(&"status") { json!({"status": {}}) } else { json!({}) },
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]
        },
        "status": {"conditions": [{"type": "Established", "status": "True"}], "acceptedNames": {"kind": r.kind, "plural": r.plural}}
    })
}

/// Adds KServe's CRDs.
pub fn crds(store: &Store) {
    let Some(crds) = resources::find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    else {
        return;
    };
    for r in resources::RESOURCES
        .iter()
        .filter(|r| r.group == "serving.kserve.io")
    {
        store.put(crds, crd(r));
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
