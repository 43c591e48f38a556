//! A small cluster for screen tests: a Knative canary, a failing model, a pending GPU
//! service, a Standard-mode canary and a ready service, with pods, nodes and events, at fixed
//! times so snapshots never change.

use crate::domain::kind::{Kind, parse};
use crate::domain::watch::WatchEvent;
use crate::state::cluster::ClusterState;
use serde_json::{Value, json};

const T0: &str = "2026-11-20T10:00:00Z";
const T1: &str = "2026-11-20T11:30:00Z";

fn isvcs() -> Vec<Value> {
    vec![
        json!({"metadata": {"name": "fraud-detector", "namespace": "ml-prod", "creationTimestamp": T0, "generation": 2, "resourceVersion": "11",
                "annotations": {"serving.kserve.io/deploymentMode": "Serverless", "serving.kserve.io/enable-tag-routing": "true"},
                "labels": {"team": "fraud"}},
            "spec": {"predictor": {"canaryTrafficPercent": 10, "minReplicas": 1, "maxReplicas": 3,
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kdeck-demo/fraud/v2", "protocolVersion": "v2"}}},
            "status": {"observedGeneration": 2, "url": "http://fraud-detector.ml-prod.example.com", "deploymentMode": "Knative",
                "conditions": [
                    {"type": "IngressReady", "status": "True", "lastTransitionTime": T0},
                    {"type": "PredictorReady", "status": "True", "lastTransitionTime": T1},
                    {"type": "Ready", "status": "True", "lastTransitionTime": T1}],
                "components": {"predictor": {
                    "latestCreatedRevision": "fraud-detector-predictor-00002", "latestReadyRevision": "fraud-detector-predictor-00002",
                    "latestRolledoutRevision": "fraud-detector-predictor-00001",
                    "traffic": [
                        {"revisionName": "fraud-detector-predictor-00002", "latestRevision": true, "percent": 10, "tag": "latest",
                         "url": "http://latest-fraud-detector-predictor.ml-prod.example.com"},
                        {"revisionName": "fraud-detector-predictor-00001", "latestRevision": false, "percent": 90, "tag": "prev",
                         "url": "http://prev-fraud-detector-predictor.ml-prod.example.com"}]}}}}),
        json!({"metadata": {"name": "sentiment-bert", "namespace": "ml-staging", "creationTimestamp": T0, "generation": 1},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"}, "storageUri": "gs://kdeck-demo-missing/bert"}}},
            "status": {"observedGeneration": 1, "deploymentMode": "Knative",
                "conditions": [
                    {"type": "PredictorReady", "status": "False", "reason": "RevisionFailed", "message": "Revision \"sentiment-bert-predictor-00001\" failed with message: storage download failed."},
                    {"type": "Ready", "status": "False", "reason": "RevisionFailed"}],
                "modelStatus": {"transitionStatus": "BlockedByFailedLoad", "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
                    "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "gs://kdeck-demo-missing/bert: bucket not found", "location": "sentiment-bert-predictor-00001-deployment-7d9f-abcde"}}}}),
        json!({"metadata": {"name": "onnx-resnet", "namespace": "ml-staging", "creationTimestamp": T1, "generation": 1},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "onnx"}, "storageUri": "s3://models/resnet",
                "resources": {"limits": {"nvidia.com/gpu": "4"}}}}},
            "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "Unknown", "reason": "PredictorNotReady"}]}}),
        json!({"metadata": {"name": "lgbm-ranker", "namespace": "ml-staging", "creationTimestamp": T0,
                "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "lightgbm"}, "storageUri": "s3://models/ranker/1"}},
                "canary": [{"trafficPercent": 20, "predictor": {"name": "fast", "model": {"storageUri": "s3://models/ranker/2"}}}]},
            "status": {"deploymentMode": "Standard", "conditions": [{"type": "Ready", "status": "True"}],
                "canaryStatuses": [{"name": "fast", "ready": true, "trafficPercent": 20}]}}),
        json!({"metadata": {"name": "sklearn-iris", "namespace": "ml-prod", "creationTimestamp": T0},
            "spec": {"predictor": {"sklearn": {"storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}},
            "status": {"deploymentMode": "Knative", "conditions": [{"type": "Ready", "status": "True"}],
                "components": {"predictor": {"latestReadyRevision": "sklearn-iris-predictor-00001", "latestRolledoutRevision": "sklearn-iris-predictor-00001",
                    "traffic": [{"revisionName": "sklearn-iris-predictor-00001", "latestRevision": true, "percent": 100}]}}}}),
    ]
}

fn pod(
    ns: &str,
    name: &str,
    isvc: &str,
    revision: &str,
    node: &str,
    ready: bool,
    extra: Value,
) -> Value {
    let mut pod = json!({"metadata": {"name": name, "namespace": ns, "creationTimestamp": T1, "uid": format!("uid-{name}"),
            "labels": {"serving.kserve.io/inferenceservice": isvc, "component": "predictor", "serving.knative.dev/revision": revision}},
        "spec": {"nodeName": node, "initContainers": [{"name": "storage-initializer"}],
            "containers": [{"name": "kserve-container", "ports": [{"containerPort": 8080}]}, {"name": "queue-proxy", "ports": [{"containerPort": 9091}]}]},
        "status": {"phase": "Running",
            "initContainerStatuses": [{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [
                {"name": "kserve-container", "ready": ready, "restartCount": 0, "state": {"running": {}}},
                {"name": "queue-proxy", "ready": ready, "state": {"running": {}}}]}});
    json_patch::merge(&mut pod, &extra);
    pod
}

fn pods() -> Vec<Value> {
    vec![
        pod(
            "ml-prod",
            "fraud-detector-predictor-00001-deployment-6c7d8-x1k2p",
            "fraud-detector",
            "fraud-detector-predictor-00001",
            "cpu-1",
            true,
            json!({}),
        ),
        pod(
            "ml-prod",
            "fraud-detector-predictor-00001-deployment-6c7d8-q9w8e",
            "fraud-detector",
            "fraud-detector-predictor-00001",
            "cpu-2",
            true,
            json!({}),
        ),
        pod(
            "ml-prod",
            "fraud-detector-predictor-00002-deployment-9f8e7-z7y6x",
            "fraud-detector",
            "fraud-detector-predictor-00002",
            "cpu-1",
            true,
            json!({}),
        ),
        pod(
            "ml-prod",
            "sklearn-iris-predictor-00001-deployment-5b4a3-m2n3b",
            "sklearn-iris",
            "sklearn-iris-predictor-00001",
            "cpu-2",
            true,
            json!({}),
        ),
        pod(
            "ml-staging",
            "sentiment-bert-predictor-00001-deployment-7d9f-abcde",
            "sentiment-bert",
            "sentiment-bert-predictor-00001",
            "cpu-1",
            false,
            json!({"status": {"phase": "Pending", "initContainerStatuses": [{"name": "storage-initializer", "restartCount": 5,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}], "containerStatuses": [
                {"name": "kserve-container", "ready": false, "state": {"waiting": {"reason": "PodInitializing"}}},
                {"name": "queue-proxy", "ready": false, "state": {"waiting": {"reason": "PodInitializing"}}}]}}),
        ),
        json!({"metadata": {"name": "onnx-resnet-predictor-00001-deployment-1a2b3-c4d5e", "namespace": "ml-staging", "creationTimestamp": T1,
                "labels": {"serving.kserve.io/inferenceservice": "onnx-resnet", "component": "predictor"}},
            "spec": {"containers": [{"name": "kserve-container", "resources": {"limits": {"nvidia.com/gpu": "4"}}}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/4 nodes are available: 2 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity."}]}}),
    ]
}

fn nodes() -> Vec<Value> {
    let node = |name: &str, instance: &str, gpus: u32| {
        json!({"metadata": {"name": name, "creationTimestamp": T0, "labels": {"node.kubernetes.io/instance-type": instance,
                "topology.kubernetes.io/zone": "us-east-1a"}},
            "status": {"capacity": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": gpus.to_string()},
                "allocatable": {"nvidia.com/gpu": gpus.to_string()}, "conditions": [{"type": "Ready", "status": "True"}]}})
    };
    vec![
        node("cpu-1", "m5.2xlarge", 0),
        node("cpu-2", "m5.2xlarge", 0),
        node("gpu-g5-1", "g5.xlarge", 1),
        node("gpu-g4dn-1", "g4dn.xlarge", 1),
    ]
}

fn events() -> Vec<Value> {
    vec![
        json!({"metadata": {"name": "e1", "namespace": "ml-staging"},
        "involvedObject": {"kind": "Pod", "name": "onnx-resnet-predictor-00001-deployment-1a2b3-c4d5e", "namespace": "ml-staging"},
        "reason": "FailedScheduling", "message": "0/4 nodes are available: 2 Insufficient nvidia.com/gpu.", "type": "Warning", "count": 7,
        "lastTimestamp": T1, "source": {"component": "default-scheduler"}}),
    ]
}

/// The fixture cluster.
pub fn cluster() -> ClusterState {
    let mut c = ClusterState::default();
    let load = |kind: Kind, values: Vec<Value>| {
        values
            .iter()
            .map(|v| WatchEvent::Upsert(parse(kind, v)))
            .collect::<Vec<_>>()
    };
    c.apply(
        Kind::InferenceService,
        load(Kind::InferenceService, isvcs()),
    );
    c.apply(Kind::Pod, load(Kind::Pod, pods()));
    c.apply(Kind::Node, load(Kind::Node, nodes()));
    c.apply(Kind::Event, load(Kind::Event, events()));
    c.isvcs.synced = true;
    c
}

/// Whether `value` is the object at `key`.
pub fn is(value: &Value, key: &crate::domain::key::ObjectKey) -> bool {
    value.pointer("/metadata/namespace").and_then(Value::as_str) == Some(&key.namespace)
        && value.pointer("/metadata/name").and_then(Value::as_str) == Some(&key.name)
}

/// One InferenceService of the fixture cluster as the API server would answer a read of it.
pub fn isvc_object(key: &crate::domain::key::ObjectKey) -> Option<Value> {
    isvcs().into_iter().find(|v| is(v, key))
}
