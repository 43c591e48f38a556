//! The simulated cluster serves the Python Kubernetes client (PyPI `kubernetes`, which KServe's
//! own SDK uses) as a real API server would: `tests/model_server/k8s_client.py` lists, gets,
//! merge-patches and watches the demo's LLMInferenceServices in both served versions and lists
//! InferenceServices and TrainedModels; the patch is then read back with the kube client.

#![allow(clippy::unwrap_used)]

mod common;

use common::model_server::python;
use common::sim::Sim;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use serde_json::Value;
use std::process::Command;

#[test]
fn the_python_client_lists_gets_patches_and_watches_llm_services() {
    let Some(python) = python() else { return };
    let sim = Sim::demo();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/model_server/k8s_client.py"
    );
    let out = Command::new(&python)
        .arg(script)
        .arg(&sim.kubeconfig)
        .args(["llm", "qwen-chat"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Python client failed:\n{stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));

    // Both versions list the same objects, each in the version asked for.
    let names = |v: &str| -> Vec<String> {
        serde_json::from_value(seen[v].clone()).unwrap_or_else(|e| panic!("{e}: {seen}"))
    };
    let v1 = names("v1alpha1");
    assert!(v1.contains(&"qwen-chat".to_string()), "{seen}");
    assert!(v1.contains(&"llama-chat-canary".to_string()), "{seen}");
    assert_eq!(v1, names("v1alpha2"), "{seen}");
    assert_eq!(
        seen["v1alpha1_api_version"],
        serde_json::json!(["serving.kserve.io/v1alpha1"])
    );
    assert_eq!(
        seen["v1alpha2_api_version"],
        serde_json::json!(["serving.kserve.io/v1alpha2"])
    );
    // The watch starts with every object as ADDED.
    assert_eq!(names("watched"), v1, "{seen}");
    assert_eq!(seen["ready"].as_array().map(Vec::len), Some(1), "{seen}");
    assert_eq!(seen["patched_annotation"], "python-client", "{seen}");
    assert!(seen["inferenceservices"].as_u64().unwrap() > 0, "{seen}");
    let trained = seen["trainedmodels"].as_array().unwrap();
    assert!(
        trained
            .iter()
            .any(|t| t[0] == "iris-v2" && t[1] == "sklearn-iris"),
        "{seen}"
    );

    // The patch is what another client reads back.
    let resource = ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1alpha2".into(),
        api_version: "serving.kserve.io/v1alpha2".into(),
        kind: "LLMInferenceService".into(),
        plural: "llminferenceservices".into(),
    };
    let object = sim.block_on(async {
        let api: Api<DynamicObject> = Api::namespaced_with(sim.client().await, "llm", &resource);
        api.get("qwen-chat").await.unwrap()
    });
    assert_eq!(
        object
            .metadata
            .annotations
            .unwrap_or_default()
            .get("example.com/touched-by")
            .map(String::as_str),
        Some("python-client")
    );
}
