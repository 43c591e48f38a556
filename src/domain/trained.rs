//! TrainedModel (`serving.kserve.io/v1alpha1`, KServe's multi-model serving) as the console
//! reads it: the InferenceService it is loaded into (`spec.inferenceService`), its model
//! (`spec.model.framework`, `storageUri`, `memory`), `status.url`, and its load state from
//! the conditions (Ready, InferenceServiceReady, FrameworkSupported, MemoryResourceAvailable,
//! IsMvpReady). Parsing never fails: a malformed object becomes a `TrainedModel` whose
//! `problems` say what could not be read.

use super::json::{Problems, str_at};
use super::k8s::{CondStatus, Condition, Meta, conditions, find};
use serde_json::Value;

/// A TrainedModel as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedModel {
    pub meta: Meta,
    /// The InferenceService it is loaded into (same namespace); empty when missing.
    pub inference_service: String,
    pub framework: String,
    pub storage_uri: String,
    /// As written (`256Mi`), empty when missing.
    pub memory: String,
    pub url: Option<String>,
    pub conditions: Vec<Condition>,
    pub problems: Problems,
}

/// Whether the model server has the model: loaded, on its way, or failed with the condition
/// that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadState {
    Loaded,
    /// Not loaded yet: `reason` is the first unmet condition's (or `NoStatus`).
    Loading {
        reason: String,
        message: String,
    },
    /// Cannot load: the failing condition's type, reason and message.
    FailedToLoad {
        condition: String,
        reason: String,
        message: String,
    },
}

impl LoadState {
    /// `Loaded`, `Loading` or `FailedToLoad`.
    pub fn label(&self) -> &'static str {
        match self {
            LoadState::Loaded => "Loaded",
            LoadState::Loading { .. } => "Loading",
            LoadState::FailedToLoad { .. } => "FailedToLoad",
        }
    }

    /// The reason shown next to the state (empty when loaded).
    pub fn reason(&self) -> &str {
        match self {
            LoadState::Loaded => "",
            LoadState::Loading { reason, .. } | LoadState::FailedToLoad { reason, .. } => reason,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self, LoadState::FailedToLoad { .. })
    }
}

/// Conditions that, when False, mean the model cannot be loaded until something changes.
const BLOCKING: [&str; 2] = ["FrameworkSupported", "MemoryResourceAvailable"];
/// Reasons of Ready or IsMvpReady that mean the load failed.
const FAILED_REASONS: [&str; 2] = ["ModelLoadFailed", "FailedToLoad"];

impl TrainedModel {
    /// Reads a TrainedModel from its JSON. Never fails.
    pub fn parse(value: &Value) -> TrainedModel {
        let mut problems = Problems::default();
        problems.check_type(value, &["spec"], "an object", Value::is_object);
        problems.check_type(value, &["spec", "model"], "an object", Value::is_object);
        problems.check_type(value, &["status"], "an object", Value::is_object);
        problems.check_type(value, &["status", "conditions"], "a list", Value::is_array);
        problems.check_type(value, &["status", "url"], "a string", Value::is_string);
        let meta = Meta::parse(value);
        if meta.name.is_empty() {
            problems.push("metadata.name is missing");
        }
        let text = |path: &[&str]| str_at(value, path).unwrap_or("").to_string();
        let inference_service = text(&["spec", "inferenceService"]);
        if inference_service.is_empty() {
            problems.push("spec.inferenceService is missing or not a string");
        }
        let storage_uri = text(&["spec", "model", "storageUri"]);
        if storage_uri.is_empty() {
            problems.push("spec.model.storageUri is missing");
        }
        TrainedModel {
            inference_service,
            framework: text(&["spec", "model", "framework"]),
            storage_uri,
            memory: text(&["spec", "model", "memory"]),
            url: str_at(value, &["status", "url"]).map(str::to_string),
            conditions: conditions(value, &["status", "conditions"]),
            problems,
            meta,
        }
    }

    /// The load state from the conditions: Ready True is loaded; a False
    /// FrameworkSupported or MemoryResourceAvailable, or a Ready/IsMvpReady that says the
    /// load failed, is a failure; anything else is still loading.
    pub fn load_state(&self) -> LoadState {
        if find(&self.conditions, "Ready").is_some_and(|c| c.status == CondStatus::True) {
            return LoadState::Loaded;
        }
        let is_false = |c: &&Condition| c.status == CondStatus::False;
        let blocking = BLOCKING
            .iter()
            .filter_map(|kind| find(&self.conditions, kind))
            .find(is_false);
        let failed = blocking.or_else(|| {
            ["IsMvpReady", "Ready"]
                .iter()
                .filter_map(|kind| find(&self.conditions, kind))
                .filter(is_false)
                .find(|c| FAILED_REASONS.contains(&&*c.reason))
        });
        if let Some(c) = failed {
            return LoadState::FailedToLoad {
                condition: c.kind.to_string(),
                reason: non_empty(&c.reason, &c.kind),
                message: c.message.clone(),
            };
        }
        // The first unmet condition in the order the controller meets them.
        let waiting = ["InferenceServiceReady", "IsMvpReady", "Ready"]
            .iter()
            .filter_map(|kind| find(&self.conditions, kind))
            .find(|c| c.status != CondStatus::True);
        match waiting {
            Some(c) => LoadState::Loading {
                reason: non_empty(&c.reason, &c.kind),
                message: c.message.clone(),
            },
            None => LoadState::Loading {
                reason: "NoStatus".to_string(),
                message: String::new(),
            },
        }
    }
}

