//! One sample of the local GPUs: owned, plain data that the sampler thread sends to the app
//! and that `kdeck gpu -o json` prints (field names are stable).
//!
//! Every reading is an `Option`: `None` means NVML does not support it on that device (shown
//! as `–`), never that the whole device failed. A device that failed is kept in the list with
//! its `error` set, so the other devices go on being shown.

use super::arch::{Architecture, Precision};
use super::cgroup::ContainerRef;
use super::throttle::ThrottleReason;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// All local GPUs at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuSnapshot {
    pub taken_at: DateTime<Utc>,
    pub driver_version: Option<String>,
    pub devices: Vec<GpuDevice>,
    /// Set when the device list itself could not be read this time (the driver went away).
    pub error: Option<String>,
}

/// One physical GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct GpuDevice {
    pub index: u32,
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub pci_bus_id: Option<String>,
    pub architecture: Option<Architecture>,
    /// Precisions the architecture supports (empty when the architecture is unknown).
    pub precisions: Vec<Precision>,
    pub util_gpu_pct: Option<u32>,
    pub util_memory_pct: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub memory_total_bytes: Option<u64>,
    pub temperature_c: Option<u32>,
    pub power_draw_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub sm_clock_mhz: Option<u32>,
    pub mem_clock_mhz: Option<u32>,
    /// PCIe throughput in KB/s, as NVML reports it.
    pub pcie_tx_kbps: Option<u32>,
    pub pcie_rx_kbps: Option<u32>,
    /// `None` when ECC is not supported or not enabled.
    pub ecc: Option<EccErrors>,
    /// Why the clocks are held down right now; `None` when NVML cannot tell.
    pub throttle_reasons: Option<Vec<ThrottleReason>>,
    pub mig_mode: Option<MigMode>,
    pub mig_instances: Vec<MigInstance>,
    pub processes: Vec<GpuProcess>,
    /// What went wrong with this device during this sample; the readings before the failure
    /// are kept.
    pub error: Option<String>,
}

/// Volatile (since the last driver load) ECC error counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EccErrors {
    pub volatile_corrected: Option<u64>,
    pub volatile_uncorrected: Option<u64>,
}

/// MIG mode now and after the next GPU reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MigMode {
    pub current: bool,
    pub pending: bool,
}

/// One MIG instance (a slice of a GPU in MIG mode).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MigInstance {
    pub index: u32,
    pub uuid: Option<String>,
    pub name: Option<String>,
    /// The profile, e.g. `1g.5gb`, taken from the instance name.
    pub profile: Option<String>,
    pub memory_used_bytes: Option<u64>,
    pub memory_total_bytes: Option<u64>,
    pub util_gpu_pct: Option<u32>,
}

/// Which NVML list a process came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessKind {
    Compute,
    Graphics,
    ComputeAndGraphics,
}

/// A process that holds a context on the GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuProcess {
    pub pid: u32,
    pub kind: ProcessKind,
    /// From `/proc/PID/comm`; `None` when the process is not visible (another PID namespace).
    pub name: Option<String>,
    pub used_memory_bytes: Option<u64>,
    /// The MIG GPU instance the process runs on, when MIG is enabled.
    pub gpu_instance_id: Option<u32>,
    /// The Kubernetes pod and container, from `/proc/PID/cgroup`.
    pub container: Option<ContainerRef>,
}

impl GpuDevice {
    /// A device that could not be read at all this time.
    pub fn failed(index: u32, error: impl Into<String>) -> GpuDevice {
        GpuDevice {
            index,
            error: Some(error.into()),
            ..GpuDevice::default()
        }
    }

    /// Sets the architecture and the precisions that go with it.
    pub fn set_architecture(&mut self, arch: Architecture) {
        self.architecture = Some(arch);
        self.precisions = arch.precisions().to_vec();
    }

    /// Memory in use as a percentage of the total, when both are known.
    pub fn memory_used_pct(&self) -> Option<f64> {
        match (self.memory_used_bytes, self.memory_total_bytes) {
            (Some(used), Some(total)) if total > 0 => Some(used as f64 * 100.0 / total as f64),
            _ => None,
        }
    }

    /// A key that follows the device across samples: the UUID, or the index without one.
    pub fn key(&self) -> String {
        match &self.uuid {
            Some(uuid) => uuid.clone(),
            None => format!("index:{}", self.index),
        }
    }
}

/// The MIG profile (`1g.5gb`) in an instance name such as
/// `NVIDIA A100-SXM4-40GB MIG 1g.5gb`.
pub fn mig_profile_from_name(name: &str) -> Option<String> {
    let mut words = name.split_whitespace();
    while let Some(word) = words.next() {
        if word == "MIG" {
            return words.next().map(str::to_string);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_device_keeps_index_and_error_only() {
        let d = GpuDevice::failed(2, "GPU is lost");
        assert_eq!(d.index, 2);
        assert_eq!(d.error.as_deref(), Some("GPU is lost"));
        assert!(d.name.is_none() && d.memory_total_bytes.is_none());
        assert_eq!(d.key(), "index:2");
    }

    #[test]
    fn memory_percentage_needs_both_numbers() {
        let mut d = GpuDevice {
            memory_used_bytes: Some(1 << 30),
            memory_total_bytes: Some(4 << 30),
            ..GpuDevice::default()
        };
        assert_eq!(d.memory_used_pct(), Some(25.0));
        d.memory_total_bytes = None;
        assert_eq!(d.memory_used_pct(), None);
    }

    #[test]
    fn mig_profile_is_the_word_after_mig() {
        assert_eq!(
            mig_profile_from_name("NVIDIA A100-SXM4-40GB MIG 1g.5gb").as_deref(),
            Some("1g.5gb")
        );
        assert_eq!(mig_profile_from_name("NVIDIA A100-SXM4-40GB"), None);
    }
}
