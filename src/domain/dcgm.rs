//! NVIDIA DCGM exporter metrics → one record per GPU (or MIG instance) in the cluster.
//!
//! The exporter (`:9400/metrics`) labels every series with `gpu`, `UUID`, `pci_bus_id`,
//! `device`, `modelName`, `GPU_I_PROFILE`/`GPU_I_ID` for MIG instances, the host name
//! (`Hostname` in released images, `hostname` on newer ones: both are accepted),
//! `DCGM_FI_DRIVER_VERSION`, and `container`/`namespace`/`pod` when the pod mapping is on
//! (empty values count as absent). Through Prometheus the pod labels may be renamed
//! `exported_pod` etc.; those win. Utilisation is `DCGM_FI_DEV_GPU_UTIL`, or
//! `DCGM_FI_PROF_GR_ENGINE_ACTIVE` × 100 where that is all there is, or where a MIG slice
//! reports GPU_UTIL as 0 (DCGM does not measure it per instance).

pub mod aggregate;
pub mod prom_api;

use crate::domain::prom::Exposition;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The metric names this module reads.
pub mod metric {
    pub const GPU_UTIL: &str = "DCGM_FI_DEV_GPU_UTIL";
    pub const GR_ENGINE_ACTIVE: &str = "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
    pub const FB_USED: &str = "DCGM_FI_DEV_FB_USED";
    pub const FB_FREE: &str = "DCGM_FI_DEV_FB_FREE";
    pub const GPU_TEMP: &str = "DCGM_FI_DEV_GPU_TEMP";
    pub const POWER_USAGE: &str = "DCGM_FI_DEV_POWER_USAGE";
    pub const SM_CLOCK: &str = "DCGM_FI_DEV_SM_CLOCK";
    pub const MEM_CLOCK: &str = "DCGM_FI_DEV_MEM_CLOCK";
    /// All of them, in the order above.
    pub const ALL: [&str; 8] = [
        GPU_UTIL,
        GR_ENGINE_ACTIVE,
        FB_USED,
        FB_FREE,
        GPU_TEMP,
        POWER_USAGE,
        SM_CLOCK,
        MEM_CLOCK,
    ];
}

/// One sample of one DCGM metric, whichever way it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct DcgmSample {
    pub metric: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// A MIG instance of a GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigSlice {
    pub profile: Option<String>,
    pub instance_id: String,
}

/// A pod (and container) using a GPU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Workload {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
}

/// One GPU, or one MIG instance of a GPU, as the exporter reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DcgmGpu {
    pub hostname: Option<String>,
    /// The `gpu` label (the index on its node).
    pub gpu: String,
    pub uuid: Option<String>,
    pub model_name: Option<String>,
    pub pci_bus_id: Option<String>,
    pub driver_version: Option<String>,
    pub mig: Option<MigSlice>,
    pub util_pct: Option<f64>,
    pub fb_used_mib: Option<f64>,
    pub fb_free_mib: Option<f64>,
    pub temperature_c: Option<f64>,
    pub power_w: Option<f64>,
    pub sm_clock_mhz: Option<f64>,
    pub mem_clock_mhz: Option<f64>,
    pub workloads: Vec<Workload>,
}

impl DcgmGpu {
    /// Framebuffer size, when both used and free are known.
    pub fn fb_total_mib(&self) -> Option<f64> {
        Some(self.fb_used_mib? + self.fb_free_mib?)
    }
}

/// The outcome of one scrape round, sent by the DCGM source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DcgmBatch {
    pub taken_at: DateTime<Utc>,
    /// How many exporters (or Prometheus servers) were asked.
    pub targets: usize,
    pub gpus: Vec<DcgmGpu>,
    /// Per target that could not be read: what happened and what to do.
    pub errors: Vec<TargetError>,
    /// Parts of a scrape that did not parse, and other non-fatal notes.
    pub warnings: Vec<String>,
}

/// A target that could not be read this round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetError {
    pub target: String,
    pub message: String,
}

/// The DCGM samples in a parsed scrape.
pub fn samples_from_exposition(exposition: &Exposition) -> Vec<DcgmSample> {
    exposition
        .families
        .iter()
        .filter(|f| metric::ALL.contains(&f.name.as_str()))
        .flat_map(|f| {
            f.samples.iter().map(|s| DcgmSample {
                metric: f.name.clone(),
                labels: s
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                value: s.value,
            })
        })
        .collect()
}

/// Records from a scrape. `node_name` fills in the host when the exporter sends no host label
/// (the scraper knows which node the exporter pod runs on).
pub fn parse_scrape(exposition: &Exposition, node_name: Option<&str>) -> Vec<DcgmGpu> {
    gpus_from_samples(&samples_from_exposition(exposition), node_name)
}

