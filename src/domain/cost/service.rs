//! $/hour of a service: Σ over its pods of (node $/hour × the share of the node the pod
//! takes). A GPU pod's share is GPUs requested / GPUs on the node; a CPU pod's is CPU request
//! / node CPU. The node's instance type comes from its `node.kubernetes.io/instance-type`
//! label. Anything unknown makes the cost unknown (or partial) with a reason, never $0.

use super::table::{LIST_PRICE_LABEL, PriceTable};
use std::collections::HashMap;

/// The node label with the instance type.
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";

/// What the cost needs to know about a node (from the watched Node object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeFacts {
    pub name: String,
    /// The `node.kubernetes.io/instance-type` label.
    pub instance_type: Option<String>,
    /// Allocatable `nvidia.com/gpu`; the price table's count is used when absent.
    pub gpus: Option<f64>,
    /// Allocatable CPU in millicores.
    pub cpu_millis: Option<u64>,
}

/// What the cost needs to know about a pod (from the watched Pod object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodUsage {
    pub name: String,
    /// `spec.nodeName`; `None` while the pod is not scheduled.
    pub node: Option<String>,
    /// Σ of the containers' `nvidia.com/gpu` requests (limits, for extended resources).
    pub gpus_requested: f64,
    /// Σ of the containers' CPU requests in millicores.
    pub cpu_request_millis: Option<u64>,
}

/// One pod's part of the cost.
#[derive(Debug, Clone, PartialEq)]
pub enum PodCost {
    Known {
        usd_per_hour: f64,
        /// The share of the node, 0–1.
        share: f64,
        instance: String,
    },
    Unknown {
        reason: String,
    },
    /// Not on a node yet: costs nothing so far.
    Unscheduled,
}

/// A service's estimated cost.
#[derive(Debug, Clone, PartialEq)]
pub enum CostEstimate {
    Known {
        usd_per_hour: f64,
    },
    /// Some pods' costs are unknown; `at_least` is the sum of the known ones.
    Partial {
        at_least: f64,
        reasons: Vec<String>,
    },
    Unknown {
        reasons: Vec<String>,
    },
}

impl CostEstimate {
    /// The full $/hour, only when every pod's cost is known.
    pub fn usd_per_hour(&self) -> Option<f64> {
        match self {
            CostEstimate::Known { usd_per_hour } => Some(*usd_per_hour),
            _ => None,
        }
    }

    /// A cell such as `$1.01/h (list-price estimate)`, `≥ $0.75/h (…)` or `unknown`.
    pub fn describe(&self) -> String {
        match self {
            CostEstimate::Known { usd_per_hour } => {
                format!("${usd_per_hour:.2}/h ({LIST_PRICE_LABEL})")
            }
            CostEstimate::Partial { at_least, .. } => {
                format!("≥ ${at_least:.2}/h ({LIST_PRICE_LABEL}, some pods unknown)")
            }
            CostEstimate::Unknown { .. } => "unknown".into(),
        }
    }

    /// Why (part of) the cost is unknown.
    pub fn reasons(&self) -> &[String] {
        match self {
            CostEstimate::Known { .. } => &[],
            CostEstimate::Partial { reasons, .. } | CostEstimate::Unknown { reasons } => reasons,
        }
    }
}

/// The cost of one pod.
pub fn pod_cost(pod: &PodUsage, nodes: &HashMap<String, NodeFacts>, table: &PriceTable) -> PodCost {
    let unknown = |reason: String| PodCost::Unknown { reason };
    let Some(node_name) = &pod.node else {
        return PodCost::Unscheduled;
    };
    let Some(node) = nodes.get(node_name) else {
        return unknown(format!("pod {}: node {node_name} is not known", pod.name));
    };
    let Some(instance) = &node.instance_type else {
        return unknown(format!(
            "pod {}: node {node_name} has no {INSTANCE_TYPE_LABEL} label",
            pod.name
        ));
    };
    let spec = table.get(instance);
    let Some(price) = spec.and_then(|s| s.usd_per_hour) else {
        return unknown(format!(
            "pod {}: no price for instance type {instance}; add `\"{instance}\" = <usd per \
             hour>` under [prices] in config.toml",
            pod.name
        ));
    };
    let share = if pod.gpus_requested > 0.0 {
        let node_gpus = node.gpus.filter(|g| *g > 0.0).or_else(|| {
            spec.and_then(|s| s.gpus)
                .map(f64::from)
                .filter(|g| *g > 0.0)
        });
        match node_gpus {
            Some(total) => pod.gpus_requested / total,
            None => {
                return unknown(format!(
                    "pod {}: requests GPUs but node {node_name} ({instance}) reports none",
                    pod.name
                ));
            }
        }
    } else {
        match (pod.cpu_request_millis, node.cpu_millis) {
            (Some(req), Some(total)) if total > 0 => req as f64 / total as f64,
            (None, _) | (Some(0), _) => {
                return unknown(format!(
                    "pod {}: no CPU request, so its share of node {node_name} is unknown",
                    pod.name
                ));
            }
            (Some(_), _) => {
                return unknown(format!(
                    "pod {}: node {node_name} reports no allocatable CPU",
                    pod.name
                ));
            }
        }
    };
    let share = share.clamp(0.0, 1.0);
    PodCost::Known {
        usd_per_hour: price * share,
        share,
        instance: instance.clone(),
    }
}

/// The cost of a service's pods, pod by pod and in total.
pub fn service_cost(
    pods: &[PodUsage],
    nodes: &HashMap<String, NodeFacts>,
    table: &PriceTable,
) -> (CostEstimate, Vec<(String, PodCost)>) {
    let per_pod: Vec<(String, PodCost)> = pods
        .iter()
        .map(|p| (p.name.clone(), pod_cost(p, nodes, table)))
        .collect();
    let mut known = 0.0;
    let mut any_known = false;
    let mut reasons = Vec::new();
    for (_, cost) in &per_pod {
        match cost {
            PodCost::Known { usd_per_hour, .. } => {
                known += usd_per_hour;
                any_known = true;
            }
            PodCost::Unknown { reason } => reasons.push(reason.clone()),
            PodCost::Unscheduled => {}
        }
    }
    let total = match (reasons.is_empty(), any_known) {
        (true, _) => CostEstimate::Known {
            usd_per_hour: known,
        },
        (false, true) => CostEstimate::Partial {
            at_least: known,
            reasons,
        },
        (false, false) => CostEstimate::Unknown { reasons },
    };
    (total, per_pod)
}
