//! The seam between the sampler and whatever reads the GPUs: NVML on a real machine, a
//! scripted fake in tests and demos.

use crate::domain::gpu::GpuDevice;

/// Reads local GPUs. Implementations are created on the sampler thread and never leave it.
pub trait GpuBackend {
    /// The driver version, when known.
    fn driver_version(&mut self) -> Option<String>;

    /// How many GPUs there are now; starts a new sample. `Err` says, for the user, why the
    /// device list could not be read.
    fn device_count(&mut self) -> Result<u32, String>;

    /// Reads device `index`. Unsupported readings are `None`; a device that fails part-way is
    /// returned with its `error` set; `Err` means nothing could be read from it at all.
    /// Process names and pods are filled in by the sampler, not here.
    fn read_device(&mut self, index: u32) -> Result<GpuDevice, String>;
}
