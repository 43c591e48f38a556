//! TrainedModels (multi-model serving) in the simulated cluster, judged by the real kubectl
//! and the real kube client: the CRD's printer columns, the demo's two TrainedModels under
//! ml-prod/sklearn-iris (iris-v2 loads and gets a URL; iris-xgb is an xgboost model its
//! sklearn predictor cannot load: FrameworkSupported False, FrameworkNotSupported), and a
//! TrainedModel created through the kube client whose InferenceService does not exist.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::{Sim, poll, poll_async};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use serde_json::{Value, json};
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(10);

fn tm_jsonpath(sim: &Sim, name: &str, path: &str) -> String {
    sim.kubectl()
        .ok(&[
            "get",
            "tm",
            name,
            "-n",
            "ml-prod",
            "-o",
            &format!("jsonpath={{{path}}}"),
        ])
        .trim()
        .to_string()
}

fn wait_tm(sim: &Sim, name: &str, path: &str, want: &str) {
    let got = poll(SETTLE, || {
        (tm_jsonpath(sim, name, path) == want).then_some(())
    });
    assert!(
        got.is_some(),
        "{name} {path}: wanted {want:?}, last {:?}",
        tm_jsonpath(sim, name, path)
    );
}

#[test]
fn kubectl_gets_the_demo_trained_models_with_their_load_state() {
    require_kubectl!();
    let sim = Sim::demo();
    wait_tm(
        &sim,
        "iris-v2",
        ".status.conditions[?(@.type=='Ready')].status",
        "True",
    );
    wait_tm(
        &sim,
        "iris-xgb",
        ".status.conditions[?(@.type=='Ready')].status",
        "False",
    );
    assert_eq!(
        tm_jsonpath(
            &sim,
            "iris-xgb",
            ".status.conditions[?(@.type=='FrameworkSupported')].reason"
        ),
        "FrameworkNotSupported"
    );
    let out = sim.kubectl().ok(&["get", "trainedmodels", "-n", "ml-prod"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "URL", "READY", "AGE"], "{out}");
    let v2 = out.lines().find(|l| l.starts_with("iris-v2 ")).unwrap();
    assert!(
        v2.contains("http://sklearn-iris.ml-prod.example.com/v1/models/iris-v2:predict")
            && v2.contains("True"),
        "{out}"
    );
    let xgb = out.lines().find(|l| l.starts_with("iris-xgb ")).unwrap();
    assert!(xgb.contains("False") && !xgb.contains("http"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kube_client_creates_one_and_reads_why_it_is_not_ready() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("serving.kserve.io", "v1alpha1", "TrainedModel"),
        "trainedmodels",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client, "ml-prod", &resource);
    let listed = api.list(&Default::default()).await.unwrap();
    let names: Vec<String> = listed
        .items
        .iter()
        .filter_map(|o| o.metadata.name.clone())
        .collect();
    assert!(names.contains(&"iris-v2".to_string()), "{names:?}");
    let orphan: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "serving.kserve.io/v1alpha1", "kind": "TrainedModel",
        "metadata": {"name": "orphan", "namespace": "ml-prod"},
        "spec": {"inferenceService": "no-such-service",
                 "model": {"storageUri": "gs://m", "framework": "sklearn", "memory": "64Mi"}}}))
    .unwrap();
    api.create(&PostParams::default(), &orphan).await.unwrap();
    let reason = poll_async(SETTLE, || async {
        let obj = api.get("orphan").await.ok()?;
        let conditions = obj.data["status"]["conditions"].as_array()?.clone();
        conditions
            .iter()
            .find(|c| c["type"] == "InferenceServiceReady" && c["status"] == "False")
            .map(|c| c["reason"].clone())
    })
    .await;
    assert_eq!(reason, Some(Value::from("InferenceServiceNotReady")));
}
