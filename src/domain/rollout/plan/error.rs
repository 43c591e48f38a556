//! Why a rollout action cannot be planned, in the user's words: what stands in the way and,
//! where there is one, what to do instead. The console and `kdeck rollback` show these as
//! they are.

/// Why `plan()` refused an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("cannot change this service safely, its object could not be read: {0}")]
    Unreadable(String),
    #[error("this would change nothing")]
    NoChange,
    #[error("a canary percentage is 0 to 100, not {0}")]
    PercentOutOfRange(i64),
    #[error("tag routing exists only in Knative mode")]
    TagRoutingNeedsKnative,
    #[error("tag routing is already on: revisions have latest-/prev- URLs")]
    TagRoutingAlreadyOn,
    #[error("no traffic information in the status yet; wait for the controller")]
    NoTrafficStatus,
    #[error("already rolled back: {stable} has 100% and the canary {canary} 0%")]
    AlreadyRolledBack { stable: String, canary: String },
    #[error(
        "nothing to roll back to: {latest} has all traffic and there is no earlier rolled-out revision (status previousRolledoutRevision is empty)"
    )]
    NoEarlierRevision { latest: String },
    #[error("{latest} is the only revision: deploy a new version as a canary first")]
    OnlyRevision { latest: String },
    #[error("nothing to promote: {latest} already has 100%")]
    AlreadyPromoted { latest: String },
    #[error("this predictor runs a custom container: it has no storageUri to change")]
    NoStorageUri,
    #[error("replica counts cannot be negative")]
    NegativeReplicas,
    #[error("minReplicas {min} is more than maxReplicas {max}")]
    MinAboveMax { min: i64, max: i64 },
    #[error("already rolled back by {by} at {at}; u undoes that rollback")]
    RollbackIsLatestChange { by: String, at: String },
    #[error(
        "Standard mode without a canary: no previous spec recorded by kdeck, and the predictor's Deployment has no older ReplicaSet with a different model to go back to."
    )]
    NoPreviousSpec,
    #[error("Standard mode has no canary entry: deploy a new version as a canary first")]
    NoCanaryEntry,
    #[error("nothing to promote: there is no spec.canary entry")]
    NoCanaryToPromote,
    #[error("a canary is already running: promote or roll it back first")]
    CanaryRunning,
}
