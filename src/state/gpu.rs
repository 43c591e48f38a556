//! GPUs as the console knows them: the local devices from NVML (or why there are none) with
//! their recent history, and the cluster's GPUs from the DCGM exporters rolled up per node
//! and per service.

use crate::domain::dcgm::DcgmBatch;
use crate::domain::dcgm::aggregate::{NodeGpuUse, ServiceGpuUse};
use crate::domain::gpu::GpuSnapshot;
use crate::domain::gpu::history::GpuHistory;
use crate::domain::gpu::unavailable::NvmlUnavailable;
use crate::domain::key::ObjectKey;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};

/// The local GPUs.
#[derive(Debug, Clone, Default)]
pub enum LocalGpus {
    /// The sampler has not reported yet.
    #[default]
    Waiting,
    Unavailable(NvmlUnavailable),
    Available(GpuSnapshot),
}

/// The cluster's GPUs from the last DCGM round.
#[derive(Debug, Clone)]
pub struct ClusterGpus {
    pub batch: DcgmBatch,
    pub per_node: Vec<NodeGpuUse>,
    pub per_service: Vec<ServiceGpuUse>,
}

/// Everything about GPUs.
#[derive(Debug, Clone)]
pub struct GpuState {
    pub local: LocalGpus,
    pub history: GpuHistory,
    pub cluster: Option<ClusterGpus>,
    /// Mean GPU utilisation per service over the last 15 minutes (for the cost hints).
    pub service_util: HashMap<ObjectKey, VecDeque<(DateTime<Utc>, f64)>>,
}

/// How much per-service utilisation history is kept.
pub const SERVICE_UTIL_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

impl Default for GpuState {
    fn default() -> Self {
        GpuState {
            local: LocalGpus::Waiting,
            history: GpuHistory::new(chrono::Duration::minutes(5)),
            cluster: None,
            service_util: HashMap::new(),
        }
    }
}
