//! InferenceService (`serving.kserve.io/v1beta1`) as the console reads it: the parts of the
//! spec and status an operator needs, parsed tolerantly (FACTS.md §a–§c).
//!
//! Parsing never fails: a malformed object still becomes an `Isvc` whose `problems` say what
//! could not be read, so the list shows a row with an error marker instead of hiding it.

use super::json::{Problems, array_at, at, int_at, str_at};
use super::k8s::{CondStatus, Condition, Meta, conditions, find, gpus_in_resources, parse_time};
use super::mode::DeploymentMode;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub const DEPLOYMENT_MODE_ANNOTATION: &str = "serving.kserve.io/deploymentMode";
pub const TAG_ROUTING_ANNOTATION: &str = "serving.kserve.io/enable-tag-routing";
pub const STOP_ANNOTATION: &str = "serving.kserve.io/stop";

/// Where a predictor's model is: `model` (today's form) or, in older specs, one of the
/// per-framework fields (any one of them is the implementation).
pub const MODEL_KEYS: &[&str] = &[
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "pmml",
    "lightgbm",
    "paddle",
];

/// The legacy per-framework fields alone.
const FRAMEWORKS: &[&str] = MODEL_KEYS.split_at(1).1;

/// The key of `predictor`'s model (`model` or a framework name), if it has one.
pub fn model_key(predictor: &Value) -> Option<&'static str> {
    MODEL_KEYS
        .iter()
        .copied()
        .find(|k| predictor.get(*k).is_some())
}

/// A component of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    Predictor,
    Transformer,
    Explainer,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 3] = [
        ComponentKind::Predictor,
        ComponentKind::Transformer,
        ComponentKind::Explainer,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ComponentKind::Predictor => "predictor",
            ComponentKind::Transformer => "transformer",
            ComponentKind::Explainer => "explainer",
        }
    }
}

/// What the spec asks for one component.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComponentSpec {
    /// `model`, a legacy framework name (`sklearn` …), `containers`, or `art` (explainer).
    pub implementation: String,
    pub model_format: Option<String>,
    pub runtime: Option<String>,
    pub runtime_version: Option<String>,
    pub storage_uri: Option<String>,
    pub protocol: Option<String>,
    pub image: Option<String>,
    pub gpus_per_replica: f64,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    pub canary_traffic_percent: Option<i64>,
}

/// One entry of a component's `status.traffic` (a Knative traffic target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficTarget {
    pub revision: String,
    pub percent: i64,
    pub latest: bool,
    pub tag: Option<String>,
    pub url: Option<String>,
}

/// What the status says about one component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentStatus {
    pub latest_ready: Option<String>,
    pub latest_created: Option<String>,
    pub latest_rolledout: Option<String>,
    pub previous_rolledout: Option<String>,
    pub traffic: Vec<TrafficTarget>,
    pub url: Option<String>,
}

/// Why the model last failed to load.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FailureInfo {
    pub reason: String,
    pub message: String,
    pub location: String,
    pub time: Option<DateTime<Utc>>,
}

/// `status.modelStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelStatus {
    pub transition: Option<String>,
    pub active: Option<String>,
    pub target: Option<String>,
    pub failure: Option<FailureInfo>,
}

/// A Standard-mode canary (`spec.canary[]`, KServe v0.20+) with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canary {
    pub name: String,
    pub traffic_percent: i64,
    pub storage_uri: Option<String>,
    pub ready: Option<bool>,
}

/// Where the service stands, for the READY column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    NotReady(String),
    Progressing(String),
    Unknown,
}

impl Readiness {
    /// The readiness in words, as the READY cell shows it after its mark.
    pub fn word(&self) -> &str {
        match self {
            Readiness::Ready => "Ready",
            Readiness::NotReady(reason) | Readiness::Progressing(reason) => reason,
            Readiness::Unknown => "no status",
        }
    }
}

