//! Nodes: instance type and GPU labels (well-known labels and NVIDIA GPU feature discovery),
//! capacity, readiness.

use super::json::{array_at, at, str_at};
use super::k8s::{Meta, is_gpu_resource, quantity_value};
use serde_json::Value;

pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";
pub const LEGACY_INSTANCE_TYPE_LABEL: &str = "beta.kubernetes.io/instance-type";
pub const GPU_PRODUCT_LABEL: &str = "nvidia.com/gpu.product";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

/// A node, compactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub meta: Meta,
    pub instance_type: Option<String>,
    pub gpu_product: Option<String>,
    pub zone: Option<String>,
    pub gpu_capacity: f64,
    pub gpu_allocatable: f64,
    pub cpu_capacity: f64,
    pub memory_bytes: f64,
    pub ready: bool,
    pub unschedulable: bool,
}

fn gpu_sum(value: &Value, section: &str) -> f64 {
    at(value, &["status", section])
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| is_gpu_resource(k))
                .filter_map(|(_, v)| quantity_value(v))
                .sum()
        })
        .unwrap_or(0.0)
}

impl Node {
    pub fn parse(value: &Value) -> Node {
        let meta = Meta::parse(value);
        let label = |k: &str| meta.label(k).map(str::to_string);
        Node {
            instance_type: label(INSTANCE_TYPE_LABEL).or_else(|| label(LEGACY_INSTANCE_TYPE_LABEL)),
            gpu_product: label(GPU_PRODUCT_LABEL),
            zone: label(ZONE_LABEL),
            gpu_capacity: gpu_sum(value, "capacity"),
            gpu_allocatable: gpu_sum(value, "allocatable"),
            cpu_capacity: at(value, &["status", "capacity", "cpu"])
                .and_then(quantity_value)
                .unwrap_or(0.0),
            memory_bytes: at(value, &["status", "capacity", "memory"])
                .and_then(quantity_value)
                .unwrap_or(0.0),
            ready: array_at(value, &["status", "conditions"]).iter().any(|c| {
                str_at(c, &["type"]) == Some("Ready") && str_at(c, &["status"]) == Some("True")
            }),
            unschedulable: at(value, &["spec", "unschedulable"])
                .and_then(Value::as_bool)
                .unwrap_or(false),
            meta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gpu_node() {
        let n = Node::parse(&json!({"metadata": {"name": "gpu-1", "labels": {
                "node.kubernetes.io/instance-type": "g5.xlarge", "nvidia.com/gpu.product": "NVIDIA-A10G"}},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
                       "allocatable": {"nvidia.com/gpu": "1"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}));
        assert_eq!(n.instance_type.as_deref(), Some("g5.xlarge"));
        assert_eq!(n.gpu_capacity, 1.0);
        assert_eq!(n.cpu_capacity, 4.0);
        assert!(n.ready);
    }
}
