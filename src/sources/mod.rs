//! Sources do all I/O: kube watchers, log streams, metric scrapers, probes, the GPU sampler.
//! They never touch the terminal or `State`; they send owned messages and report errors as
//! messages, never panics.

pub mod files;
pub mod gpu;
pub mod incident;
pub mod kube;
pub mod latency;
pub mod pod_proxy;
pub mod probe;
pub mod tls;
