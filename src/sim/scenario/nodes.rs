//! Nodes of the simulated cluster: CPU nodes and GPU nodes of several AWS families (facts
//! from the AWS instance-type table: GPU model, count and memory), with the well-known
//! instance-type, zone and NVIDIA GPU-feature-discovery labels, capacity and allocatable,
//! and one DCGM exporter pod per GPU node (namespace gpu-operator, port 9400).

use crate::sim::clock::stamp;
use crate::sim::controller::pods::{NodeInfo, suffix};
use crate::sim::resources;
use crate::sim::store::Store;
use crate::sim::workload::{GpuSlot, Role, Workload};
use serde_json::json;

/// An instance type's GPU facts.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub instance: &'static str,
    pub cpu: u32,
    pub memory_gi: u32,
    pub gpus: u32,
    pub gpu_product: &'static str,
    pub gpu_model: &'static str,
    pub gpu_mem_mib: f64,
    pub tdp_w: f64,
}

pub const M5_2XLARGE: Shape = Shape {
    instance: "m5.2xlarge",
    cpu: 8,
    memory_gi: 32,
    gpus: 0,
    gpu_product: "",
    gpu_model: "",
    gpu_mem_mib: 0.0,
    tdp_w: 0.0,
};
pub const G4DN_XLARGE: Shape = Shape {
    instance: "g4dn.xlarge",
    cpu: 4,
    memory_gi: 16,
    gpus: 1,
    gpu_product: "Tesla-T4",
    gpu_model: "Tesla T4",
    gpu_mem_mib: 15_360.0,
    tdp_w: 70.0,
};
pub const G4DN_2XLARGE: Shape = Shape {
    instance: "g4dn.2xlarge",
    cpu: 8,
    memory_gi: 32,
    gpus: 1,
    gpu_product: "Tesla-T4",
    gpu_model: "Tesla T4",
    gpu_mem_mib: 15_360.0,
    tdp_w: 70.0,
};
pub const G5_XLARGE: Shape = Shape {
    instance: "g5.xlarge",
    cpu: 4,
    memory_gi: 16,
    gpus: 1,
    gpu_product: "NVIDIA-A10G",
    gpu_model: "NVIDIA A10G",
    gpu_mem_mib: 23_028.0,
    tdp_w: 300.0,
};
pub const G5_12XLARGE: Shape = Shape {
    instance: "g5.12xlarge",
    cpu: 48,
    memory_gi: 192,
    gpus: 4,
    gpu_product: "NVIDIA-A10G",
    gpu_model: "NVIDIA A10G",
    gpu_mem_mib: 23_028.0,
    tdp_w: 300.0,
};
pub const P4D_24XLARGE: Shape = Shape {
    instance: "p4d.24xlarge",
    cpu: 96,
    memory_gi: 1152,
    gpus: 8,
    gpu_product: "NVIDIA-A100-SXM4-40GB",
    gpu_model: "NVIDIA A100-SXM4-40GB",
    gpu_mem_mib: 40_960.0,
    tdp_w: 400.0,
};

/// Adds a node (and, for GPU nodes, its GPUs and DCGM exporter); returns its scheduling info.
pub fn add(
    store: &Store,
    workload: &Workload,
    name: &str,
    shape: Shape,
    zone: &str,
    index: u32,
) -> NodeInfo {
    let now = stamp(chrono::Utc::now() - chrono::Duration::days(12));
    let mut labels = json!({
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": shape.instance, "topology.kubernetes.io/zone": zone,
        "topology.kubernetes.io/region": "us-east-1",
    });
    let mut capacity = json!({"cpu": shape.cpu.to_string(), "memory": format!("{}Gi", shape.memory_gi), "pods": "110"});
    if shape.gpus > 0 {
        labels["nvidia.com/gpu.product"] = json!(shape.gpu_product);
        labels["nvidia.com/gpu.count"] = json!(shape.gpus.to_string());
        labels["nvidia.com/gpu.memory"] = json!(format!("{}", shape.gpu_mem_mib as u64));
        capacity["nvidia.com/gpu"] = json!(shape.gpus.to_string());
    }
    if let Some(r) = resources::find("", "v1", "nodes") {
        store.put(r, json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels, "creationTimestamp": now},
            "spec": {"providerID": format!("aws:///{zone}/i-0{:015x}", crate::sim::controller::events::fxhash(name))},
            "status": {"capacity": capacity, "allocatable": capacity,
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastTransitionTime": now}],
                "nodeInfo": {"kubeletVersion": "v1.33.0", "containerRuntimeVersion": "containerd://1.7.22", "osImage": "Amazon Linux 2023"},
                "addresses": [{"type": "InternalIP", "address": format!("10.0.{index}.10")}]}
        }));
    }
    if shape.gpus > 0 {
        let slots = (0..shape.gpus)
            .map(|i| GpuSlot {
                index: i,
                uuid: format!(
                    "GPU-{:08x}-{:04x}-4{:03x}-8000-{:012x}",
                    crate::sim::controller::events::fxhash(name) & 0xffff_ffff,
                    i,
                    index,
                    crate::sim::controller::events::fxhash(&format!("{name}{i}"))
                        & 0xffff_ffff_ffff
                ),
                model: shape.gpu_model.to_string(),
                fb_total_mib: shape.gpu_mem_mib,
                tdp_w: shape.tdp_w,
            })
            .collect();
        workload.add_node_gpus(name, slots);
        add_exporter(store, workload, name, index);
    }
    NodeInfo {
        name: name.to_string(),
        instance_type: shape.instance.to_string(),
        gpus: shape.gpus,
        index,
    }
}

fn add_exporter(store: &Store, workload: &Workload, node: &str, index: u32) {
    let Some(r) = resources::find("", "v1", "pods") else {
        return;
    };
    let name = format!("nvidia-dcgm-exporter-{}", suffix(node));
    let t = stamp(chrono::Utc::now() - chrono::Duration::days(12));
    store.put(r, json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "gpu-operator", "creationTimestamp": t,
            "labels": {"app": "nvidia-dcgm-exporter", "app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/managed-by": "gpu-operator"},
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9400"}},
        "spec": {"nodeName": node, "containers": [{"name": "nvidia-dcgm-exporter", "image": "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-ubuntu22.04",
            "ports": [{"containerPort": 9400, "name": "metrics"}]}]},
        "status": {"phase": "Running", "podIP": format!("10.244.{index}.3"), "startTime": t,
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "nvidia-dcgm-exporter", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": t}}}]}
    }));
    workload.add_pod(
        "gpu-operator",
        &name,
        Role::Dcgm {
            node: node.to_string(),
        },
        Some(node.to_string()),
        Vec::new(),
        &["nvidia-dcgm-exporter"],
    );
    workload.set_ready("gpu-operator", &name, true);
    workload.log(
        "gpu-operator",
        &name,
        "nvidia-dcgm-exporter",
        "level=info msg=\"Starting webserver\" address=:9400",
    );
}
