//! The demo scenario: about a dozen InferenceServices in three namespaces, GPU nodes of
//! several instance types, traffic, and a bad canary to roll back. Names (other code and
//! tests rely on them):
//!
//! | service | what it shows |
//! | --- | --- |
//! | `ml-prod/fraud-detector` | Knative (legacy `Serverless` annotation), sklearn, tag routing on, canary at 10 %: revision 00002 is slow (p99 ≈ 1.4 s) with ≈ 8 % 5xx and ERROR logs; 00001 is stable — the rollback drill |
//! | `ml-prod/sklearn-iris` | Knative sklearn, v1 protocol; TrainedModels iris-v2 (loads) and iris-xgb (xgboost: FrameworkNotSupported) |
//! | `ml-prod/xgb-churn` | Knative xgboost, v2 protocol |
//! | `ml-prod/torch-mnist` | Knative pytorch on 1 GPU (g4dn.xlarge) |
//! | `ml-prod/image-classifier` | transformer + predictor; one transformer log line carries escape sequences |
//! | `ml-prod/recommender` | legacy `RawDeployment` annotation (Standard), with a previous ReplicaSet |
//! | `ml-prod/fraud-pipeline` | InferenceGraph (Sequence) over fraud-detector and xgb-churn |
//! | `llm/llama2-chat` | huggingface, Standard, 4 GPUs on g5.12xlarge |
//! | `llm/mistral-embed` | huggingface, Knative, 1 GPU on g5.xlarge, minReplicas 2, little traffic (over-scaled) |
//! | `ml-staging/sentiment-bert` | failing: the model's bucket does not exist (storage-initializer crash loop) |
//! | `ml-staging/onnx-resnet` | Pending: asks for 2 GPUs per pod on g4dn.xlarge (1 GPU each) |
//! | `ml-staging/lgbm-ranker` | Standard with a `spec.canary[]` entry `fast` at 20 % |
//! | `ml-staging/income-explainer` | predictor + explainer |
//! | `ml-staging/mm-sklearn` | ModelMesh |
//!
//! The LLMInferenceServices of namespace `llm` are in `llm_demo`.

use super::nodes::{self, G4DN_XLARGE, G5_12XLARGE, G5_XLARGE, M5_2XLARGE, P4D_24XLARGE};
use crate::sim::controller::{Behaviour, Controller};
use crate::sim::resources;
use serde_json::{Value, json};

pub const NAMESPACES: &[&str] = &["default", "ml-prod", "ml-staging", "llm", "gpu-operator"];

fn isvc(ns: &str, name: &str, annotations: Value, spec: Value) -> Value {
    json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations, "labels": {"app.kubernetes.io/part-of": "kdeck-demo"}},
        "spec": spec})
}

fn model(format: &str, uri: &str) -> Value {
    json!({"modelFormat": {"name": format}, "storageUri": uri})
}

/// The behaviour of the demo's models.
pub fn behaviour() -> Behaviour {
    let mut b = Behaviour {
        slow_uris: vec!["fraud-detector/2026-11-24".to_string()],
        missing_uris: vec!["kdeck-demo-missing".to_string()],
        default_rps: 5.0,
        ..Behaviour::default()
    };
    for (ns, name, rps) in [
        ("ml-prod", "fraud-detector", 40.0),
        ("ml-prod", "sklearn-iris", 12.0),
        ("ml-prod", "xgb-churn", 25.0),
        ("ml-prod", "torch-mnist", 8.0),
        ("ml-prod", "image-classifier", 6.0),
        ("ml-prod", "recommender", 30.0),
        ("llm", "llama2-chat", 3.0),
        ("llm", "mistral-embed", 0.5),
        ("ml-staging", "lgbm-ranker", 20.0),
        ("ml-staging", "income-explainer", 2.0),
        ("ml-staging", "sentiment-bert", 0.0),
        ("ml-staging", "onnx-resnet", 0.0),
    ] {
        b.rps.insert((ns.to_string(), name.to_string()), rps);
    }
    super::llm_demo::behaviour(&mut b);
    b
}

/// The demo's nodes.
pub fn nodes(c: &mut Controller) {
    let shapes = [
        ("cpu-1", M5_2XLARGE, "us-east-1a"),
        ("cpu-2", M5_2XLARGE, "us-east-1b"),
        ("cpu-3", M5_2XLARGE, "us-east-1c"),
        ("gpu-g4dn-1", G4DN_XLARGE, "us-east-1a"),
        ("gpu-g4dn-2", G4DN_XLARGE, "us-east-1b"),
        ("gpu-g5-1", G5_XLARGE, "us-east-1a"),
        ("gpu-g5-2", G5_XLARGE, "us-east-1b"),
        ("gpu-g5-12x-1", G5_12XLARGE, "us-east-1c"),
        ("gpu-p4d-1", P4D_24XLARGE, "us-east-1a"),
    ];
    for (i, (name, shape, zone)) in shapes.into_iter().enumerate() {
        let info = nodes::add(
            &c.ctl.store,
            &c.ctl.workload,
            name,
            shape,
            zone,
            i as u32 + 1,
        );
        c.ctl.nodes.push(info);
    }
    let next = c.ctl.nodes.len() as u32 + 1;
    super::llm_demo::nodes(c, next);
}

