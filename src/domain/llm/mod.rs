//! LLMInferenceService (`serving.kserve.io` v1alpha1 and v1alpha2) as the console reads it:
//! spec (model, LoRA adapters, workloads, router with routing group and weight, stop
//! annotation), status (condition tree, workloads, router, addresses, applied configs) and a
//! diagnosis. Parsing never fails: a malformed object becomes an `Llm` whose `problems` say
//! what could not be read.

pub mod conditions;
pub mod diagnose;
pub mod health;
pub mod pods;
pub mod spec;
pub mod status;
#[cfg(test)]
mod tests;
pub mod vllm;
pub mod window;

use super::isvc::{Readiness, STOP_ANNOTATION, strip_bulk};
use super::json::{Problems, str_at};
use super::k8s::{CondStatus, Meta, find};
use conditions::ConditionTree;
use serde_json::Value;
pub use spec::LlmSpec;
pub use status::LlmStatus;
use std::sync::Arc;

/// The label the webhook puts on every member of a routing group.
pub const ROUTING_GROUP_LABEL: &str = "serving.kserve.io/routing-group";
/// Labels of an LLMInferenceService's pods.
pub const POD_NAME_LABEL: &str = "app.kubernetes.io/name";
pub const POD_PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
pub const POD_PART_OF_VALUE: &str = "llminferenceservice";
/// The model server's container.
pub const MAIN_CONTAINER: &str = "main";

/// An LLMInferenceService as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Llm {
    pub meta: Meta,
    /// `v1alpha1` or `v1alpha2` (from apiVersion; empty when missing).
    pub version: String,
    pub spec: LlmSpec,
    pub status: LlmStatus,
    pub problems: Problems,
    /// The object as JSON without managedFields, for the YAML view.
    pub raw: Arc<str>,
}

impl Llm {
    /// Reads an LLMInferenceService from its JSON. Never fails.
    pub fn parse(value: &Value) -> Llm {
        let mut problems = Problems::default();
        problems.check_type(value, &["spec"], "an object", Value::is_object);
        problems.check_type(value, &["status"], "an object", Value::is_object);
        problems.check_type(value, &["status", "conditions"], "a list", Value::is_array);
        problems.check_type(value, &["spec", "model"], "an object", Value::is_object);
        problems.check_type(value, &["spec", "router"], "an object", Value::is_object);
        problems.check_type(
            value,
            &["status", "router", "group", "members"],
            "a list",
            Value::is_array,
        );
        let meta = Meta::parse(value);
        if meta.name.is_empty() {
            problems.push("metadata.name is missing");
        }
        let spec = LlmSpec::parse(value.get("spec").unwrap_or(&Value::Null));
        if value.get("spec").is_some_and(Value::is_object) && spec.model_uri.is_none() {
            problems.push("spec.model.uri is missing");
        }
        let version = str_at(value, &["apiVersion"])
            .and_then(|v| v.rsplit('/').next())
            .unwrap_or("")
            .to_string();
        let mut stripped = value.clone();
        strip_bulk(&mut stripped);
        Llm {
            status: LlmStatus::parse(value.get("status")),
            version,
            spec,
            problems,
            raw: Arc::from(stripped.to_string()),
            meta,
        }
    }

    /// Stopped by the `serving.kserve.io/stop: "true"` annotation.
    pub fn stopped(&self) -> bool {
        self.meta.annotation(STOP_ANNOTATION) == Some("true")
    }

    /// The model name clients send (`spec.model.name`, else the object's name).
    pub fn model_name(&self) -> &str {
        self.spec.model_name.as_deref().unwrap_or(&self.meta.name)
    }

    /// The routing group: the spec's, else the webhook's label, else the status's.
    pub fn group(&self) -> Option<&str> {
        self.spec
            .group()
            .or_else(|| self.meta.label(ROUTING_GROUP_LABEL))
            .or_else(|| {
                self.status
                    .router
                    .group
                    .as_ref()
                    .map(|g| g.name.as_str())
                    .filter(|n| !n.is_empty())
            })
    }

    pub fn condition_tree(&self) -> ConditionTree {
        conditions::tree(&self.status.conditions)
    }

    /// Ready, not ready (with the deepest failing reason), progressing, or unknown. A false
    /// PresetsCombined counts as not ready: the controller stops before workloads and router.
    pub fn readiness(&self) -> Readiness {
        if !self.status.present {
            return Readiness::Unknown;
        }
        let all = &self.status.conditions;
        if let Some(presets) = find(all, "PresetsCombined")
            && presets.status == CondStatus::False
        {
            return Readiness::NotReady(non_empty(&presets.reason, "PresetsCombined"));
        }
        let tree = self.condition_tree();
        let reason = || {
            tree.ready
                .failing_leaves()
                .iter()
                .filter_map(|n| n.condition.as_ref())
                .map(|c| c.reason.to_string())
                .find(|r| !r.is_empty())
                .or_else(|| {
                    find(all, "Ready")
                        .map(|c| c.reason.to_string())
                        .filter(|r| !r.is_empty())
                })
        };
        match find(all, "Ready").map(|c| c.status) {
            Some(CondStatus::True) => Readiness::Ready,
            Some(CondStatus::False) => {
                Readiness::NotReady(reason().unwrap_or_else(|| "NotReady".to_string()))
            }
            _ => Readiness::Progressing(reason().unwrap_or_else(|| "Reconciling".to_string())),
        }
    }

    /// GPUs one replica asks for (main and prefill workloads).
    pub fn gpus_per_replica(&self) -> f64 {
        self.spec.gpus_per_replica()
    }

    /// The topology in a word: `single`, `multi-node`, `P/D`, `multi-node P/D`.
    pub fn topology(&self) -> &'static str {
        match (self.spec.main.multi_node, self.spec.prefill.is_some()) {
            (false, false) => "single",
            (true, false) => "multi-node",
            (false, true) => "P/D",
            (true, true) => "multi-node P/D",
        }
    }
}

fn non_empty(text: &str, fallback: &str) -> String {
    if text.is_empty() {
        fallback.to_string()
    } else {
        text.to_string()
    }
}
