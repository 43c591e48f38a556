//! Why local GPUs cannot be read, classified precisely, with what the user can do about it.
//!
//! Having no NVIDIA library or no GPU is the normal case on laptops and bastion hosts: the
//! console shows one clear panel and `kdeck gpu` exits with code 3, nothing crashes.

use serde::Serialize;
use std::fmt;

/// The class of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableKind {
    /// `libnvidia-ml.so.1` could not be loaded: no NVIDIA driver installed here.
    LibraryNotFound,
    /// The library is there but the kernel driver is not loaded.
    DriverNotLoaded,
    /// NVML works but sees no GPU.
    NoDevices,
    /// The driver refused access to the GPUs.
    PermissionDenied,
    /// Anything else (driver/library mismatch, a missing symbol, an internal error).
    Other,
}

/// Local GPUs cannot be read: which case, the underlying message, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NvmlUnavailable {
    pub kind: UnavailableKind,
    pub message: String,
    pub what_to_do: String,
}

impl UnavailableKind {
    /// A short headline for the panel.
    pub fn headline(self) -> &'static str {
        match self {
            UnavailableKind::LibraryNotFound => "no NVIDIA driver library (libnvidia-ml) found",
            UnavailableKind::DriverNotLoaded => "the NVIDIA kernel driver is not loaded",
            UnavailableKind::NoDevices => "no NVIDIA GPU on this machine",
            UnavailableKind::PermissionDenied => "no permission to read the NVIDIA GPUs",
            UnavailableKind::Other => "NVIDIA management library (NVML) failed",
        }
    }

    fn default_advice(self) -> &'static str {
        match self {
            UnavailableKind::LibraryNotFound => {
                "Install the NVIDIA driver (it ships libnvidia-ml.so.1), or point kdeck at the \
                 library with KDECK_NVML_LIB=PATH (or kdeck gpu --nvml-lib PATH). In a container, \
                 run it with the NVIDIA container \
                 toolkit so the driver libraries are mounted. Cluster GPUs are still shown \
                 through the DCGM exporter."
            }
            UnavailableKind::DriverNotLoaded => {
                "Load the driver (`sudo modprobe nvidia`) or reinstall it, then check that \
                 `nvidia-smi` works."
            }
            UnavailableKind::NoDevices => {
                "If this machine should have a GPU, check `nvidia-smi -L`; in a container, check \
                 that the GPU is passed in (NVIDIA_VISIBLE_DEVICES, --gpus). Cluster GPUs are \
                 still shown through the DCGM exporter."
            }
            UnavailableKind::PermissionDenied => {
                "Run kdeck as a user that may open /dev/nvidia* (often the `video` group), or \
                 give the container access to the GPU devices."
            }
            UnavailableKind::Other => {
                "Check whether `nvidia-smi` works; after a driver upgrade, reboot or reload the \
                 nvidia kernel module."
            }
        }
    }
}

impl NvmlUnavailable {
    /// The case with its standard advice.
    pub fn new(kind: UnavailableKind, message: impl Into<String>) -> NvmlUnavailable {
        NvmlUnavailable {
            kind,
            message: message.into(),
            what_to_do: kind.default_advice().to_string(),
        }
    }

    /// The case with specific advice.
    pub fn with_advice(
        kind: UnavailableKind,
        message: impl Into<String>,
        what_to_do: impl Into<String>,
    ) -> NvmlUnavailable {
        NvmlUnavailable {
            kind,
            message: message.into(),
            what_to_do: what_to_do.into(),
        }
    }
}

impl fmt::Display for NvmlUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Local GPUs unavailable: {} ({}). {}",
            self.kind.headline(),
            self.message,
            self.what_to_do
        )
    }
}

impl std::error::Error for NvmlUnavailable {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_case_and_the_remedy() {
        let u = NvmlUnavailable::new(
            UnavailableKind::DriverNotLoaded,
            "NVIDIA driver is not loaded",
        );
        let text = u.to_string();
        assert!(text.contains("kernel driver is not loaded"), "{text}");
        assert!(text.contains("modprobe nvidia"), "{text}");
    }
}