/// An InferenceService as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Isvc {
    pub meta: Meta,
    pub mode: Option<DeploymentMode>,
    pub components: Vec<(ComponentKind, ComponentSpec)>,
    pub canaries: Vec<Canary>,
    pub has_status: bool,
    pub observed_generation: Option<i64>,
    pub conditions: Vec<Condition>,
    pub url: Option<String>,
    pub status: Vec<(ComponentKind, ComponentStatus)>,
    pub model_status: Option<ModelStatus>,
    pub problems: Problems,
    // No copy of the object's JSON is kept (about 2 KB a service): the YAML view, a plan
    // and a snapshot read the object from the API server when they need it.
}

fn opt_string(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).map(str::to_string)
}

fn parse_component(v: &Value, kind: ComponentKind) -> ComponentSpec {
    let model = v.get("model");
    let framework = FRAMEWORKS.iter().find(|f| v.get(**f).is_some());
    let (implementation, body) = if let Some(model) = model {
        ("model".to_string(), model)
    } else if let Some(framework) = framework {
        (framework.to_string(), &v[*framework])
    } else if v.get("art").is_some() {
        ("art".to_string(), &v["art"])
    } else if let Some(first) = v
        .get("containers")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    {
        ("containers".to_string(), first)
    } else {
        (String::new(), &Value::Null)
    };
    let model_format =
        opt_string(body, &["modelFormat", "name"]).or_else(|| framework.map(|f| f.to_string()));
    let resources = body.get("resources").unwrap_or(&Value::Null);
    let request = |name: &str| {
        at(resources, &["requests", name])
            .or_else(|| at(resources, &["limits", name]))
            .and_then(|q| match q {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let _ = kind;
    ComponentSpec {
        implementation,
        model_format,
        runtime: opt_string(body, &["runtime"]),
        runtime_version: opt_string(body, &["runtimeVersion"]),
        storage_uri: opt_string(body, &["storageUri"]).or_else(|| opt_string(v, &["storageUri"])),
        protocol: opt_string(body, &["protocolVersion"]),
        image: opt_string(body, &["image"]),
        gpus_per_replica: gpus_in_resources(resources),
        cpu: request("cpu"),
        memory: request("memory"),
        min_replicas: int_at(v, &["minReplicas"]),
        max_replicas: int_at(v, &["maxReplicas"]),
        canary_traffic_percent: int_at(v, &["canaryTrafficPercent"]),
    }
}

fn parse_status(v: &Value) -> ComponentStatus {
    ComponentStatus {
        latest_ready: opt_string(v, &["latestReadyRevision"]),
        latest_created: opt_string(v, &["latestCreatedRevision"]),
        latest_rolledout: opt_string(v, &["latestRolledoutRevision"]).filter(|s| !s.is_empty()),
        previous_rolledout: opt_string(v, &["previousRolledoutRevision"]).filter(|s| !s.is_empty()),
        traffic: array_at(v, &["traffic"])
            .iter()
            .map(|t| TrafficTarget {
                revision: opt_string(t, &["revisionName"]).unwrap_or_default(),
                percent: int_at(t, &["percent"]).unwrap_or(0),
                latest: t
                    .get("latestRevision")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                tag: opt_string(t, &["tag"]),
                url: opt_string(t, &["url"]),
            })
            .collect(),
        url: opt_string(v, &["url"]),
    }
}

fn parse_model_status(v: &Value) -> Option<ModelStatus> {
    let m = at(v, &["status", "modelStatus"])?;
    let failure = m.get("lastFailureInfo").map(|f| FailureInfo {
        reason: opt_string(f, &["reason"]).unwrap_or_default(),
        message: opt_string(f, &["message"]).unwrap_or_default(),
        location: opt_string(f, &["location"]).unwrap_or_default(),
        time: str_at(f, &["time"]).and_then(parse_time),
    });
    Some(ModelStatus {
        transition: opt_string(m, &["transitionStatus"]),
        active: opt_string(m, &["states", "activeModelState"]).filter(|s| !s.is_empty()),
        target: opt_string(m, &["states", "targetModelState"]).filter(|s| !s.is_empty()),
        failure,
    })
}

/// The object without the bulk that nobody reads in a console.
pub fn strip_bulk(value: &mut Value) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
}

impl Isvc {
    /// Reads an InferenceService from its JSON. Never fails.
    pub fn parse(value: &Value) -> Isvc {
        let mut problems = Problems::default();
        problems.check_type(value, &["spec"], "an object", Value::is_object);
        problems.check_type(value, &["status"], "an object", Value::is_object);
        problems.check_type(value, &["status", "conditions"], "a list", Value::is_array);
        problems.check_type(value, &["spec", "predictor"], "an object", Value::is_object);
        let meta = Meta::parse(value);
        if meta.name.is_empty() {
            problems.push("metadata.name is missing");
        }
        let mode = str_at(value, &["status", "deploymentMode"])
            .and_then(DeploymentMode::parse)
            .or_else(|| {
                meta.annotation(DEPLOYMENT_MODE_ANNOTATION)
                    .and_then(DeploymentMode::parse)
            });
        let mut components = Vec::new();
        let mut status = Vec::new();
        for kind in ComponentKind::ALL {
            if let Some(spec) = at(value, &["spec", kind.key()]).filter(|v| v.is_object()) {
                let parsed = parse_component(spec, kind);
                if kind == ComponentKind::Predictor && parsed.implementation.is_empty() {
                    problems.push("spec.predictor names no model, framework or container");
                }
                components.push((kind, parsed));
            }
            if let Some(s) =
                at(value, &["status", "components", kind.key()]).filter(|v| v.is_object())
            {
                status.push((kind, parse_status(s)));
            }
        }
        // Kept for the session: no room for the components a service does not have (a
        // pushed-to Vec holds four, and a ComponentSpec is about 300 bytes).
        components.shrink_to_fit();
        status.shrink_to_fit();
        if !components
            .iter()
            .any(|(k, _)| *k == ComponentKind::Predictor)
        {
            problems.push("spec.predictor is missing");
        }
        let canary_status = |name: &str| {
            array_at(value, &["status", "canaryStatuses"])
                .iter()
                .find(|s| str_at(s, &["name"]) == Some(name))
                .and_then(|s| s.get("ready").and_then(Value::as_bool))
        };
        let canaries = array_at(value, &["spec", "canary"])
            .iter()
            .map(|c| {
                let name = str_at(c, &["predictor", "name"]).unwrap_or("").to_string();
                Canary {
                    ready: canary_status(&name),
                    traffic_percent: int_at(c, &["trafficPercent"]).unwrap_or(0),
                    storage_uri: str_at(c, &["predictor", "model", "storageUri"])
                        .or_else(|| str_at(c, &["predictor", "storageUri"]))
                        .map(str::to_string),
                    name,
                }
            })
            .collect();
        let mut canaries: Vec<Canary> = canaries;
        super::traffic_check::check_percents(
            &mut components,
            &mut status,
            &mut canaries,
            &mut problems,
        );
        Isvc {
            has_status: value.get("status").is_some_and(Value::is_object),
            observed_generation: int_at(value, &["status", "observedGeneration"]),
            conditions: conditions(value, &["status", "conditions"]),
            url: opt_string(value, &["status", "url"]),
            model_status: parse_model_status(value),
            mode,
            components,
            canaries,
            status,
            problems,
            meta,
        }
    }

    pub fn component(&self, kind: ComponentKind) -> Option<&ComponentSpec> {
        self.components
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, c)| c)
    }

    pub fn component_status(&self, kind: ComponentKind) -> Option<&ComponentStatus> {
        self.status.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
    }

    pub fn predictor(&self) -> Option<&ComponentSpec> {
        self.component(ComponentKind::Predictor)
    }

    pub fn predictor_status(&self) -> Option<&ComponentStatus> {
        self.component_status(ComponentKind::Predictor)
    }

    /// Whether the service is stopped by the `serving.kserve.io/stop` annotation.
    pub fn stopped(&self) -> bool {
        self.meta.annotation(STOP_ANNOTATION) == Some("true")
    }

    /// Ready, not ready (with the most telling reason), progressing, or unknown.
    pub fn readiness(&self) -> Readiness {
        if !self.has_status {
            return Readiness::Unknown;
        }
        let ready = find(&self.conditions, "Ready");
        let reason = || {
            let from = |kind: &str| {
                find(&self.conditions, kind)
                    .filter(|c| c.status != CondStatus::True && !c.reason.is_empty())
                    .map(|c| c.reason.to_string())
            };
            self.model_status
                .as_ref()
                .and_then(|m| m.failure.as_ref())
                .map(|f| f.reason.clone())
                .filter(|r| !r.is_empty())
                .or_else(|| from("PredictorReady"))
                .or_else(|| from("Ready"))
                .or_else(|| from("IngressReady"))
                .or_else(|| from("TransformerReady"))
                .or_else(|| from("ExplainerReady"))
        };
        match ready.map(|c| c.status) {
            Some(CondStatus::True) => Readiness::Ready,
            Some(CondStatus::False) => {
                Readiness::NotReady(reason().unwrap_or_else(|| "NotReady".to_string()))
            }
            _ => Readiness::Progressing(reason().unwrap_or_else(|| "Reconciling".to_string())),
        }
    }

    /// GPUs one replica of every component asks for, summed.
    pub fn gpus_per_replica(&self) -> f64 {
        self.components
            .iter()
            .map(|(_, c)| c.gpus_per_replica)
            .sum()
    }

    /// The model format or runtime shown in the list: `runtime` if named, else the format.
    pub fn runtime_label(&self) -> String {
        let Some(p) = self.predictor() else {
            return String::new();
        };
        match (&p.runtime, &p.model_format) {
            (Some(runtime), _) => runtime.clone(),
            (None, Some(format)) => format.clone(),
            (None, None) if p.implementation == "containers" => "custom".to_string(),
            _ => String::new(),
        }
    }

    /// `canaryTrafficPercent` of the predictor, if set.
    pub fn canary_percent(&self) -> Option<i64> {
        self.predictor().and_then(|p| p.canary_traffic_percent)
    }

    /// The traffic split as shown in the list: `r2 10% · r1 90%`, `r1 100%`, or the
    /// Standard-mode canaries `fast 20% · stable 80%`.
    pub fn traffic_label(&self, sep: &str) -> String {
        if let Some(status) = self.predictor_status()
            && !status.traffic.is_empty()
        {
            let mut entries: Vec<&TrafficTarget> = status.traffic.iter().collect();
            entries.sort_by_key(|t| std::cmp::Reverse(revision_number(&t.revision).unwrap_or(0)));
            return entries
                .iter()
                .map(|t| format!("{} {}%", short_revision(&t.revision), t.percent))
                .collect::<Vec<_>>()
                .join(&format!(" {sep} "));
        }
        if !self.canaries.is_empty() {
            let ready_share: i64 = self
                .canaries
                .iter()
                .filter(|c| c.ready == Some(true))
                .map(|c| c.traffic_percent)
                .sum();
            let mut parts: Vec<String> = self
                .canaries
                .iter()
                .map(|c| {
                    let pct = if c.ready == Some(true) {
                        c.traffic_percent
                    } else {
                        0
                    };
                    format!("{} {pct}%", c.name)
                })
                .collect();
            parts.push(format!("stable {}%", (100 - ready_share).max(0)));
            return parts.join(&format!(" {sep} "));
        }
        String::new()
    }

    /// Whether a Knative canary is in progress (a latest revision with less than 100 %).
    pub fn canary_in_progress(&self) -> bool {
        self.predictor_status()
            .map(|s| s.traffic.iter().any(|t| t.latest && t.percent < 100) && s.traffic.len() > 1)
            .unwrap_or(false)
            || self.canaries.iter().any(|c| c.traffic_percent > 0)
    }
}

/// The number at the end of a revision name (`sklearn-iris-predictor-00002` → 2).
pub fn revision_number(revision: &str) -> Option<u64> {
    revision.rsplit('-').next()?.parse().ok()
}

/// `r2` for `…-00002`, else the revision name itself.
pub fn short_revision(revision: &str) -> String {
    match revision_number(revision) {
        Some(n) => format!("r{n}"),
        None => revision.to_string(),
    }
}

#[cfg(test)]
#[path = "isvc_tests.rs"]
mod tests;
