//! GPU and cost messages: local NVML snapshots (kept with a 5-minute history), DCGM rounds
//! rolled up per node and per service (the services list's GPU% column), and the cost of
//! each service recomputed from its pods' nodes and the price table.

use crate::app::msg::GpuMsg;
use crate::domain::cost::{NodeFacts, PodUsage, idle_gpus, service_cost};
use crate::domain::dcgm::aggregate::{PodName, ServiceName, per_node, per_service};
use crate::sources::gpu::GpuReport;
use crate::state::State;
use crate::state::gpu::{ClusterGpus, LocalGpus, SERVICE_UTIL_WINDOW};
use crate::state::ui::ObjectKey;
use std::collections::HashMap;

/// Applies a GPU message.
pub fn handle(state: &mut State, msg: GpuMsg) {
    match msg {
        GpuMsg::Local(GpuReport::Snapshot(snapshot)) => {
            state.gpu.history.push(&snapshot);
            state.gpu.local = LocalGpus::Available(snapshot);
        }
        GpuMsg::Local(GpuReport::Unavailable(why)) => state.gpu.local = LocalGpus::Unavailable(why),
        GpuMsg::Cluster(batch) => {
            let owners: HashMap<PodName, ServiceName> = state
                .cluster
                .pods
                .items
                .values()
                .filter_map(|p| {
                    // Its InferenceService, or its LLMInferenceService.
                    crate::state::cluster::pod_owner(p)
                        .map(|svc| svc.name)
                        .map(|svc| {
                            (
                                PodName {
                                    namespace: p.meta.namespace.clone(),
                                    name: p.meta.name.clone(),
                                },
                                ServiceName {
                                    namespace: p.meta.namespace.clone(),
                                    name: svc.to_string(),
                                },
                            )
                        })
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
            state.derived.dirty = true;
        }
    }
    state.dirty = true;
}

/// Recomputes every service's estimated cost from its pods, their nodes and the prices.
pub fn refresh_costs(state: &mut State) {
    let nodes: HashMap<String, NodeFacts> = state
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
        .collect();
    let mut costs = HashMap::new();
    let services = (state.cluster.isvcs.items.keys()).chain(state.cluster.llm_isvcs.items.keys());
    for key in services {
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
        if pods.is_empty() {
            continue;
        }
        let (estimate, _) = service_cost(&pods, &nodes, &state.prices);
        state
            .figures
            .services
            .entry(key.clone())
            .or_default()
            .usd_per_hour = estimate.usd_per_hour();
        costs.insert(key.clone(), estimate);
    }
    state.costs = costs;
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
    state.idle_gpus = idle_gpus(&nodes, &live_pods, &state.prices);
}
