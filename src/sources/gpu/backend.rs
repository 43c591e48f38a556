//! The seam between the sampler and whatever reads the GPUs: NVML on a real machine, a
//! scripted fake in tests and demos; and why a read failed (`GpuReadError`).

use crate::domain::gpu::GpuDevice;
use nvml_wrapper::error::NvmlError;
use std::sync::Arc;

/// Reads local GPUs. Implementations are created on the sampler thread and never leave it.
pub trait GpuBackend {
    /// The driver version, when known.
    fn driver_version(&mut self) -> Option<String>;

    /// How many GPUs there are now; starts a new sample. `Err` says, for the user, why the
    /// device list could not be read.
    fn device_count(&mut self) -> Result<u32, GpuReadError>;

    /// Reads device `index`. Unsupported readings are `None`; a device that fails part-way is
    /// returned with its `error` set; `Err` means nothing could be read from it at all.
    /// Process names and pods are filled in by the sampler, not here.
    fn read_device(&mut self, index: u32) -> Result<GpuDevice, GpuReadError>;
}

/// Why the GPU list, or one GPU, could not be read. The NVML error is kept as the source
/// (shared, so a scripted fake can repeat it round after round).
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuReadError {
    #[error("could not list the GPUs: {0}")]
    List(#[source] Arc<NvmlError>),
    #[error("GPU {index} cannot be opened: {source}")]
    Open {
        index: u32,
        #[source]
        source: Arc<NvmlError>,
    },
    /// Only the scripted fake says this: its round has fewer devices than were asked for.
    #[error("GPU {index} is not in this round of the script")]
    NotScripted { index: u32 },
}

impl GpuReadError {
    /// The device list failed with `err`.
    pub fn list(err: NvmlError) -> GpuReadError {
        GpuReadError::List(Arc::new(err))
    }

    /// Device `index` could not be opened because of `err`.
    pub fn open(index: u32, err: NvmlError) -> GpuReadError {
        GpuReadError::Open {
            index,
            source: Arc::new(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_says_what_could_not_be_read_and_why() {
        assert_eq!(
            GpuReadError::list(NvmlError::DriverNotLoaded).to_string(),
            "could not list the GPUs: NVIDIA driver is not loaded"
        );
        assert_eq!(
            GpuReadError::open(1, NvmlError::GpuLost).to_string(),
            "GPU 1 cannot be opened: device fell off the bus or has otherwise become inacessible"
        );
        assert_eq!(
            GpuReadError::NotScripted { index: 3 }.to_string(),
            "GPU 3 is not in this round of the script"
        );
        let err = GpuReadError::open(0, NvmlError::GpuLost);
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("device fell off the bus or has otherwise become inacessible")
        );
    }
}
