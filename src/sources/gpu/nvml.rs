//! The real GPU backend: NVIDIA's management library through `nvml-wrapper`, which loads
//! `libnvidia-ml.so.1` at run time, so kdeck builds and runs on machines without a driver.
//!
//! Opening classifies every way NVML can be missing (`NvmlUnavailable`). Reading a device
//! turns "not supported" answers into `None`; errors that mean the device itself is in
//! trouble (lost from the bus, needs a reset) mark the device and stop reading it.

use super::backend::{GpuBackend, GpuReadError};
use crate::domain::gpu::device::mig_profile_from_name;
use crate::domain::gpu::{
    Architecture, EccErrors, GpuDevice, GpuProcess, MigInstance, MigMode, NvmlUnavailable,
    ProcessKind, UnavailableKind, throttle,
};
use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{
    Clock, EccCounter, MemoryError, PcieUtilCounter, TemperatureSensor,
};
use nvml_wrapper::enums::device::{DeviceArchitecture, UsedGpuMemory};
use nvml_wrapper::error::NvmlError;
use nvml_wrapper::struct_wrappers::device::ProcessInfo;
use std::ffi::OsStr;

/// Local GPUs through NVML.
pub struct NvmlBackend {
    nvml: Nvml,
}

impl NvmlBackend {
    /// Loads NVML (from `lib_path`, or the system's `libnvidia-ml.so.1`) and checks that it
    /// sees at least one GPU.
    pub fn open(lib_path: Option<&OsStr>) -> Result<NvmlBackend, NvmlUnavailable> {
        let mut builder = Nvml::builder();
        if let Some(path) = lib_path {
            builder.lib_path(path);
        }
        let nvml = builder.init().map_err(|e| classify_init_error(&e))?;
        match nvml.device_count() {
            Ok(0) => Err(NvmlUnavailable::new(
                UnavailableKind::NoDevices,
                "NVML reports 0 GPUs",
            )),
            Ok(_) => Ok(NvmlBackend { nvml }),
            Err(e) => Err(classify_init_error(&e)),
        }
    }
}

/// Sorts an error from loading or initialising NVML into the user-facing cases.
pub fn classify_init_error(err: &NvmlError) -> NvmlUnavailable {
    let message = err.to_string();
    match err {
        NvmlError::LibloadingError(_) | NvmlError::LibraryNotFound => {
            NvmlUnavailable::new(UnavailableKind::LibraryNotFound, message)
        }
        NvmlError::DriverNotLoaded => {
            NvmlUnavailable::new(UnavailableKind::DriverNotLoaded, message)
        }
        NvmlError::NoPermission | NvmlError::OperatingSystem => {
            NvmlUnavailable::new(UnavailableKind::PermissionDenied, message)
        }
        NvmlError::NotFound => NvmlUnavailable::new(UnavailableKind::NoDevices, message),
        NvmlError::LibRmVersionMismatch => NvmlUnavailable::with_advice(
            UnavailableKind::Other,
            message,
            "The NVIDIA library and kernel module have different versions, usually after a \
             driver upgrade: reboot, or unload and reload the nvidia kernel module.",
        ),
        NvmlError::FailedToLoadSymbol(_) | NvmlError::FunctionNotFound => {
            NvmlUnavailable::with_advice(
                UnavailableKind::Other,
                message,
                "The installed NVIDIA driver is too old for kdeck's NVML calls: upgrade the \
                 driver.",
            )
        }
        _ => NvmlUnavailable::new(UnavailableKind::Other, message),
    }
}

impl GpuBackend for NvmlBackend {
    fn driver_version(&mut self) -> Option<String> {
        self.nvml.sys_driver_version().ok()
    }

    fn device_count(&mut self) -> Result<u32, GpuReadError> {
        self.nvml.device_count().map_err(GpuReadError::list)
    }