/// Multi-model serving on `ml-prod/sklearn-iris`: a second sklearn model that loads, and an
/// xgboost one its sklearn predictor cannot load (FrameworkSupported false).
fn trained_models(c: &mut Controller) {
    let Some(r) = resources::find("serving.kserve.io", "v1alpha1", "trainedmodels") else {
        return;
    };
    for (name, framework, uri) in [
        (
            "iris-v2",
            "sklearn",
            "gs://kfserving-examples/models/sklearn/1.0/model-2",
        ),
        (
            "iris-xgb",
            "xgboost",
            "gs://kfserving-examples/models/xgboost/iris",
        ),
    ] {
        c.ctl.store.put(
            r,
            json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "TrainedModel",
            "metadata": {"name": name, "namespace": "ml-prod"},
            "spec": {"inferenceService": "sklearn-iris",
                     "model": {"storageUri": uri, "framework": framework, "memory": "256Mi"}}}),
        );
    }
}

fn put_and_reconcile(c: &mut Controller, obj: Value) {
    let Some(r) = resources::find("serving.kserve.io", "v1beta1", "inferenceservices") else {
        return;
    };
    let stored = c.ctl.store.put(r, obj);
    c.reconcile(&stored, chrono::Utc::now());
}

/// Creates the demo's services, already settled (a warm start), then its history: the
/// fraud-detector canary and the recommender's earlier rollout.
pub fn services(c: &mut Controller) {
    production_services(c);
    llm_services(c);
    staging_services(c);
    history(c);
    trained_models(c);
    graph_and_runtime(c);
    nasty_log_line(c);
    super::llm_demo::services(c);
}

/// The deployment-mode annotations of a service.
fn mode(name: &str) -> Value {
    json!({ "serving.kserve.io/deploymentMode": name })
}

/// Serverless (the old name of Knative) with tag routing, as the fraud detector has it.
fn serverless() -> Value {
    json!({"serving.kserve.io/deploymentMode": "Serverless", "serving.kserve.io/enable-tag-routing": "true"})
}

/// A predictor's resources with `n` GPUs.
fn gpu(n: u32) -> Value {
    json!({"limits": {"nvidia.com/gpu": n.to_string(), "cpu": "4", "memory": "16Gi"}, "requests": {"cpu": "2", "memory": "8Gi"}})
}

