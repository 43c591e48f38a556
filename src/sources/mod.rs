//! Sources do all I/O: kube watchers, log streams, metric scrapers, probes, the GPU sampler.
//! They never touch the terminal or `State`; they send their own owned events through a
//! [`sink::Sink`] the runner maps into the app's messages, and report errors as events, never
//! panics.

pub mod files;
pub mod gpu;
pub mod incident;
pub mod kube;
pub mod latency;
pub mod pod_proxy;
pub mod probe;
pub mod prometheus;
pub mod sink;
pub mod tls;
