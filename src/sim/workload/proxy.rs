//! What the pod proxy reaches on a simulated pod's ports: the model server's metrics and
//! health (and a transformer's, which reflect its predictors), queue-proxy's metrics, the
//! DCGM exporter's page for its node's GPUs, and vLLM's metrics and health.

use super::latency::Profile;
use super::metrics::{self, GpuReading, QueueLabels};
use super::{Inner, PodKey, PodWork, ProxyMiss, Role, Workload, key, llm};

impl Workload {
    /// The text the pod `ns/pod` serves on `port` at `path`.
    pub fn proxy(&self, ns: &str, pod: &str, port: u16, path: &str) -> Result<String, ProxyMiss> {
        self.read(|i| {
            let p = i.pods.get(&key(ns, pod)).ok_or(ProxyMiss::NoPod)?;
            if !p.ready {
                return Err(ProxyMiss::NotRunning);
            }
            let path = path.trim_start_matches('/');
            match (&p.role, port, path) {
                (
                    Role::ModelServer {
                        model,
                        profile,
                        service,
                        transformer: true,
                        ..
                    },
                    8080,
                    "metrics",
                ) => Ok(metrics::transformer(
                    model,
                    &p.counters,
                    profile,
                    &predictors_of(i, ns, service),
                )),
                (Role::ModelServer { model, profile, .. }, 8080, "metrics") => {
                    Ok(metrics::model_server(model, &p.counters, profile))
                }
                (
                    Role::ModelServer { model, .. },
                    8080,
                    "v2/health/ready" | "v2/health/live" | "",
                ) => Ok(format!("{{\"status\":\"alive\",\"model\":\"{model}\"}}")),
                (
                    Role::ModelServer {
                        service,
                        revision,
                        profile,
                        queue_proxy: true,
                        ..
                    },
                    9091,
                    "metrics",
                ) => {
                    let labels = QueueLabels {
                        namespace: ns,
                        pod,
                        revision,
                        service: &format!("{service}-predictor"),
                    };
                    Ok(metrics::queue_proxy(&labels, &p.counters, profile))
                }
                (Role::Dcgm { node }, 9400, "metrics") => Ok(dcgm_text(i, node)),
                (Role::Vllm { model, .. }, 8000, "metrics") => Ok(i
                    .vllm
                    .get(&key(ns, pod))
                    .map(|s| llm::vllm_metrics(model, s))
                    .unwrap_or_default()),
                (Role::Vllm { .. }, 8000, "health" | "ping") => Ok(String::new()),
                _ => Err(ProxyMiss::NothingOnPort(port)),
            }
        })
    }
}

/// The latency profiles of the ready predictor pods of `service`, each weighted by its
/// traffic (so a slow canary shows in the transformer's predict by its share).
fn predictors_of(i: &Inner, ns: &str, service: &str) -> Vec<(f64, Profile)> {
    i.pods
        .iter()
        .filter(|((pod_ns, _), p)| pod_ns == ns && p.ready)
        .filter_map(|(_, p)| match &p.role {
            Role::ModelServer {
                service: s,
                profile,
                transformer: false,
                explains: false,
                ..
            } if s == service => Some((p.rps, *profile)),
            _ => None,
        })
        .collect()
}

/// The DCGM exporter's text for one node: each GPU with the load of the pod using it.
fn dcgm_text(i: &Inner, node: &str) -> String {
    let slots = i.node_gpus.get(node).cloned().unwrap_or_default();
    let mut readings = Vec::new();
    let users: Vec<(&PodKey, &PodWork)> =
        i.pods.iter().filter(|(_, p)| !p.gpus.is_empty()).collect();
    let owned: Vec<(String, String, String, f64, f64)> = slots
        .iter()
        .map(|slot| {
            let user = users.iter().find(|(_, p)| p.gpus.contains(&slot.uuid));
            match user {
                Some(((ns, pod), p)) => {
                    let (util, mem) = match &p.role {
                        Role::ModelServer {
                            gpu_idle,
                            gpu_per_rps,
                            gpu_mem_mib,
                            ..
                        } if p.ready => (
                            (gpu_idle + gpu_per_rps * p.rps / p.gpus.len().max(1) as f64)
                                .min(100.0),
                            *gpu_mem_mib / p.gpus.len().max(1) as f64,
                        ),
                        Role::ModelServer { gpu_mem_mib, .. } => (0.0, gpu_mem_mib * 0.2),
                        Role::Vllm {
                            gpu_idle,
                            gpu_per_rps,
                            gpu_mem_mib,
                            ..
                        } => (
                            if p.ready {
                                (gpu_idle + gpu_per_rps * p.rps).min(100.0)
                            } else {
                                0.0
                            },
                            // vLLM takes its share of GPU memory up front (KV cache included).
                            *gpu_mem_mib,
                        ),
                        _ => (0.0, 0.0),
                    };
                    let container = if matches!(p.role, Role::Vllm { .. }) {
                        "main"
                    } else {
                        "kserve-container"
                    };
                    (ns.clone(), pod.clone(), container.to_string(), util, mem)
                }
                None => (String::new(), String::new(), String::new(), 0.0, 0.0),
            }
        })
        .collect();
    for (slot, (ns, pod, container, util, mem)) in slots.iter().zip(owned.iter()) {
        readings.push(GpuReading {
            index: slot.index,
            uuid: &slot.uuid,
            model: &slot.model,
            hostname: node,
            util: *util,
            fb_used_mib: *mem,
            fb_total_mib: slot.fb_total_mib,
            temp_c: 34.0 + util * 0.45,
            power_w: slot.tdp_w * (0.18 + 0.8 * util / 100.0),
            sm_clock: if *util > 0.0 { 1710.0 } else { 300.0 },
            mem_clock: 6250.0,
            pod: (!pod.is_empty()).then_some((ns.as_str(), pod.as_str(), container.as_str())),
        });
    }
    metrics::dcgm(&readings)
}
