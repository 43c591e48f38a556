//! GPU sources: the local NVML sampler thread (with its `/proc` process and pod lookup) and
//! the cluster-wide DCGM exporter scraper (through the API server's pod proxy, or a
//! Prometheus server).

pub mod backend;
pub mod dcgm_loop;
pub mod dcgm_prometheus;
pub mod dcgm_scrape;
pub mod dcgm_targets;
pub mod fake;
pub mod nvml;
pub mod procs;
pub mod sampler;

pub use backend::{GpuBackend, GpuReadError};
pub use fake::{FakeBackend, FakeRound};
pub use nvml::NvmlBackend;
pub use procs::ProcInspector;
pub use sampler::{
    FnSink, GpuReport, ReportSink, SamplerConfig, SamplerHandle, spawn_sampler, take_snapshot,
};

/// Starts the sampler on the real NVML backend (`lib_path`: a specific `libnvidia-ml.so`).
pub fn spawn_nvml_sampler<S: ReportSink>(
    lib_path: Option<std::ffi::OsString>,
    config: SamplerConfig,
    sink: S,
) -> std::io::Result<SamplerHandle> {
    spawn_sampler(move || NvmlBackend::open(lib_path.as_deref()), config, sink)
}
