//! The spec of an LLMInferenceService (v1alpha1 and v1alpha2 share these fields): the model
//! and its LoRA adapters, the main (decode) and prefill workloads, and the router with its
//! routing group and weight. Read tolerantly: a field of the wrong type reads as absent.

use crate::domain::json::{array_at, at, bool_at, int_at, str_at};
use crate::domain::k8s::gpus_in_resources;
use serde_json::Value;

/// One LoRA adapter attached to the base model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoraAdapter {
    pub name: String,
    pub uri: String,
}

/// Parallelism of the runtime (`tensor`, `pipeline`, `data`, `dataLocal`, `expert`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parallelism {
    pub tensor: Option<i64>,
    pub pipeline: Option<i64>,
    pub data: Option<i64>,
    pub data_local: Option<i64>,
    pub expert: bool,
}

impl Parallelism {
    /// `TP 4 · PP 2 · DP 2 · EP`, or empty when nothing is set.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("TP", self.tensor),
            ("PP", self.pipeline),
            ("DP", self.data),
            ("DPL", self.data_local),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} {v}"));
            }
        }
        if self.expert {
            parts.push("EP".to_string());
        }
        parts.join(" · ")
    }
}

/// One workload: the main (decode) one at the top of the spec, or `spec.prefill`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkloadSpec {
    pub replicas: Option<i64>,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    pub parallelism: Parallelism,
    /// A `worker` pod spec is present: a multi-node LeaderWorkerSet.
    pub multi_node: bool,
    /// GPUs the head (or single) pod's containers ask for.
    pub gpus_per_pod: f64,
    /// GPUs each worker pod's containers ask for.
    pub gpus_per_worker: f64,
}

/// The router: HTTPRoute, gateway refs, scheduler, and the routing group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouterSpec {
    /// `spec.router.route.group`: members of one group share traffic by weight.
    pub group: Option<String>,
    /// `spec.router.route.weight`: this member's proportional share.
    pub weight: Option<i64>,
    pub has_route: bool,
    pub gateway_refs: Vec<String>,
    /// A managed scheduler (llm-d EPP) with an InferencePool is asked for.
    pub scheduler: bool,
    /// `spec.router.scheduler.pool.ref.name`: an existing pool instead of a managed one.
    pub pool_ref: Option<String>,
}

/// What the spec asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlmSpec {
    pub model_uri: Option<String>,
    /// The name clients send as `model`; defaults to the object's name.
    pub model_name: Option<String>,
    pub lora_adapters: Vec<LoraAdapter>,
    pub main: WorkloadSpec,
    pub prefill: Option<WorkloadSpec>,
    pub router: Option<RouterSpec>,
    pub base_refs: Vec<String>,
}

fn opt(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).map(str::to_string)
}

fn pod_gpus(pod_spec: Option<&Value>) -> f64 {
    array_at(pod_spec.unwrap_or(&Value::Null), &["containers"])
        .iter()
        .map(|c| gpus_in_resources(c.get("resources").unwrap_or(&Value::Null)))
        .sum()
}

fn workload(v: &Value) -> WorkloadSpec {
    WorkloadSpec {
        replicas: int_at(v, &["replicas"]),
        min_replicas: int_at(v, &["scaling", "minReplicas"]),
        max_replicas: int_at(v, &["scaling", "maxReplicas"]),
        parallelism: Parallelism {
            tensor: int_at(v, &["parallelism", "tensor"]),
            pipeline: int_at(v, &["parallelism", "pipeline"]),
            data: int_at(v, &["parallelism", "data"]),
            data_local: int_at(v, &["parallelism", "dataLocal"]),
            expert: bool_at(v, &["parallelism", "expert"]).unwrap_or(false),
        },
        multi_node: v.get("worker").is_some_and(Value::is_object),
        gpus_per_pod: pod_gpus(v.get("template")),
        gpus_per_worker: pod_gpus(v.get("worker")),
    }
}

fn router(v: &Value) -> RouterSpec {
    RouterSpec {
        group: opt(v, &["route", "group"]).filter(|g| !g.is_empty()),
        weight: int_at(v, &["route", "weight"]),
        has_route: v.get("route").is_some_and(Value::is_object),
        gateway_refs: array_at(v, &["gateway", "refs"])
            .iter()
            .filter_map(|r| {
                let name = str_at(r, &["name"])?;
                Some(match str_at(r, &["namespace"]) {
                    Some(ns) => format!("{ns}/{name}"),
                    None => name.to_string(),
                })
            })
            .collect(),
        scheduler: v.get("scheduler").is_some_and(Value::is_object),
        pool_ref: opt(v, &["scheduler", "pool", "ref", "name"]),
    }
}

impl LlmSpec {
    /// Reads `spec`. Never fails; a non-object spec reads as empty.
    pub fn parse(spec: &Value) -> LlmSpec {
        LlmSpec {
            model_uri: opt(spec, &["model", "uri"]),
            model_name: opt(spec, &["model", "name"]),
            lora_adapters: array_at(spec, &["model", "lora", "adapters"])
                .iter()
                .map(|a| LoraAdapter {
                    name: opt(a, &["name"]).unwrap_or_default(),
                    uri: opt(a, &["uri"]).unwrap_or_default(),
                })
                .collect(),
            main: workload(spec),
            prefill: spec.get("prefill").filter(|p| p.is_object()).map(workload),
            router: at(spec, &["router"]).filter(|r| r.is_object()).map(router),
            base_refs: array_at(spec, &["baseRefs"])
                .iter()
                .filter_map(|r| opt(r, &["name"]))
                .collect(),
        }
    }

    /// The routing group, if the service is a member of one.
    pub fn group(&self) -> Option<&str> {
        self.router.as_ref()?.group.as_deref()
    }

    /// This member's declared weight.
    pub fn weight(&self) -> Option<i64> {
        self.router.as_ref()?.weight
    }

    /// GPUs one replica of the main workload and of the prefill workload ask for (head and
    /// workers; a multi-node replica's size is its pipeline × data-local parallelism where
    /// set, one worker otherwise).
    pub fn gpus_per_replica(&self) -> f64 {
        let one = |w: &WorkloadSpec| {
            if w.multi_node {
                let workers = w.parallelism.pipeline.unwrap_or(2).max(2) - 1;
                w.gpus_per_pod + w.gpus_per_worker * workers as f64
            } else {
                w.gpus_per_pod
            }
        };
        one(&self.main) + self.prefill.as_ref().map(one).unwrap_or(0.0)
    }
}