    fn read_device(&mut self, index: u32) -> Result<GpuDevice, GpuReadError> {
        let device = self
            .nvml
            .device_by_index(index)
            .map_err(|e| GpuReadError::open(index, e))?;
        let mut r = Reader::default();
        let mut out = GpuDevice {
            index,
            name: r.opt(device.name()),
            uuid: r.opt(device.uuid()),
            pci_bus_id: r.opt(device.pci_info()).map(|p| p.bus_id),
            ..GpuDevice::default()
        };
        let arch = r
            .opt(device.architecture())
            .map(map_architecture)
            .filter(|a| *a != Architecture::Unknown)
            .or_else(|| out.name.as_deref().map(Architecture::from_model_name));
        if let Some(arch) = arch {
            out.set_architecture(arch);
        }
        if let Some(u) = r.opt(device.utilization_rates()) {
            out.util_gpu_pct = Some(u.gpu);
            out.util_memory_pct = Some(u.memory);
        }
        if let Some(m) = r.opt(device.memory_info()) {
            out.memory_used_bytes = Some(m.used);
            out.memory_total_bytes = Some(m.total);
        }
        out.temperature_c = r.opt(device.temperature(TemperatureSensor::Gpu));
        out.power_draw_w = r.opt(device.power_usage()).map(milliwatts);
        out.power_limit_w = r.opt(device.enforced_power_limit()).map(milliwatts);
        out.sm_clock_mhz = r.opt(device.clock_info(Clock::SM));
        out.mem_clock_mhz = r.opt(device.clock_info(Clock::Memory));
        out.pcie_tx_kbps = r.opt(device.pcie_throughput(PcieUtilCounter::Send));
        out.pcie_rx_kbps = r.opt(device.pcie_throughput(PcieUtilCounter::Receive));
        if r.opt(device.is_ecc_enabled())
            .is_some_and(|m| m.currently_enabled)
        {
            out.ecc = Some(EccErrors {
                volatile_corrected: r
                    .opt(device.total_ecc_errors(MemoryError::Corrected, EccCounter::Volatile)),
                volatile_uncorrected: r
                    .opt(device.total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)),
            });
        }
        out.throttle_reasons = r
            .opt(device.current_throttle_reasons())
            .map(|bits| throttle::decode(bits.bits()));
        out.mig_mode = r.opt(device.mig_mode()).map(|m| MigMode {
            current: m.current == 1,
            pending: m.pending == 1,
        });
        if out.mig_mode.is_some_and(|m| m.current) {
            let count = r.opt(device.mig_device_count()).unwrap_or(0);
            for mig_index in 0..count {
                let Some(mig) = r.opt(device.mig_device_by_index(mig_index)) else {
                    continue;
                };
                let name = r.opt(mig.name());
                let memory = r.opt(mig.memory_info());
                out.mig_instances.push(MigInstance {
                    index: mig_index,
                    uuid: r.opt(mig.uuid()),
                    profile: name.as_deref().and_then(mig_profile_from_name),
                    name,
                    memory_used_bytes: memory.as_ref().map(|m| m.used),
                    memory_total_bytes: memory.as_ref().map(|m| m.total),
                    util_gpu_pct: r.opt(mig.utilization_rates()).map(|u| u.gpu),
                });
            }
        }
        let compute = r
            .opt(device.running_compute_processes())
            .unwrap_or_default();
        let graphics = r
            .opt(device.running_graphics_processes())
            .unwrap_or_default();
        out.processes = merge_processes(compute, graphics);
        out.error = r.failure;
        Ok(out)
    }
}

/// Collects readings; the first error that means trouble with the device is kept, and after
/// it nothing more is read.
#[derive(Default)]
struct Reader {
    failure: Option<String>,
}

impl Reader {
    fn opt<T>(&mut self, result: Result<T, NvmlError>) -> Option<T> {
        if self.failure.is_some() {
            return None;
        }
        match result {
            Ok(value) => Some(value),
            Err(err) if device_in_trouble(&err) => {
                self.failure = Some(format!("GPU stopped answering: {err}"));
                None
            }
            Err(_) => None,
        }
    }
}

/// Errors that mean the device (or driver) is failing, not that a reading is unsupported.
fn device_in_trouble(err: &NvmlError) -> bool {
    matches!(
        err,
        NvmlError::GpuLost
            | NvmlError::ResetRequired
            | NvmlError::DriverNotLoaded
            | NvmlError::Uninitialized
            | NvmlError::IrqIssue
            | NvmlError::LibRmVersionMismatch
            | NvmlError::Timeout
            | NvmlError::InsufficientPower
            | NvmlError::Unknown
    )
}

