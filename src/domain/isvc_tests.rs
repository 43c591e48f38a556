use super::*;
use serde_json::json;

fn canary_fixture() -> Value {
    json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "sklearn-iris", "namespace": "kserve-test", "generation": 2,
            "creationTimestamp": "2026-08-20T10:00:00Z",
            "annotations": {"serving.kserve.io/deploymentMode": "Serverless"},
            "managedFields": [{"manager": "kubectl"}]},
        "spec": {"predictor": {"canaryTrafficPercent": 10, "minReplicas": 1,
            "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model-2",
                "resources": {"limits": {"nvidia.com/gpu": "1"}}}}},
        "status": {
            "observedGeneration": 2,
            "url": "http://sklearn-iris.kserve-test.example.com",
            "deploymentMode": "Knative",
            "conditions": [
                {"type": "IngressReady", "status": "True"},
                {"type": "PredictorReady", "status": "True"},
                {"type": "Ready", "status": "True"}
            ],
            "components": {"predictor": {
                "latestCreatedRevision": "sklearn-iris-predictor-00002",
                "latestReadyRevision": "sklearn-iris-predictor-00002",
                "latestRolledoutRevision": "sklearn-iris-predictor-00001",
                "previousRolledoutRevision": "",
                "traffic": [
                    {"latestRevision": true, "percent": 10, "revisionName": "sklearn-iris-predictor-00002"},
                    {"latestRevision": false, "percent": 90, "revisionName": "sklearn-iris-predictor-00001", "tag": "prev",
                     "url": "http://prev-sklearn-iris-predictor.kserve-test.example.com"}
                ]
            }}
        }
    })
}

#[test]
fn a_knative_canary_reads_as_kserve_reports_it() {
    let isvc = Isvc::parse(&canary_fixture());
    assert!(isvc.problems.is_empty(), "{:?}", isvc.problems);
    assert_eq!(isvc.mode, Some(DeploymentMode::Knative));
    assert_eq!(isvc.readiness(), Readiness::Ready);
    assert_eq!(isvc.traffic_label("·"), "r2 10% · r1 90%");
    assert_eq!(isvc.canary_percent(), Some(10));
    assert!(isvc.canary_in_progress());
    assert_eq!(isvc.runtime_label(), "sklearn");
    assert_eq!(isvc.gpus_per_replica(), 1.0);
    let status = isvc.predictor_status().unwrap();
    assert_eq!(
        status.latest_rolledout.as_deref(),
        Some("sklearn-iris-predictor-00001")
    );
    assert_eq!(status.previous_rolledout, None);
}

#[test]
fn what_a_service_keeps_has_no_room_to_grow_and_shares_condition_words() {
    let (a, b) = (
        Isvc::parse(&canary_fixture()),
        Isvc::parse(&canary_fixture()),
    );
    assert_eq!(a.components.capacity(), a.components.len());
    assert_eq!(a.status.capacity(), a.status.len());
    assert_eq!(a.conditions.capacity(), a.conditions.len());
    assert!(!a.conditions.is_empty());
    for (x, y) in a.conditions.iter().zip(&b.conditions) {
        assert!(std::sync::Arc::ptr_eq(&x.kind, &y.kind), "{}", x.kind);
        assert!(std::sync::Arc::ptr_eq(&x.reason, &y.reason), "{}", x.reason);
    }
    assert_eq!(
        find(&a.conditions, "Ready").map(|c| c.status),
        Some(CondStatus::True)
    );
}

