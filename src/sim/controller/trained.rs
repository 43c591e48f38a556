//! TrainedModels (serving.kserve.io/v1alpha1, multi-model serving): the simulated
//! controller's status for each one — InferenceServiceReady (its parent, named by
//! spec.inferenceService, is Ready), FrameworkSupported (spec.model.framework is the
//! parent predictor's model format), MemoryResourceAvailable (the parent's TrainedModels'
//! spec.model.memory fits the predictor's memory limit, or 2Gi without one), IsMvpReady
//! and Ready once the model had its load time, and status.url
//! (`http://PARENT.NS.example.com/v1/models/NAME:predict`). A pass runs every simulated
//! second and writes only what changed.

use super::super::clock::{SimClock, stamp};
use super::super::resources;
use super::super::store::Store;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// How long a model takes to load once its parent is Ready, simulated seconds.
const LOAD_SECONDS: f64 = 3.0;
/// The predictor memory assumed when it names no limit.
const DEFAULT_MEMORY: f64 = 2.0 * 1024.0 * 1024.0 * 1024.0;

/// `256Mi`, `1Gi`, `500M`, `1e9` as bytes; `None` when unreadable.
pub fn memory_bytes(text: &str) -> Option<f64> {
    let units: [(&str, f64); 8] = [
        ("Ki", 1024.0),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    let text = text.trim();
    for (suffix, factor) in units {
        if let Some(n) = text.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse().ok()
}

fn condition(kind: &str, ok: bool, reason: &str, message: String, now: &str) -> Value {
    if ok {
        json!({"type": kind, "status": "True", "lastTransitionTime": now})
    } else {
        json!({"type": kind, "status": "False", "reason": reason, "message": message, "lastTransitionTime": now})
    }
}

/// The status of `tm` given its parent InferenceService (if it exists), the memory its
/// parent's TrainedModels ask together (bytes), and whether its load time has passed.
pub fn status(
    tm: &Value,
    parent: Option<&Value>,
    memory_asked: f64,
    loaded: bool,
    now: &str,
) -> Value {
    let name = tm["metadata"]["name"].as_str().unwrap_or("");
    let ns = tm["metadata"]["namespace"].as_str().unwrap_or("");
    let parent_name = tm["spec"]["inferenceService"].as_str().unwrap_or("");
    let framework = tm["spec"]["model"]["framework"].as_str().unwrap_or("");
    let parent_ready = parent.is_some_and(|p| {
        p["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
    });
    let predictor = parent.map(|p| &p["spec"]["predictor"]);
    let format = predictor
        .and_then(|p| p["model"]["modelFormat"]["name"].as_str())
        .unwrap_or("");
    let supported = !framework.is_empty() && framework == format;
    let limit = predictor
        .and_then(|p| p["model"]["resources"]["limits"]["memory"].as_str())
        .and_then(memory_bytes)
        .unwrap_or(DEFAULT_MEMORY);
    let fits = memory_asked <= limit;
    let ready = parent_ready && supported && fits && loaded;
    let mut conditions = vec![
        condition(
            "FrameworkSupported",
            supported,
            "FrameworkNotSupported",
            format!(
                "Inference Service \"{parent_name}\" does not support the Trained Model framework \"{framework}\""
            ),
            now,
        ),
        condition(
            "InferenceServiceReady",
            parent_ready,
            "InferenceServiceNotReady",
            format!(
                "Inference Service \"{parent_name}\" is not ready; the Trained Model waits for it"
            ),
            now,
        ),
        condition(
            "IsMvpReady",
            ready,
            if loaded {
                "ModelLoadFailed"
            } else {
                "ModelLoading"
            },
            if !supported || !fits {
                "the model cannot be loaded: see FrameworkSupported and MemoryResourceAvailable"
                    .into()
            } else {
                format!("model {name} is being loaded by the model agent")
            },
            now,
        ),
        condition(
            "MemoryResourceAvailable",
            fits,
            "MemoryResourceUnavailable",
            format!(
                "Inference Service \"{parent_name}\" memory resources are not available: its Trained Models ask {:.0}Mi, the predictor has {:.0}Mi",
                memory_asked / 1048576.0,
                limit / 1048576.0
            ),
            now,
        ),
        condition(
            "Ready",
            ready,
            if supported && fits {
                "ModelLoading"
            } else {
                "ModelLoadFailed"
            },
            "the Trained Model is not ready: see the other conditions".into(),
            now,
        ),
    ];
    // Keep the previous transition time of a condition whose status did not change.
    if let Some(old) = tm["status"]["conditions"].as_array() {
        for c in conditions.iter_mut() {
            if let Some(o) = old
                .iter()
                .find(|o| o["type"] == c["type"] && o["status"] == c["status"])
            {
                c["lastTransitionTime"] = o["lastTransitionTime"].clone();
            }
        }
    }
    let mut out =
        json!({"conditions": conditions, "observedGeneration": tm["metadata"]["generation"]});
    if ready {
        out["url"] = json!(format!(
            "http://{parent_name}.{ns}.example.com/v1/models/{name}:predict"
        ));
    }
    out
}

/// One pass: every TrainedModel's status, written when it changed.
pub fn pass(store: &Store, clock: &SimClock, now: DateTime<Utc>) {
    let (Some(tms), Some(isvcs)) = (
        resources::find("serving.kserve.io", "v1alpha1", "trainedmodels"),
        resources::find("serving.kserve.io", "v1beta1", "inferenceservices"),
    ) else {
        return;
    };
    let all = store.list(tms, None).0;
    let t = stamp(now);
    for tm in &all {
        let ns = tm["metadata"]["namespace"].as_str().unwrap_or("");
        let parent_name = tm["spec"]["inferenceService"].as_str().unwrap_or("");
        let parent = store.get(isvcs, ns, parent_name);
        let memory_asked: f64 = all
            .iter()
            .filter(|o| {
                o["metadata"]["namespace"] == ns && o["spec"]["inferenceService"] == parent_name
            })
            .filter_map(|o| o["spec"]["model"]["memory"].as_str().and_then(memory_bytes))
            .sum();
        let created = tm["metadata"]["creationTimestamp"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(now);
        let loaded = now >= created + clock.delay(LOAD_SECONDS);
        let next = status(tm, parent.as_deref(), memory_asked, loaded, &t);
        if tm["status"] != next {
            let mut obj = (**tm).clone();
            obj["status"] = next;
            store.put(tms, obj);
        }
    }
}

/// Runs passes every simulated second until cancelled.
pub async fn run(store: Store, clock: SimClock, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(clock.period(1.0).min(std::time::Duration::from_secs(1)));
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => pass(&store, &clock, Utc::now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tm(name: &str, framework: &str, memory: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "ml", "generation": 1},
            "spec": {"inferenceService": "iris", "model": {"storageUri": "gs://m", "framework": framework, "memory": memory}}})
    }

    fn parent(ready: bool) -> Value {
        json!({"metadata": {"name": "iris", "namespace": "ml"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "resources": {"limits": {"memory": "1Gi"}}}}},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
    }

    fn cond<'a>(s: &'a Value, kind: &str) -> &'a Value {
        s["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == kind)
            .unwrap()
    }

    #[test]
    fn a_supported_model_loads_then_is_ready_with_a_url() {
        let m = tm("v2", "sklearn", "256Mi");
        let loading = status(&m, Some(&parent(true)), 256.0 * 1048576.0, false, "t0");
        assert_eq!(cond(&loading, "Ready")["status"], "False");
        assert_eq!(cond(&loading, "IsMvpReady")["reason"], "ModelLoading");
        let ready = status(&m, Some(&parent(true)), 256.0 * 1048576.0, true, "t1");
        assert_eq!(cond(&ready, "Ready")["status"], "True");
        assert_eq!(
            ready["url"],
            "http://iris.ml.example.com/v1/models/v2:predict"
        );
    }

    #[test]
    fn a_wrong_framework_or_too_much_memory_fails_with_the_reason() {
        let xgb = status(
            &tm("x", "xgboost", "1Mi"),
            Some(&parent(true)),
            1048576.0,
            true,
            "t",
        );
        assert_eq!(
            cond(&xgb, "FrameworkSupported")["reason"],
            "FrameworkNotSupported"
        );
        assert_eq!(cond(&xgb, "Ready")["reason"], "ModelLoadFailed");
        assert!(xgb.get("url").is_none());
        let big = status(
            &tm("b", "sklearn", "2Gi"),
            Some(&parent(true)),
            2.0 * 1073741824.0,
            true,
            "t",
        );
        assert_eq!(
            cond(&big, "MemoryResourceAvailable")["reason"],
            "MemoryResourceUnavailable"
        );
        let orphan = status(&tm("o", "sklearn", "1Mi"), None, 1048576.0, true, "t");
        assert_eq!(cond(&orphan, "InferenceServiceReady")["status"], "False");
        assert_eq!(memory_bytes("256Mi"), Some(268435456.0));
        assert_eq!(memory_bytes("lots"), None);
    }
}
