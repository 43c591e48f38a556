//! What an LLMInferenceService asks for, read from its spec and annotations: replicas of the
//! main workload, workers per replica (multi-node, a LeaderWorkerSet), the prefill workload,
//! GPUs per pod, the model and its LoRA adapters, the router (gateway references, scheduler,
//! routing group and weight), the configs it builds on, and whether it is stopped.

use serde_json::Value;

/// The annotation that scales a service to zero (KServe's stop annotation).
pub const STOP: &str = "serving.kserve.io/stop";
/// The label the webhook puts on members of a routing group.
pub const GROUP_LABEL: &str = "serving.kserve.io/routing-group";

/// A workload: replicas, and pods per replica beyond the leader (multi-node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Workload {
    pub replicas: u32,
    pub workers: u32,
}

/// What the service wants.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    pub main: Workload,
    pub prefill: Option<Workload>,
    pub gpus: u32,
    pub node_type: Option<String>,
    pub model_uri: String,
    pub model_name: String,
    pub adapters: Vec<String>,
    /// Gateways the route attaches to (namespace, name).
    pub gateways: Vec<(String, String)>,
    pub scheduler: bool,
    pub group: Option<String>,
    pub weight: i64,
    pub stopped: bool,
    pub base_refs: Vec<String>,
}

fn count(v: &Value, default: u32) -> u32 {
    v.as_u64()
        .map(|n| n as u32)
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(default)
}

/// GPUs a pod template asks for (the `main` container's limits, or requests).
fn gpus_of(template: &Value) -> u32 {
    let containers = template["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    containers
        .iter()
        .find(|c| c["name"] == "main")
        .or(containers.first())
        .map(|c| {
            let r = &c["resources"];
            count(&r["limits"]["nvidia.com/gpu"], 0).max(count(&r["requests"]["nvidia.com/gpu"], 0))
        })
        .unwrap_or(0)
}

fn workload(spec: &Value) -> Workload {
    let workers = if spec["worker"].is_object() {
        // Data-parallel ranks across nodes: (data / dataLocal) nodes, the leader included.
        let p = &spec["parallelism"];
        let data = count(&p["data"], 1).max(1);
        let local = count(&p["dataLocal"], 1).max(1);
        let pipeline = count(&p["pipeline"], 1).max(1);
        ((data / local).max(pipeline)).max(2) - 1
    } else {
        0
    };
    Workload {
        replicas: count(&spec["replicas"], 1),
        workers,
    }
}

/// Reads an LLMInferenceService object.
pub fn wanted(obj: &Value) -> Wanted {
    let spec = &obj["spec"];
    let ns = obj["metadata"]["namespace"].as_str().unwrap_or("");
    let model_uri = spec["model"]["uri"].as_str().unwrap_or("").to_string();
    let model_name = spec["model"]["name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            model_uri
                .split_once("://")
                .map(|(_, p)| p.to_string())
                .unwrap_or_else(|| obj["metadata"]["name"].as_str().unwrap_or("").to_string())
        });
    let adapters = spec["model"]["lora"]["adapters"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let router = &spec["router"];
    let gateways: Vec<(String, String)> = match router["gateway"]["refs"].as_array() {
        Some(refs) => refs
            .iter()
            .filter_map(|r| {
                let name = r["name"].as_str()?;
                Some((
                    r["namespace"].as_str().unwrap_or(ns).to_string(),
                    name.to_string(),
                ))
            })
            .collect(),
        // A managed gateway: the cluster's default one.
        None if router["gateway"].is_object() => {
            vec![(ns.to_string(), super::DEFAULT_GATEWAY.to_string())]
        }
        None => Vec::new(),
    };
    let group = router["route"]["group"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            obj["metadata"]["labels"][GROUP_LABEL]
                .as_str()
                .map(str::to_string)
        });
    let template = &spec["template"];
    Wanted {
        main: workload(spec),
        prefill: spec["prefill"]
            .is_object()
            .then(|| workload(&spec["prefill"])),
        gpus: gpus_of(template),
        node_type: template["nodeSelector"]["node.kubernetes.io/instance-type"]
            .as_str()
            .map(str::to_string),
        model_uri,
        model_name,
        adapters,
        gateways,
        scheduler: router["scheduler"].is_object(),
        group,
        weight: router["route"]["weight"].as_i64().unwrap_or(1),
        stopped: obj["metadata"]["annotations"][STOP].as_str() == Some("true"),
        base_refs: spec["baseRefs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_multi_node_group_member() {
        let obj = json!({"metadata": {"name": "m", "namespace": "llm", "annotations": {STOP: "true"}},
            "spec": {"model": {"uri": "hf://org/model", "lora": {"adapters": [{"name": "a1"}]}},
                "replicas": 2, "parallelism": {"data": 4, "dataLocal": 2}, "worker": {},
                "template": {"containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]},
                "router": {"gateway": {}, "route": {"group": "g", "weight": 90}, "scheduler": {}}}});
        let w = wanted(&obj);
        assert_eq!(
            w.main,
            Workload {
                replicas: 2,
                workers: 1
            }
        );
        assert_eq!(w.gpus, 2);
        assert_eq!(w.model_name, "org/model");
        assert_eq!(w.adapters, vec!["a1"]);
        assert_eq!(
            w.gateways,
            vec![("llm".to_string(), super::super::DEFAULT_GATEWAY.to_string())]
        );
        assert_eq!(
            (w.group.as_deref(), w.weight, w.stopped, w.scheduler),
            (Some("g"), 90, true, true)
        );
    }
}
