//! GPU and cost messages: local NVML snapshots (kept with a 5-minute history), DCGM rounds
//! rolled up per node and per service (the services list's GPU% column), and the cost of
//! each service recomputed from its pods' nodes and the price table.

use crate::app::msg::GpuMsg;
use crate::domain::cost::{NodeFacts, PodUsage, idle_gpus, service_cost};
use crate::domain::dcgm::aggregate::{PodName, ServiceName, per_node, per_service};
use crate::domain::key::ObjectKey;
use crate::domain::kind::ClusterObject;
use crate::domain::pod::Pod;
use crate::domain::watch::WatchEvent;
use crate::sources::gpu::GpuReport;
use crate::state::State;
use crate::state::gpu::{ClusterGpus, LocalGpus, SERVICE_UTIL_WINDOW};

use std::collections::{BTreeSet, HashMap};

/// Applies a GPU message.
pub fn handle(state: &mut State, msg: GpuMsg) {
    match msg {
        GpuMsg::Local(GpuReport::Snapshot(snapshot)) => {
            state.gpu.history.push(&snapshot);
            state.gpu.local = LocalGpus::Available(snapshot);
        }
        GpuMsg::Local(GpuReport::Unavailable(why)) => state.gpu.local = LocalGpus::Unavailable(why),
        GpuMsg::Cluster(batch) => {
            // The services of the pods the batch names (not of every pod: at 30,000 pods a
            // round of readings would otherwise copy every pod's name).
            let owners: HashMap<PodName, ServiceName> = (batch.gpus.iter())
                .flat_map(|gpu| &gpu.workloads)
                .filter_map(|workload| {
                    let key = ObjectKey::new(&workload.namespace, &workload.pod);
                    let pod = state.cluster.pods.items.get(&key)?;
                    // Its InferenceService, or its LLMInferenceService.
                    let service = crate::state::cluster::pod_owner(pod)?;
                    Some((
                        PodName {
                            namespace: key.namespace,
                            name: key.name,
                        },
                        ServiceName {
                            namespace: service.namespace,
                            name: service.name,
                        },
                    ))
                })
                .collect();
            let services = per_service(&batch.gpus, &owners);
            for figures in state.figures.services.values_mut() {
                figures.gpu_util_pct = None;
            }
            let at = batch.taken_at;
            for use_ in &services {
                let key = ObjectKey::new(&use_.service.namespace, &use_.service.name);
                state
                    .figures
                    .services
                    .entry(key.clone())
                    .or_default()
                    .gpu_util_pct = use_.mean_util_pct;
                if let Some(util) = use_.mean_util_pct {
                    let series = state.gpu.service_util.entry(key).or_default();
                    series.push_back((at, util));
                    while series
                        .front()
                        .is_some_and(|(t, _)| at - *t > SERVICE_UTIL_WINDOW)
                    {
                        series.pop_front();
                    }
                }
            }
            state.gpu.cluster = Some(ClusterGpus {
                per_node: per_node(&batch.gpus),
                per_service: services,
                batch,
            });
            // Only a list sorted by GPU% reads these figures.
            if super::cluster::sorted_by(state, |c| {
                c == crate::state::services::ServiceColumn::GpuPct
            }) {
                state.derived.dirty = true;
            }
        }
    }
    state.dirty = true;
}

/// The nodes' facts the cost model needs, by node name.
pub fn node_facts(state: &State) -> HashMap<String, NodeFacts> {
    state
        .cluster
        .nodes
        .items
        .values()
        .map(|n| {
            (
                n.meta.name.clone(),
                NodeFacts {
                    name: n.meta.name.clone(),
                    instance_type: n.instance_type.clone(),
                    gpus: (n.gpu_allocatable > 0.0).then_some(n.gpu_allocatable),
                    cpu_millis: (n.cpu_capacity > 0.0).then_some((n.cpu_capacity * 1000.0) as u64),
                },
            )
        })
        .collect()
}

