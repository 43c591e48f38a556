//! What a cluster watcher reports: one change to an object, and whether KServe is installed.

use super::key::ObjectKey;
use super::kind::ClusterObject;

/// Whether the cluster serves KServe's API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Kserve {
    #[default]
    Unknown,
    Missing,
    Present {
        llm: bool,
        /// The cluster serves TrainedModels (serving.kserve.io/v1alpha1).
        trained: bool,
    },
}

/// One change from a watcher.
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent {
    RelistStart,
    Upsert(ClusterObject),
    Delete(ObjectKey),
    RelistDone,
    /// The watch was re-established and delivers again (a bookmark after a failure).
    Live,
}
