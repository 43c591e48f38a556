//! Local GPU data: device snapshots, architectures and precisions, clock-event reasons,
//! cgroup → pod mapping, history rings, and why NVML may be unavailable. Pure, no I/O: the
//! sampler in `sources::gpu` fills these types.

pub mod arch;
pub mod cgroup;
pub mod device;
pub mod format;
pub mod history;
pub mod throttle;
pub mod unavailable;

pub use arch::{Architecture, Precision};
pub use cgroup::{ContainerRef, parse_cgroup};
pub use device::{
    EccErrors, GpuDevice, GpuProcess, GpuSnapshot, MigInstance, MigMode, ProcessKind,
};
pub use history::GpuHistory;
pub use throttle::ThrottleReason;
pub use unavailable::{NvmlUnavailable, UnavailableKind};