/// Recomputes one service's estimated cost from its live pods (none: no estimate).
fn refresh_cost_of(state: &mut State, key: &ObjectKey, nodes: &HashMap<String, NodeFacts>) {
    let pods: Vec<PodUsage> = state
        .cluster
        .pods_of(key)
        .filter(|p| !p.meta.deleting && p.phase != "Succeeded" && p.phase != "Failed")
        .map(|p| PodUsage {
            name: p.meta.name.clone(),
            node: p.node.clone(),
            gpus_requested: p.gpus(),
            cpu_request_millis: p.cpu_request_millis(),
        })
        .collect();
    let known = state.cluster.isvcs.items.contains_key(key)
        || state.cluster.llm_isvcs.items.contains_key(key);
    if pods.is_empty() || !known {
        state.costs.remove(key);
        return;
    }
    let (estimate, _) = service_cost(&pods, nodes, &state.prices);
    state
        .figures
        .services
        .entry(key.clone())
        .or_default()
        .usd_per_hour = estimate.usd_per_hour();
    state.costs.insert(key.clone(), estimate);
}

/// Recomputes the GPUs no pod requests.
fn refresh_idle_gpus(state: &mut State, nodes: &HashMap<String, NodeFacts>) {
    let live_pods: Vec<PodUsage> = state
        .cluster
        .pods
        .items
        .values()
        .filter(|p| !p.meta.deleting && p.phase != "Succeeded" && p.phase != "Failed")
        .map(|p| PodUsage {
            name: p.meta.name.clone(),
            node: p.node.clone(),
            gpus_requested: p.gpus(),
            cpu_request_millis: None,
        })
        .collect();
    state.idle_gpus = idle_gpus(nodes, &live_pods, &state.prices);
}

/// Recomputes every service's estimated cost from its pods, their nodes and the prices.
pub fn refresh_costs(state: &mut State) {
    let nodes = node_facts(state);
    state.costs.clear();
    let keys: Vec<ObjectKey> = (state.cluster.isvcs.items.keys())
        .chain(state.cluster.llm_isvcs.items.keys())
        .cloned()
        .collect();
    for key in &keys {
        refresh_cost_of(state, key, &nodes);
    }
    refresh_idle_gpus(state, &nodes);
}

/// Recomputes the costs after a node batch when the facts they are priced from changed
/// (a node added, removed, or of another type or size): a node's status updates alone
/// change no price, so they cost no recomputation of every service.
pub fn refresh_costs_after_nodes(state: &mut State, before: &HashMap<String, NodeFacts>) {
    if node_facts(state) != *before {
        refresh_costs(state);
    }
}

/// What a batch of pod events can change in the costs: the services of the pods it adds,
/// changes or deletes, and whether any of them requests GPUs (the idle GPUs then change).
/// Read before the batch is applied, so a deleted pod's owner is still known.
#[derive(Debug, Default, PartialEq)]
pub struct PodBatchReach {
    services: BTreeSet<ObjectKey>,
    gpus: bool,
    /// A relist or anything else that is not a pod upsert or delete: recompute everything.
    all: bool,
}

impl PodBatchReach {
    /// Marks the rows of the services the batch reaches (all of them after a relist).
    pub fn mark_rows(&self, derived: &mut crate::state::Derived) {
        if self.all {
            derived.dirty = true;
        }
        for key in &self.services {
            derived.touch(key);
        }
    }
}

pub fn pod_batch_reach(state: &State, events: &[WatchEvent]) -> PodBatchReach {
    let mut reach = PodBatchReach::default();
    let note = |reach: &mut PodBatchReach, pod: Option<&Pod>| {
        if let Some(pod) = pod {
            if let Some(service) = crate::state::cluster::pod_owner(pod) {
                reach.services.insert(service);
            }
            reach.gpus |= pod.gpus() > 0.0;
        }
    };
    for event in events {
        match event {
            WatchEvent::Upsert(ClusterObject::Pod(pod)) => {
                let old = state
                    .cluster
                    .pods
                    .items
                    .get(&ObjectKey::new(&pod.meta.namespace, &pod.meta.name));
                note(&mut reach, old);
                note(&mut reach, Some(pod));
            }
            WatchEvent::Delete(key) => note(&mut reach, state.cluster.pods.items.get(key)),
            _ => reach.all = true,
        }
    }
    reach
}

/// Recomputes the costs a pod batch can have changed (all of them after a relist): the
/// work per batch follows the pods in it, not the size of the cluster.
pub fn refresh_costs_after(state: &mut State, reach: &PodBatchReach) {
    if reach.all {
        return refresh_costs(state);
    }
    if reach.services.is_empty() && !reach.gpus {
        return;
    }
    let nodes = node_facts(state);
    for key in &reach.services {
        refresh_cost_of(state, key, &nodes);
    }
    if reach.gpus {
        refresh_idle_gpus(state, &nodes);
    }
}

