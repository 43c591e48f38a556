//! TrainedModels (multi-model serving) in the simulated cluster, judged by the real kubectl
//! and the real kube client: the CRD's printer columns, the demo's two TrainedModels under
//! ml-prod/sklearn-iris (iris-v2 loads and gets a URL; iris-xgb is an xgboost model its
//! sklearn predictor cannot load: FrameworkSupported False, FrameworkNotSupported), and a
//! TrainedModel created through the kube client whose InferenceService does not exist.
//! Then `kdeck status -o json` (the real kube client listing them): sklearn-iris's entry
//! carries `trained_models`, the failed one makes the exit code 1; with TrainedModels
//! forbidden the status still lists every service.
#![allow(clippy::unwrap_used)]

mod common;

use common::Sandbox;
use common::headless::{run_kdeck, text};
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

fn status_json(sandbox: &Sandbox, sim: &Sim) -> (Option<i32>, Vec<Value>, String) {
    let kubeconfig = sim.kubeconfig.display().to_string();
    let args = [
        "status",
        "-n",
        "ml-prod",
        "-o",
        "json",
        "--kubeconfig",
        kubeconfig.as_str(),
    ];
    let (out, _) = run_kdeck(sandbox, &args, Duration::from_secs(30));
    let all: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    (out.status.code(), all, text(&out.stderr))
}

fn iris(all: &[Value]) -> &Value {
    all.iter().find(|e| e["name"] == "sklearn-iris").unwrap()
}

#[test]
fn status_json_lists_the_trained_models_and_exits_1_for_one_that_failed_to_load() {
    let sandbox = Sandbox::new();
    let sim = Sim::demo();
    // iris-v2 loads after its simulated load time: wait until the status says so.
    let mut last = (None, Vec::new(), String::new());
    let loaded = poll(Duration::from_secs(30), || {
        last = status_json(&sandbox, &sim);
        let models = iris(&last.1)["trained_models"].as_array()?.clone();
        models
            .iter()
            .any(|m| m["name"] == "iris-v2" && m["ready"] == true)
            .then_some(models)
    });
    let (code, all, stderr) = last;
    let models = loaded.unwrap_or_else(|| panic!("iris-v2 never loaded: {all:?}"));
    let xgb = models.iter().find(|m| m["name"] == "iris-xgb").unwrap();
    assert_eq!(xgb["ready"], false, "{xgb}");
    assert_eq!(xgb["state"], "FailedToLoad", "{xgb}");
    assert_eq!(xgb["reason"], "FrameworkNotSupported", "{xgb}");
    // The service itself stays Ready (KServe's verdict); only services with models get the field.
    assert_eq!(iris(&all)["ready"], true);
    let fraud = all.iter().find(|e| e["name"] == "fraud-detector").unwrap();
    assert!(fraud.get("trained_models").is_none(), "{fraud}");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("ml-prod/sklearn-iris trained model iris-xgb failed to load: FrameworkSupported FrameworkNotSupported"),
        "{stderr}"
    );
}

#[test]
fn status_lists_every_service_when_trained_models_are_forbidden() {
    let sandbox = Sandbox::new();
    let sim = Sim::demo_with(&["forbid-verb=list:trainedmodels"]);
    let (_, all, stderr) = status_json(&sandbox, &sim);
    assert_eq!(all.len(), 6, "{all:?}\n{stderr}");
    assert!(
        all.iter().all(|e| e.get("trained_models").is_none()),
        "{all:?}"
    );
    assert!(!stderr.contains("trained model"), "{stderr}");
}
