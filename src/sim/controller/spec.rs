//! Reading what the simulation needs from an InferenceService's component spec: storage
//! URI, model format and name, image, GPUs, node selector, replica bounds, and the
//! behaviour the scenario gave that model (latency profile, a failing download).

use super::Behaviour;
use super::pods::PodPlan;
use crate::domain::isvc::MODEL_KEYS;
use crate::sim::workload::latency::Profile;
use serde_json::Value;
use std::collections::BTreeMap;

/// The part of a component spec that holds the model (`model`, a framework, or a container).
pub fn body(component: &Value) -> (&str, &Value) {
    for f in MODEL_KEYS {
        if let Some(b) = component.get(*f) {
            return (f, b);
        }
    }
    if let Some(c) = component.get("containers").and_then(|c| c.get(0)) {
        return ("containers", c);
    }
    if let Some(a) = component.get("art") {
        return ("art", a);
    }
    ("", &Value::Null)
}

pub fn storage_uri(component: &Value) -> Option<String> {
    let (_, b) = body(component);
    b.get("storageUri")
        .or_else(|| component.get("storageUri"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub fn model_format(component: &Value) -> String {
    let (kind, b) = body(component);
    b.pointer("/modelFormat/name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_string())
}

pub fn gpus(component: &Value) -> u32 {
    let (_, b) = body(component);
    let res = &b["resources"];
    ["limits", "requests"]
        .iter()
        .find_map(|s| {
            res[*s]["nvidia.com/gpu"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .or_else(|| res[*s]["nvidia.com/gpu"].as_u64().map(|n| n as u32))
        })
        .unwrap_or(0)
}

pub fn min_replicas(component: &Value) -> u32 {
    component
        .get("minReplicas")
        .and_then(Value::as_i64)
        .map(|n| n.max(0) as u32)
        .unwrap_or(1)
}

pub fn max_replicas(component: &Value) -> u32 {
    let min = min_replicas(component);
    component
        .get("maxReplicas")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
        .map(|n| n as u32)
        .unwrap_or(min.max(3))
}

fn image_for(format: &str) -> String {
    match format {
        "huggingface" => "kserve/huggingfaceserver:v0.15.0-gpu".to_string(),
        "pytorch" => "pytorch/torchserve-kfs:0.9.0".to_string(),
        "xgboost" => "kserve/xgbserver:v0.15.0".to_string(),
        "lightgbm" => "kserve/lgbserver:v0.15.0".to_string(),
        "onnx" | "triton" | "tensorflow" => "nvcr.io/nvidia/tritonserver:24.05-py3".to_string(),
        _ => "kserve/sklearnserver:v0.15.0".to_string(),
    }
}

/// The pod plan of a component of `isvc` in `namespace`.
// The controller passes its parts explicitly so each pass's inputs are visible.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    behaviour: &Behaviour,
    isvc: &str,
    component_kind: &str,
    component: &Value,
    revision: Option<String>,
    owner: (String, String),
    labels: BTreeMap<String, String>,
    queue_proxy: bool,
) -> PodPlan {
    let (_, b) = body(component);
    let uri = storage_uri(component);
    let format = model_format(component);
    let gpus = gpus(component);
    let image = b
        .get("image")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| image_for(&format));
    let slow = uri
        .as_ref()
        .is_some_and(|u| behaviour.slow_uris.iter().any(|s| u.contains(s.as_str())));
    let missing = uri.as_ref().is_some_and(|u| {
        behaviour
            .missing_uris
            .iter()
            .any(|s| u.contains(s.as_str()))
    });
    let llm = format == "huggingface";
    let profile = if slow {
        Profile::BAD
    } else if component_kind == "transformer" {
        Profile {
            median_ms: 4.0,
            p99_ms: 15.0,
            error_ratio: 0.0,
        }
    } else if llm {
        Profile {
            median_ms: 380.0,
            p99_ms: 1100.0,
            error_ratio: 0.002,
        }
    } else if gpus > 0 {
        Profile {
            median_ms: 35.0,
            p99_ms: 120.0,
            error_ratio: 0.001,
        }
    } else {
        Profile::HEALTHY
    };
    let res = &b["resources"];
    let cpu = res["requests"]["cpu"]
        .as_str()
        .or(res["limits"]["cpu"].as_str())
        .unwrap_or("1")
        .to_string();
    let memory = res["requests"]["memory"]
        .as_str()
        .or(res["limits"]["memory"].as_str())
        .unwrap_or("2Gi")
        .to_string();
    PodPlan {
        isvc: isvc.to_string(),
        component: component_kind.to_string(),
        revision,
        labels,
        storage_uri: uri,
        // KServe names the model after the InferenceService.
        model: isvc.to_string(),
        image,
        gpus,
        node_selector: component
            .pointer("/nodeSelector/node.kubernetes.io~1instance-type")
            .and_then(Value::as_str)
            .map(str::to_string),
        queue_proxy,
        agent: component.get("logger").is_some() || component.get("batcher").is_some(),
        profile,
        download_fails: missing,
        load_seconds: if llm {
            8.0
        } else if gpus > 0 {
            4.0
        } else {
            2.0
        },
        gpu_mem_mib: if gpus == 0 {
            0.0
        } else if llm {
            14_500.0 * gpus as f64
        } else {
            3_200.0
        },
        cpu,
        memory,
        owner,
    }
}