#[cfg(test)]
mod cost_reach_tests {
    use super::*;
    use crate::app::msg::{ClusterMsg, Msg};
    use crate::app::update::update;
    use crate::domain::kind::{Kind, parse};
    use crate::ui::snapshot_tests::cluster_state;
    use serde_json::json;

    #[test]
    fn a_pod_batch_updates_the_costs_as_a_full_recomputation_would() {
        let mut state = cluster_state();
        refresh_costs(&mut state);
        let gpu_pod = json!({"metadata": {"name": "onnx-resnet-predictor-x1", "namespace": "ml-staging", "uid": "u-x1",
                "labels": {"serving.kserve.io/inferenceservice": "onnx-resnet", "component": "predictor"}},
            "spec": {"nodeName": "gpu-g5-1", "containers": [{"name": "kserve-container", "resources": {"limits": {"nvidia.com/gpu": "1"}}}]},
            "status": {"phase": "Running", "containerStatuses": [{"name": "kserve-container", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
        let gone = ObjectKey::new(
            "ml-prod",
            "fraud-detector-predictor-00001-deployment-6c7d8-x1k2p",
        );
        let before_fraud = state
            .costs
            .get(&ObjectKey::new("ml-prod", "fraud-detector"))
            .cloned();
        let epoch = state.cluster.epoch;
        let _ = update(
            &mut state,
            Msg::Cluster(ClusterMsg::Watch {
                epoch,
                kind: Kind::Pod,
                events: vec![
                    WatchEvent::Upsert(parse(Kind::Pod, &gpu_pod)),
                    WatchEvent::Delete(gone),
                ],
            }),
        );
        let mut full = state.clone();
        refresh_costs(&mut full);
        assert_ne!(
            format!("{before_fraud:?}"),
            format!(
                "{:?}",
                state
                    .costs
                    .get(&ObjectKey::new("ml-prod", "fraud-detector"))
            )
        );
        let mut ours: Vec<String> = state.costs.iter().map(|c| format!("{c:?}")).collect();
        let mut theirs: Vec<String> = full.costs.iter().map(|c| format!("{c:?}")).collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
        assert_eq!(state.idle_gpus, full.idle_gpus);
        assert!(
            state
                .costs
                .contains_key(&ObjectKey::new("ml-staging", "onnx-resnet"))
        );
    }

    fn node_batch(state: &State, instance: &str, ready: &str) -> Msg {
        let node = json!({"metadata": {"name": "gpu-g5-1", "labels": {"node.kubernetes.io/instance-type": instance}},
            "status": {"capacity": {"cpu": "8", "nvidia.com/gpu": "1"}, "allocatable": {"nvidia.com/gpu": "1"},
                "conditions": [{"type": "Ready", "status": ready}]}});
        Msg::Cluster(ClusterMsg::Watch {
            epoch: state.cluster.epoch,
            kind: Kind::Node,
            events: vec![WatchEvent::Upsert(parse(Kind::Node, &node))],
        })
    }

    fn sorted_costs(state: &State) -> Vec<String> {
        let mut costs: Vec<String> = state.costs.iter().map(|c| format!("{c:?}")).collect();
        costs.sort();
        costs
    }

    #[test]
    fn a_node_batch_reprices_the_services_only_when_the_nodes_facts_change() {
        let mut state = cluster_state();
        let msg = node_batch(&state, "g5.xlarge", "True");
        let _ = update(&mut state, msg);
        let priced = sorted_costs(&state);
        // A status change (the node not ready for a moment): the same facts, the same costs.
        let msg = node_batch(&state, "g5.xlarge", "False");
        let _ = update(&mut state, msg);
        assert_eq!(sorted_costs(&state), priced);
        // Another instance type: the costs follow, as a full recomputation has them.
        let msg = node_batch(&state, "g5.12xlarge", "True");
        let _ = update(&mut state, msg);
        let mut full = state.clone();
        refresh_costs(&mut full);
        assert_eq!(sorted_costs(&state), sorted_costs(&full));
        assert_ne!(sorted_costs(&state), priced, "the node's new price shows");
    }
}
