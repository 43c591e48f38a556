//! The demo's LLM serving, in namespace `llm` (beside its InferenceServices). Names (other
//! code and tests rely on them):
//!
//! | LLMInferenceService | what it shows |
//! | --- | --- |
//! | `qwen-chat` | healthy, one node (1 H100), scheduler + InferencePool, LoRA adapters `sql-lora` and `summarize-lora` |
//! | `llama-chat-stable` | routing group `llama-chat`, weight 90, healthy — the member to keep |
//! | `llama-chat-canary` | routing group `llama-chat`, weight 10, model build `2026-12-01`: TTFT p50 ≈ 0.9 s, preemptions, aborts — the LLM rollback drill |
//! | `deepseek-mn` | multi-node: a LeaderWorkerSet, leader + 1 worker, 2 H100 each |
//! | `granite-pd` | prefill/decode split: one decode and one prefill pod |
//! | `phi-internal` | stuck: its route attaches to Gateway `llm/internal-gateway`, which does not exist (WaitingForGateway) |
//!
//! The shared Gateway is `llm/kserve-ingress-gateway`; the GPUs are on `gpu-p5-1` and `gpu-p5-2`.

use super::nodes::{self, Shape};
use crate::sim::controller::{Behaviour, Controller};
use crate::sim::resources;
use serde_json::{Value, json};

/// AWS p5.48xlarge: 8 × H100 80GB.
pub const P5_48XLARGE: Shape = Shape {
    instance: "p5.48xlarge",
    cpu: 192,
    memory_gi: 2048,
    gpus: 8,
    gpu_product: "NVIDIA-H100-80GB-HBM3",
    gpu_model: "NVIDIA H100 80GB HBM3",
    gpu_mem_mib: 81_559.0,
    tdp_w: 700.0,
};

/// The model URI of the canary member whose build is slow.
pub const SLOW_CANARY_URI: &str = "hf://meta-llama/Llama-3.1-8B-Instruct@2026-12-01";

/// The LLM part of the demo's behaviour.
pub fn behaviour(b: &mut Behaviour) {
    b.slow_llm_uris.push("@2026-12-01".to_string());
    for (name, rps) in [
        ("qwen-chat", 3.0),
        ("llama-chat", 6.0),
        ("deepseek-mn", 2.0),
        ("granite-pd", 2.0),
        ("phi-internal", 0.0),
    ] {
        b.rps.insert(("llm".to_string(), name.to_string()), rps);
    }
}

/// The LLM nodes.
pub fn nodes(c: &mut Controller, first_index: u32) {
    for (i, name) in ["gpu-p5-1", "gpu-p5-2"].into_iter().enumerate() {
        let info = nodes::add(
            &c.ctl.store,
            &c.ctl.workload,
            name,
            P5_48XLARGE,
            "us-east-1a",
            first_index + i as u32,
        );
        c.ctl.nodes.push(info);
    }
}

fn template(gpus: u32) -> Value {
    json!({"nodeSelector": {"node.kubernetes.io/instance-type": "p5.48xlarge"},
        "containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": gpus.to_string(), "cpu": "8", "memory": "64Gi"}}}]})
}

fn llmisvc(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
        "metadata": {"name": name, "namespace": "llm", "labels": {"app.kubernetes.io/part-of": "kdeck-demo"}},
        "spec": spec})
}

fn router(group: Option<(&str, i64)>) -> Value {
    let mut r = json!({"gateway": {}, "route": {}, "scheduler": {}});
    if let Some((g, w)) = group {
        r["route"] = json!({"group": g, "weight": w});
    }
    r
}

/// Creates the Gateway and the LLM services, settled.
pub fn services(c: &mut Controller) {
    if let Some(r) = resources::find("gateway.networking.k8s.io", "v1", "gateways") {
        c.ctl.store.put(r, json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": crate::sim::controller::llm::DEFAULT_GATEWAY, "namespace": "llm"},
            "spec": {"gatewayClassName": "istio", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}));
    }
    let stable_uri = "hf://meta-llama/Llama-3.1-8B-Instruct";
    let services = [
        llmisvc(
            "qwen-chat",
            json!({"model": {"uri": "hf://Qwen/Qwen2.5-7B-Instruct", "name": "Qwen/Qwen2.5-7B-Instruct",
            "lora": {"adapters": [{"name": "sql-lora", "uri": "hf://kdeck-demo/qwen-sql-lora"}, {"name": "summarize-lora", "uri": "hf://kdeck-demo/qwen-summarize-lora"}]}},
            "replicas": 1, "template": template(1), "router": router(None)}),
        ),
        llmisvc(
            "llama-chat-stable",
            json!({"model": {"uri": stable_uri, "name": "meta-llama/Llama-3.1-8B-Instruct"},
            "replicas": 1, "template": template(1), "router": router(Some(("llama-chat", 90)))}),
        ),
        llmisvc(
            "llama-chat-canary",
            json!({"model": {"uri": SLOW_CANARY_URI, "name": "meta-llama/Llama-3.1-8B-Instruct"},
            "replicas": 1, "template": template(1), "router": router(Some(("llama-chat", 10)))}),
        ),
        llmisvc(
            "deepseek-mn",
            json!({"model": {"uri": "hf://deepseek-ai/DeepSeek-V2-Lite-Chat", "name": "deepseek-ai/DeepSeek-V2-Lite-Chat"},
            "replicas": 1, "parallelism": {"tensor": 2, "data": 2, "dataLocal": 1}, "template": template(2), "worker": template(2), "router": router(None)}),
        ),
        llmisvc(
            "granite-pd",
            json!({"model": {"uri": "hf://ibm-granite/granite-3.3-8b-instruct", "name": "ibm-granite/granite-3.3-8b-instruct"},
            "replicas": 1, "template": template(1), "prefill": {"replicas": 1, "template": template(1)}, "router": router(None)}),
        ),
        llmisvc(
            "phi-internal",
            json!({"model": {"uri": "hf://microsoft/Phi-4-mini-instruct", "name": "microsoft/Phi-4-mini-instruct"},
            "replicas": 1, "template": template(1),
            "router": {"gateway": {"refs": [{"name": "internal-gateway", "namespace": "llm"}]}, "route": {}, "scheduler": {}}}),
        ),
    ];
    let Some(r) = resources::storage_version("serving.kserve.io", "llminferenceservices") else {
        return;
    };
    let now = chrono::Utc::now();
    for s in services {
        let stored = c.ctl.store.put(r, s);
        c.llm.reconcile(&c.ctl, &stored, now);
    }
    // The webhook's labels went in as new versions: read them back, then settle.
    for obj in c.ctl.store.list(r, Some("llm")).0 {
        c.llm.reconcile(&c.ctl, &obj, now);
    }
    c.llm.step(&c.ctl, now);
    c.llm.step(&c.ctl, now);
}