fn non_empty(text: &str, fallback: &str) -> String {
    if text.is_empty() {
        format!("{fallback}False")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn fixture() -> Vec<Value> {
        let path = format!(
            "{}/tests/fixtures/kserve/trainedmodel/trainedmodels.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        serde_norway::Deserializer::from_str(&text)
            .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
            .collect()
    }

    fn parsed(name: &str) -> TrainedModel {
        let all = fixture();
        let v = all.iter().find(|v| v["metadata"]["name"] == name).unwrap();
        TrainedModel::parse(v)
    }

    #[test]
    fn a_loaded_model_has_its_spec_url_and_no_problems() {
        let tm = parsed("churn-v2");
        assert_eq!(tm.inference_service, "churn");
        assert_eq!(tm.framework, "sklearn");
        assert_eq!(tm.storage_uri, "gs://example-models/churn/v2");
        assert_eq!(tm.memory, "256Mi");
        assert_eq!(
            tm.url.as_deref(),
            Some("http://churn.ml.example.com/v1/models/churn-v2:predict")
        );
        assert_eq!(tm.load_state(), LoadState::Loaded);
        assert!(tm.problems.is_empty(), "{:?}", tm.problems);
    }

    #[test]
    fn memory_unavailable_is_a_failure_named_by_its_condition() {
        let state = parsed("churn-big").load_state();
        assert!(state.failed());
        let LoadState::FailedToLoad {
            condition,
            reason,
            message,
        } = state
        else {
            unreachable!()
        };
        assert_eq!(condition, "MemoryResourceAvailable");
        assert_eq!(reason, "MemoryResourceUnavailable");
        assert!(message.contains("memory resources are not available"));
    }

    #[test]
    fn a_model_being_loaded_is_loading_with_the_reason() {
        let state = parsed("churn-v3").load_state();
        assert_eq!(state.label(), "Loading");
        assert_eq!(state.reason(), "ModelLoading");
    }

    #[test]
    fn missing_fields_and_garbage_become_problems_not_panics() {
        let bare = parsed("no-spec");
        assert_eq!(bare.inference_service, "");
        assert_eq!(bare.load_state().reason(), "NoStatus");
        assert!(
            bare.problems
                .0
                .iter()
                .any(|p| p.contains("spec.inferenceService"))
        );
        let garbage = parsed("garbage");
        assert!(garbage.url.is_none());
        assert!(garbage.conditions.is_empty());
        for want in [
            "spec.model is not",
            "status.conditions is not",
            "status.url",
        ] {
            assert!(
                garbage.problems.0.iter().any(|p| p.contains(want)),
                "{want}: {:?}",
                garbage.problems
            );
        }
        for v in [
            Value::Null,
            serde_json::json!([1, 2]),
            serde_json::json!({"status": {"conditions": [{"type": 3}, "x", {"type": "Ready"}]}}),
        ] {
            let tm = TrainedModel::parse(&v);
            assert!(!tm.problems.is_empty());
            assert_eq!(tm.load_state().label(), "Loading");
        }
    }

    #[test]
    fn a_wrong_framework_fails_and_a_missing_parent_waits() {
        let v = serde_json::json!({"metadata": {"name": "x", "namespace": "ml"},
            "spec": {"inferenceService": "gone", "model": {"storageUri": "s3://m", "framework": "xgboost"}},
            "status": {"conditions": [
                {"type": "FrameworkSupported", "status": "False", "reason": "FrameworkNotSupported", "message": "no"},
                {"type": "InferenceServiceReady", "status": "True"}]}});
        let state = TrainedModel::parse(&v).load_state();
        assert_eq!(state.reason(), "FrameworkNotSupported");
        assert!(state.failed());
        let orphan = serde_json::json!({"metadata": {"name": "o", "namespace": "ml"},
            "spec": {"inferenceService": "gone", "model": {"storageUri": "s3://m"}},
            "status": {"conditions": [
                {"type": "InferenceServiceReady", "status": "False", "reason": "InferenceServiceNotReady"},
                {"type": "Ready", "status": "False", "reason": "ModelLoading"}]}});
        let state = TrainedModel::parse(&orphan).load_state();
        assert_eq!(state.label(), "Loading");
        assert_eq!(state.reason(), "InferenceServiceNotReady");
    }
}