fn milliwatts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

fn map_architecture(arch: DeviceArchitecture) -> Architecture {
    match arch {
        DeviceArchitecture::Kepler => Architecture::Kepler,
        DeviceArchitecture::Maxwell => Architecture::Maxwell,
        DeviceArchitecture::Pascal => Architecture::Pascal,
        DeviceArchitecture::Volta => Architecture::Volta,
        DeviceArchitecture::Turing => Architecture::Turing,
        DeviceArchitecture::Ampere => Architecture::Ampere,
        DeviceArchitecture::Ada => Architecture::Ada,
        DeviceArchitecture::Hopper => Architecture::Hopper,
        DeviceArchitecture::Blackwell => Architecture::Blackwell,
        DeviceArchitecture::Unknown => Architecture::Unknown,
    }
}

/// One entry per pid, marking processes that appear in both lists.
fn merge_processes(compute: Vec<ProcessInfo>, graphics: Vec<ProcessInfo>) -> Vec<GpuProcess> {
    let mut out: Vec<GpuProcess> = compute
        .into_iter()
        .map(|p| convert(p, ProcessKind::Compute))
        .collect();
    for p in graphics {
        match out.iter_mut().find(|q| q.pid == p.pid) {
            Some(existing) => existing.kind = ProcessKind::ComputeAndGraphics,
            None => out.push(convert(p, ProcessKind::Graphics)),
        }
    }
    out
}

fn convert(p: ProcessInfo, kind: ProcessKind) -> GpuProcess {
    GpuProcess {
        pid: p.pid,
        kind,
        name: None,
        used_memory_bytes: match p.used_gpu_memory {
            UsedGpuMemory::Used(bytes) => Some(bytes),
            UsedGpuMemory::Unavailable => None,
        },
        gpu_instance_id: p.gpu_instance_id,
        container: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_errors_are_classified() {
        let cases = [
            (NvmlError::DriverNotLoaded, UnavailableKind::DriverNotLoaded),
            (NvmlError::NoPermission, UnavailableKind::PermissionDenied),
            (NvmlError::LibraryNotFound, UnavailableKind::LibraryNotFound),
            (NvmlError::LibRmVersionMismatch, UnavailableKind::Other),
            (NvmlError::Unknown, UnavailableKind::Other),
        ];
        for (err, kind) in cases {
            assert_eq!(classify_init_error(&err).kind, kind, "{err}");
        }
        let mismatch = classify_init_error(&NvmlError::LibRmVersionMismatch);
        assert!(mismatch.what_to_do.contains("reboot"));
    }

    #[test]
    fn a_missing_library_is_library_not_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("libnvidia-ml.so.1");
        let err = NvmlBackend::open(Some(missing.as_os_str()))
            .err()
            .expect("a library that does not exist cannot load");
        assert_eq!(err.kind, UnavailableKind::LibraryNotFound);
    }

    #[test]
    fn unsupported_readings_are_none_and_lost_gpus_stop_the_reader() {
        let mut r = Reader::default();
        assert_eq!(r.opt::<u32>(Err(NvmlError::NotSupported)), None);
        assert!(r.failure.is_none());
        assert_eq!(r.opt(Ok(5u32)), Some(5));
        assert_eq!(r.opt::<u32>(Err(NvmlError::GpuLost)), None);
        assert!(
            r.failure
                .as_deref()
                .is_some_and(|f| f.contains("fell off the bus"))
        );
        assert_eq!(r.opt(Ok(6u32)), None);
    }

    #[test]
    fn processes_in_both_lists_are_merged() {
        let p = |pid| ProcessInfo {
            pid,
            used_gpu_memory: UsedGpuMemory::Used(1024),
            gpu_instance_id: None,
            compute_instance_id: None,
        };
        let merged = merge_processes(vec![p(1), p(2)], vec![p(2), p(3)]);
        let kinds: Vec<_> = merged.iter().map(|q| (q.pid, q.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                (1, ProcessKind::Compute),
                (2, ProcessKind::ComputeAndGraphics),
                (3, ProcessKind::Graphics)
            ]
        );
    }
}
