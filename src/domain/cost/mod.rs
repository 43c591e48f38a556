//! Cost estimates from list prices: the instance table and user overrides (`table`), $/hour
//! per service from node shares (`service`), cost per job and per 1k requests (`unit`),
//! hints (`hints`, `upgrade`), and idle GPU capacity (`idle`). Every price is a list-price
//! estimate and is labelled so.

pub mod hints;
pub mod idle;
pub mod service;
pub mod table;
pub mod unit;
pub mod upgrade;

pub use hints::{Hint, HintKind, HintThresholds, ScalingInput, scaling_hints};
pub use idle::{IdleGpus, idle_gpus};
pub use service::{CostEstimate, NodeFacts, PodCost, PodUsage, pod_cost, service_cost};
pub use table::{InstanceSpec, LIST_PRICE_LABEL, PriceBasis, PriceTable};
pub use unit::{cost_per_1k_requests, cost_per_job, cost_per_million_tokens, saving};
pub use upgrade::{FamilyUpgrade, KNOWN_UPGRADES, cheaper_family_hint};