#[test]
fn a_failed_model_names_its_reason() {
    let mut v = canary_fixture();
    v["status"]["conditions"] = json!([
        {"type": "PredictorReady", "status": "False", "reason": "RevisionFailed"},
        {"type": "Ready", "status": "False", "reason": "RevisionFailed"}
    ]);
    v["status"]["modelStatus"] = json!({"transitionStatus": "BlockedByFailedLoad",
        "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
        "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "storage download failed", "location": "pod-1"}});
    let isvc = Isvc::parse(&v);
    assert_eq!(
        isvc.readiness(),
        Readiness::NotReady("ModelLoadFailed".to_string())
    );
    let failure = isvc.model_status.unwrap().failure.unwrap();
    assert_eq!(failure.message, "storage download failed");
}

#[test]
fn malformed_objects_still_make_a_row() {
    for v in [
        json!({"metadata": {"name": "x"}}),
        json!({"metadata": {"name": "x"}, "spec": "oops", "status": []}),
        json!({"metadata": {"name": "x"}, "spec": {"predictor": {"model": 5}}, "status": {"conditions": {"type": "Ready"}}}),
        json!({"metadata": {"name": 7}, "status": {"components": {"predictor": {"traffic": "all"}}}}),
        json!(null),
    ] {
        let isvc = Isvc::parse(&v);
        assert!(!isvc.problems.is_empty(), "{v}");
        let _ = isvc.readiness();
        let _ = isvc.traffic_label("·");
    }
    let v = json!({"metadata": {"name": "x"}, "spec": {"predictor": {"sklearn": {"storageUri": "s3://m"}}}});
    let isvc = Isvc::parse(&v);
    assert_eq!(isvc.readiness(), Readiness::Unknown);
    assert_eq!(isvc.runtime_label(), "sklearn");
}

#[test]
fn standard_mode_canaries_split_by_readiness() {
    let v = json!({"metadata": {"name": "r", "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "lightgbm"}}},
                 "canary": [{"trafficPercent": 20, "predictor": {"name": "fast", "model": {"storageUri": "s3://m/2"}}}]},
        "status": {"canaryStatuses": [{"name": "fast", "ready": true, "trafficPercent": 20}]}});
    let isvc = Isvc::parse(&v);
    assert_eq!(isvc.mode, Some(DeploymentMode::Standard));
    assert_eq!(isvc.traffic_label("·"), "fast 20% · stable 80%");
    assert_eq!(isvc.canaries[0].storage_uri.as_deref(), Some("s3://m/2"));
}

/// Every InferenceService in the repository's KServe-shaped fixtures, by name.
fn fixture_services() -> std::collections::BTreeMap<String, Isvc> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kserve/isvc");
    let mut out = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).unwrap();
            if value.get("kind").and_then(Value::as_str) == Some("InferenceService") {
                let isvc = Isvc::parse(&value);
                out.insert(isvc.meta.name.clone(), isvc);
            }
        }
    }
    out
}

#[test]
fn every_kserve_shaped_fixture_parses_to_its_fields() {
    let all = fixture_services();
    // 20 documents; the four rollout steps share one name.
    assert_eq!(all.len(), 17, "{:?}", all.keys().collect::<Vec<_>>());
    for (name, isvc) in &all {
        assert!(isvc.problems.is_empty(), "{name}: {:?}", isvc.problems);
        assert!(!isvc.runtime_label().is_empty(), "{name}");
    }
    let get = |name: &str| all.get(name).unwrap_or_else(|| panic!("{name}"));
    let predictor = |name: &str| get(name).predictor().unwrap().clone();
    assert_eq!(predictor("churn-sklearn").implementation, "sklearn");
    assert_eq!(
        predictor("churn-sklearn-v2").protocol.as_deref(),
        Some("v2")
    );
    assert_eq!(predictor("fraud-xgb").max_replicas, Some(3));
    // GPU quantities as an integer and as a string.
    assert_eq!(get("plants-tf-gpu").gpus_per_replica(), 1.0);
    assert_eq!(get("digits-torch-v2").gpus_per_replica(), 1.0);
    let llm = predictor("chat-llm");
    assert_eq!(llm.implementation, "model");
    assert_eq!(llm.model_format.as_deref(), Some("huggingface"));
    assert_eq!(llm.cpu.as_deref(), Some("4"));
    assert_eq!(
        llm.storage_uri.as_deref(),
        Some("hf://example-org/tiny-chat-1b")
    );
    assert_eq!(get("echo-custom").runtime_label(), "custom");
    let kinds = |name: &str| {
        get(name)
            .components
            .iter()
            .map(|(k, c)| (*k, c.implementation.clone()))
            .collect::<Vec<_>>()
    };
    assert!(
        kinds("images-with-transformer")
            .contains(&(ComponentKind::Transformer, "containers".to_string()))
    );
    assert!(kinds("digits-explained").contains(&(ComponentKind::Explainer, "art".to_string())));
    let rollout_step = |file: &str| {
        let path = format!(
            "{}/tests/fixtures/kserve/isvc/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let value: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        Isvc::parse(&value).canary_percent()
    };
    assert_eq!(rollout_step("rollout-first.yaml"), None);
    assert_eq!(rollout_step("rollout-canary.yaml"), Some(25));
    assert_eq!(rollout_step("rollout-promote.yaml"), None);
    assert_eq!(rollout_step("rollout-pin.yaml"), Some(0));
    for name in [
        "strategy-surge",
        "strategy-defaults",
        "strategy-multinode",
        "ranker-raw",
    ] {
        assert_eq!(get(name).mode, Some(DeploymentMode::Standard), "{name}");
    }
    let raw = get("ranker-raw");
    assert_eq!(
        (
            raw.canaries[0].name.as_str(),
            raw.canaries[0].traffic_percent
        ),
        ("candidate", 20)
    );
    assert_eq!(get("ranker-onnx").runtime_label(), "kserve-tritonserver");
    assert_eq!(
        predictor("ranker-onnx").protocol.as_deref(),
        Some("grpc-v2")
    );
    assert_eq!(predictor("ranker-xgb").min_replicas, Some(0));
}
