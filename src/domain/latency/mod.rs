//! Request latency from the model servers' Prometheus histograms: bucket arithmetic and
//! quantiles (`histogram`), what one scrape of a pod says (`extract`), and the per-pod
//! window summed per service and revision (`window`), and which pods to read (`targets`);
//! what one round says (`measurements`); the two cadences of targets (`target_set`);
//! the transformer → predictor split of a probe (`chain`) and of the live window
//! (`chain_window`).
//! Pure: no I/O.

pub mod chain;
pub mod chain_window;
pub mod extract;
pub mod histogram;
pub mod measurements;
pub mod prom_api;
pub mod target_set;
pub mod targets;
pub mod window;

pub use extract::{Endpoint, Reading};
pub use histogram::Buckets;
pub use measurements::Measurements;
pub use target_set::TargetSet;
pub use window::{PodRound, RoundFigures, Tracker};
