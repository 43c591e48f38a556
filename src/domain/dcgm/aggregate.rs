//! DCGM records rolled up per InferenceService and per node.
//!
//! The caller supplies which service each pod belongs to (from the watched pods' labels).
//! A GPU used by several pods of one service counts once for it; a GPU shared by pods of
//! different services counts for each of them, with the whole GPU's memory.

use super::DcgmGpu;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A pod, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PodName {
    pub namespace: String,
    pub name: String,
}

/// An InferenceService, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
}

/// GPU use of one service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceGpuUse {
    pub service: ServiceName,
    /// GPUs and MIG instances its pods use.
    pub gpus: usize,
    /// Mean utilisation over those that report one.
    pub mean_util_pct: Option<f64>,
    pub memory_used_mib: f64,
    /// Known only when every one of its GPUs reports used and free memory.
    pub memory_total_mib: Option<f64>,
    pub pods: Vec<String>,
}

/// GPU use of one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGpuUse {
    pub hostname: String,
    /// Physical GPUs (distinct UUIDs).
    pub gpus: usize,
    pub mig_instances: usize,
    /// Mean over physical GPUs; a GPU in MIG mode counts with the mean of its instances,
    /// weighted by their compute slices (`3g.20gb` weighs 3).
    pub mean_util_pct: Option<f64>,
    pub memory_used_mib: f64,
}

/// Per-service GPU use, sorted by namespace and name.
pub fn per_service(
    gpus: &[DcgmGpu],
    pod_services: &HashMap<PodName, ServiceName>,
) -> Vec<ServiceGpuUse> {
    let mut by_service: BTreeMap<ServiceName, (Vec<&DcgmGpu>, Vec<String>)> = BTreeMap::new();
    for gpu in gpus {
        for workload in &gpu.workloads {
            let pod = PodName {
                namespace: workload.namespace.clone(),
                name: workload.pod.clone(),
            };
            let Some(service) = pod_services.get(&pod) else {
                continue;
            };
            let (used, pods) = by_service.entry(service.clone()).or_default();
            if !used.iter().any(|g| std::ptr::eq(*g, gpu)) {
                used.push(gpu);
            }
            if !pods.contains(&workload.pod) {
                pods.push(workload.pod.clone());
            }
        }
    }
    by_service
        .into_iter()
        .map(|(service, (used, mut pods))| {
            pods.sort();
            ServiceGpuUse {
                service,
                gpus: used.len(),
                mean_util_pct: mean(used.iter().filter_map(|g| g.util_pct)),
                memory_used_mib: used.iter().filter_map(|g| g.fb_used_mib).sum(),
                memory_total_mib: used.iter().map(|g| g.fb_total_mib()).sum(),
                pods,
            }
        })
        .collect()
}

/// Per-node GPU use, sorted by host name (records without one are grouped under `?`).
pub fn per_node(gpus: &[DcgmGpu]) -> Vec<NodeGpuUse> {
    let mut by_node: BTreeMap<String, Vec<&DcgmGpu>> = BTreeMap::new();
    for gpu in gpus {
        let host = gpu.hostname.clone().unwrap_or_else(|| "?".into());
        by_node.entry(host).or_default().push(gpu);
    }
    by_node
        .into_iter()
        .map(|(hostname, records)| {
            // One entry per physical GPU: (device-level record, MIG instance records).
            let mut physical: BTreeMap<String, (Option<&DcgmGpu>, Vec<&DcgmGpu>)> = BTreeMap::new();
            for r in &records {
                let key = r.uuid.clone().unwrap_or_else(|| format!("gpu {}", r.gpu));
                let entry = physical.entry(key).or_default();
                match r.mig {
                    Some(_) => entry.1.push(r),
                    None => entry.0 = Some(r),
                }
            }
            let utils = physical.values().filter_map(|(device, slices)| {
                device
                    .and_then(|d| d.util_pct)
                    .or_else(|| weighted_slice_util(slices))
            });
            NodeGpuUse {
                gpus: physical.len(),
                mig_instances: physical.values().map(|(_, s)| s.len()).sum(),
                mean_util_pct: mean(utils),
                memory_used_mib: physical
                    .values()
                    .map(|(device, slices)| {
                        let from_slices: f64 = slices.iter().filter_map(|s| s.fb_used_mib).sum();
                        match device.and_then(|d| d.fb_used_mib) {
                            Some(used) if slices.is_empty() => used,
                            _ => from_slices,
                        }
                    })
                    .sum(),
                hostname,
            }
        })
        .collect()
}

fn weighted_slice_util(slices: &[&DcgmGpu]) -> Option<f64> {
    let mut total = 0.0;
    let mut weights = 0.0;
    for slice in slices {
        let Some(util) = slice.util_pct else { continue };
        let weight = slice
            .mig
            .as_ref()
            .and_then(|m| m.profile.as_deref())
            .and_then(compute_slices)
            .unwrap_or(1.0);
        total += util * weight;
        weights += weight;
    }
    (weights > 0.0).then(|| total / weights)
}

/// `3g.20gb` → 3 (also `1c.3g.20gb` → 1 for compute instances).
fn compute_slices(profile: &str) -> Option<f64> {
    let first = profile.split('.').next()?;
    let digits = first
        .strip_suffix('g')
        .or_else(|| first.strip_suffix('c'))?;
    digits.parse::<f64>().ok().filter(|w| *w > 0.0)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_weights() {
        assert_eq!(compute_slices("3g.20gb"), Some(3.0));
        assert_eq!(compute_slices("1g.5gb"), Some(1.0));
        assert_eq!(compute_slices("odd"), None);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean(std::iter::empty()), None);
        assert_eq!(mean([10.0, 20.0].into_iter()), Some(15.0));
    }
}