/// Groups samples into one record per (host, GPU UUID, MIG instance).
pub fn gpus_from_samples(samples: &[DcgmSample], node_name: Option<&str>) -> Vec<DcgmGpu> {
    let exporters = exporter_pods(samples);
    let mut gpus: Vec<DcgmGpu> = Vec::new();
    let mut engine_active: Vec<Option<f64>> = Vec::new();
    for sample in samples {
        if !sample.value.is_finite() {
            continue;
        }
        let labels = &sample.labels;
        let hostname = label(labels, &["Hostname", "hostname"])
            .or(node_name)
            .map(str::to_string);
        let uuid = label(labels, &["UUID", "uuid"]).map(str::to_string);
        let gpu = label(labels, &["gpu"]).unwrap_or("").to_string();
        let mig = label(labels, &["GPU_I_ID"]).map(|id| MigSlice {
            profile: label(labels, &["GPU_I_PROFILE"]).map(str::to_string),
            instance_id: id.to_string(),
        });
        let at = match gpus.iter().position(|g| {
            g.hostname == hostname
                && g.uuid == uuid
                && g.mig.as_ref().map(|m| &m.instance_id) == mig.as_ref().map(|m| &m.instance_id)
                && (uuid.is_some() || g.gpu == gpu)
        }) {
            Some(at) => at,
            None => {
                gpus.push(DcgmGpu {
                    hostname,
                    gpu,
                    uuid,
                    model_name: label(labels, &["modelName"]).map(str::to_string),
                    pci_bus_id: label(labels, &["pci_bus_id"]).map(str::to_string),
                    driver_version: label(labels, &["DCGM_FI_DRIVER_VERSION"]).map(str::to_string),
                    mig,
                    ..DcgmGpu::default()
                });
                engine_active.push(None);
                gpus.len() - 1
            }
        };
        let record = &mut gpus[at];
        if let Some(workload) = workload(labels, &exporters)
            && !record.workloads.contains(&workload)
        {
            record.workloads.push(workload);
        }
        let v = Some(sample.value);
        match sample.metric.as_str() {
            metric::GPU_UTIL => record.util_pct = record.util_pct.or(v),
            metric::GR_ENGINE_ACTIVE => engine_active[at] = engine_active[at].or(v),
            metric::FB_USED => record.fb_used_mib = record.fb_used_mib.or(v),
            metric::FB_FREE => record.fb_free_mib = record.fb_free_mib.or(v),
            metric::GPU_TEMP => record.temperature_c = record.temperature_c.or(v),
            metric::POWER_USAGE => record.power_w = record.power_w.or(v),
            metric::SM_CLOCK => record.sm_clock_mhz = record.sm_clock_mhz.or(v),
            metric::MEM_CLOCK => record.mem_clock_mhz = record.mem_clock_mhz.or(v),
            _ => {}
        }
    }
    for (record, active) in gpus.iter_mut().zip(engine_active) {
        // A MIG slice reports DCGM_FI_DEV_GPU_UTIL as 0 (not measured per instance): its
        // graphics engine activity is its utilisation.
        let unmeasured_slice = record.mig.is_some() && record.util_pct == Some(0.0);
        if (record.util_pct.is_none() || unmeasured_slice) && active.is_some() {
            record.util_pct = active.map(|ratio| (ratio * 100.0).clamp(0.0, 100.0));
        }
        record.workloads.sort();
    }
    gpus
}

/// The first non-empty value among `keys`.
fn label<'a>(labels: &'a [(String, String)], keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|key| {
        labels
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    })
}

/// Through Prometheus, a series whose exporter-side pod labels were renamed `exported_*` has
/// plain `namespace`/`pod` labels naming the exporter pod itself. Those exporter pods, so
/// that series of GPUs without a workload are not attributed to the exporter.
fn exporter_pods(samples: &[DcgmSample]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in samples {
        if label(&s.labels, &["exported_pod"]).is_none() {
            continue;
        }
        if let (Some(ns), Some(pod)) =
            (label(&s.labels, &["namespace"]), label(&s.labels, &["pod"]))
            && !out.iter().any(|(n, p)| n == ns && p == pod)
        {
            out.push((ns.to_string(), pod.to_string()));
        }
    }
    out
}

fn workload(labels: &[(String, String)], exporters: &[(String, String)]) -> Option<Workload> {
    if label(labels, &["exported_pod"]).is_some() {
        return Some(Workload {
            namespace: label(labels, &["exported_namespace"])?.to_string(),
            pod: label(labels, &["exported_pod"])?.to_string(),
            container: label(labels, &["exported_container"]).map(str::to_string),
        });
    }
    let namespace = label(labels, &["namespace"])?;
    let pod = label(labels, &["pod"])?;
    let container = label(labels, &["container"]);
    let is_exporter = exporters.iter().any(|(n, p)| n == namespace && p == pod)
        || container.is_some_and(|c| c.contains("dcgm-exporter"));
    (!is_exporter).then(|| Workload {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: container.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(metric: &str, labels: &[(&str, &str)], value: f64) -> DcgmSample {
        DcgmSample {
            metric: metric.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn engine_activity_stands_in_for_missing_utilisation() {
        let labels = [("gpu", "0"), ("UUID", "GPU-x"), ("GPU_I_ID", "3")];
        let gpus = gpus_from_samples(&[sample(metric::GR_ENGINE_ACTIVE, &labels, 0.25)], None);
        assert_eq!(gpus[0].util_pct, Some(25.0));
    }

    #[test]
    fn missing_host_label_uses_the_node_name_and_nan_is_skipped() {
        let labels = [("gpu", "0"), ("UUID", "GPU-x")];
        let gpus = gpus_from_samples(
            &[
                sample(metric::GPU_UTIL, &labels, f64::NAN),
                sample(metric::GPU_TEMP, &labels, 40.0),
            ],
            Some("node-a"),
        );
        assert_eq!(gpus[0].hostname.as_deref(), Some("node-a"));
        assert_eq!(gpus[0].util_pct, None);
        assert_eq!(gpus[0].temperature_c, Some(40.0));
    }

    #[test]
    fn exported_pod_labels_win() {
        let labels = [
            ("gpu", "0"),
            ("UUID", "GPU-x"),
            ("pod", "dcgm-exporter-abcde"),
            ("namespace", "gpu-operator"),
            ("exported_pod", "llm-0"),
            ("exported_namespace", "ml"),
        ];
        let gpus = gpus_from_samples(&[sample(metric::GPU_UTIL, &labels, 5.0)], None);
        assert_eq!(gpus[0].workloads[0].pod, "llm-0");
        assert_eq!(gpus[0].workloads[0].namespace, "ml");
    }
}