/// ml-prod: the fraud detector, the iris and churn models, MNIST on a GPU, the image
/// classifier with its transformer, the recommender in RawDeployment mode.
fn production_services(c: &mut Controller) {
    let fraud_v1 = "gs://kdeck-demo/models/fraud-detector/2026-10-02";
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "fraud-detector",
            serverless(),
            json!({"predictor": {"minReplicas": 2, "maxReplicas": 4, "model": model("sklearn", fraud_v1)}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "sklearn-iris",
            mode("Knative"),
            json!({"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model", "protocolVersion": "v1"}}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "xgb-churn",
            mode("Knative"),
            json!({"predictor": {"minReplicas": 1, "maxReplicas": 3, "model": {"modelFormat": {"name": "xgboost"}, "storageUri": "s3://kdeck-demo/churn/xgb-7", "protocolVersion": "v2"}}}),
        ),
    );
    let mut mnist = model(
        "pytorch",
        "gs://kfserving-examples/models/torchserve/image_classifier/v2",
    );
    mnist["resources"] = gpu(1);
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "torch-mnist",
            mode("Knative"),
            json!({"predictor": {"nodeSelector": {"node.kubernetes.io/instance-type": "g4dn.xlarge"}, "model": mnist}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "image-classifier",
            mode("Knative"),
            json!({
        "transformer": {"containers": [{"name": "kserve-container", "image": "kserve/image-transformer:v0.15.0", "args": ["--model_name", "image-classifier"]}]},
        "predictor": {"model": model("pytorch", "gs://kfserving-examples/models/torchserve/image_classifier/v1")}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "recommender",
            mode("RawDeployment"),
            json!({"predictor": {"minReplicas": 2, "model": model("lightgbm", "s3://kdeck-demo/recsys/lgbm-41")}}),
        ),
    );
}

/// llm: a chat model on four GPUs and an embedding model.
fn llm_services(c: &mut Controller) {
    let mut llama = model("huggingface", "hf://meta-llama/Llama-2-7b-chat-hf");
    llama["resources"] = gpu(4);
    put_and_reconcile(
        c,
        isvc(
            "llm",
            "llama2-chat",
            mode("Standard"),
            json!({"predictor": {"nodeSelector": {"node.kubernetes.io/instance-type": "g5.12xlarge"}, "model": llama}}),
        ),
    );
    let mut mistral = model("huggingface", "hf://intfloat/e5-mistral-7b-instruct");
    mistral["resources"] = gpu(1);
    put_and_reconcile(
        c,
        isvc(
            "llm",
            "mistral-embed",
            mode("Knative"),
            json!({"predictor": {"minReplicas": 2, "maxReplicas": 4, "nodeSelector": {"node.kubernetes.io/instance-type": "g5.xlarge"}, "model": mistral}}),
        ),
    );
}

/// ml-staging: a model that fails to load, ONNX on GPUs, a canary ranker, an explainer and
/// a ModelMesh service.
fn staging_services(c: &mut Controller) {
    put_and_reconcile(
        c,
        isvc(
            "ml-staging",
            "sentiment-bert",
            mode("Knative"),
            json!({"predictor": {"model": model("huggingface", "gs://kdeck-demo-missing/models/bert-sentiment")}}),
        ),
    );
    let mut resnet = model("onnx", "s3://kdeck-demo/vision/resnet50-onnx");
    resnet["resources"] = gpu(2);
    put_and_reconcile(
        c,
        isvc(
            "ml-staging",
            "onnx-resnet",
            mode("Knative"),
            json!({"predictor": {"nodeSelector": {"node.kubernetes.io/instance-type": "g4dn.xlarge"}, "model": resnet}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-staging",
            "lgbm-ranker",
            mode("Standard"),
            json!({
        "predictor": {"minReplicas": 2, "model": model("lightgbm", "s3://kdeck-demo/ranker/v11")},
        "canary": [{"trafficPercent": 20, "predictor": {"name": "fast", "model": {"storageUri": "s3://kdeck-demo/ranker/v12-distilled"}}}]}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-staging",
            "income-explainer",
            mode("Knative"),
            json!({
        "predictor": {"model": model("sklearn", "gs://kfserving-examples/models/sklearn/1.0/income/model")},
        "explainer": {"art": {"type": "SquareAttack", "config": {"nb_classes": "10"}}}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-staging",
            "mm-sklearn",
            json!({"serving.kserve.io/deploymentMode": "ModelMesh"}),
            json!({"predictor": {"model": model("sklearn", "s3://modelmesh-example-models/sklearn/mnist-svm.joblib")}}),
        ),
    );
}

/// History: the canary of a new fraud model, and an earlier recommender rollout.
fn history(c: &mut Controller) {
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "fraud-detector",
            serverless(),
            json!({"predictor": {"canaryTrafficPercent": 10, "minReplicas": 2, "maxReplicas": 4, "model": model("sklearn", "gs://kdeck-demo/models/fraud-detector/2026-11-24")}}),
        ),
    );
    put_and_reconcile(
        c,
        isvc(
            "ml-prod",
            "recommender",
            mode("RawDeployment"),
            json!({"predictor": {"minReplicas": 2, "model": model("lightgbm", "s3://kdeck-demo/recsys/lgbm-42")}}),
        ),
    );
}

/// The fraud pipeline (an InferenceGraph) and a namespaced ServingRuntime.
fn graph_and_runtime(c: &mut Controller) {
    if let Some(r) = resources::find("serving.kserve.io", "v1alpha1", "inferencegraphs") {
        let graph = c.ctl.store.put(
            r,
            json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
            "metadata": {"name": "fraud-pipeline", "namespace": "ml-prod"},
            "spec": {"nodes": {"root": {"routerType": "Sequence", "steps": [
                {"name": "score", "serviceName": "fraud-detector", "data": "$request"},
                {"name": "churn", "serviceName": "xgb-churn", "data": "$response"}]}}}}),
        );
        c.graph(&graph, false, chrono::Utc::now());
    }
    if let Some(r) = resources::find("serving.kserve.io", "v1alpha1", "servingruntimes") {
        c.ctl.store.put(r, json!({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
            "metadata": {"name": "fraud-sklearn-runtime", "namespace": "ml-prod"},
            "spec": {"supportedModelFormats": [{"name": "sklearn", "version": "1", "autoSelect": false}], "protocolVersions": ["v2"],
                "containers": [{"name": "kserve-container", "image": "kserve/sklearnserver:v0.15.0"}]}}));
    }
}

/// The image-classifier transformer's line with a colour, a window-title change (OSC 0), a
/// clear screen and a cursor move home.
pub const NASTY_LOG_LINE: &str = "\u{1b}[33mWARNING\u{1b}[0m preprocess: image too large, resizing \u{1b}]0;pwned-title\u{7}\u{1b}[2J\u{1b}[H to 224x224";

/// Real-world nasty input: a transformer that writes colour codes, a window-title escape and a
/// clear-screen sequence into its log.
fn nasty_log_line(c: &Controller) {
    if let Some(svc) = c
        .services
        .get(&("ml-prod".to_string(), "image-classifier".to_string()))
        && let Some(pod) = svc
            .knative
            .get("transformer")
            .and_then(|t| t.revisions.last())
            .and_then(|r| r.pods.first())
    {
        c.ctl
            .workload
            .log("ml-prod", &pod.name, "kserve-container", NASTY_LOG_LINE);
    }
}
