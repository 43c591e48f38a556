//! Rollouts and rollbacks as data: what the user asked for (`RolloutAction`), the exact JSON
//! merge patch that does it under KServe's semantics (`plan`), the spec diff and traffic
//! prediction the confirmation shows, and how to tell from the watched status that it is
//! done (`progress`).
//!
//! KServe semantics (FACTS.md §c): in Knative mode `canaryTrafficPercent` splits traffic
//! between the latest revision and the `prev` entry, which is `latestRolledoutRevision`;
//! setting it to 0 sends everything back to that revision (a rollback during a canary), and
//! on a fully promoted service pins traffic to `previousRolledoutRevision` after two
//! reconcile passes; removing it promotes. In Standard mode canaries are `spec.canary[]`
//! entries (v0.20+); promotion moves the canary's overrides into the predictor.

pub mod deployed;
pub mod diff;
pub mod group;
pub mod group_guard;
mod group_plan;
pub mod history;
pub mod plan;
pub mod progress;
pub mod truth;

pub use plan::{Plan, PlanError, plan};

/// A change the user can ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutAction {
    /// Send all traffic back to the stable revision (or remove Standard-mode canaries).
    Rollback,
    /// Set the canary share of traffic (0–100).
    SetCanary { percent: i64 },
    /// Give the latest revision 100 %.
    Promote,
    /// Deploy a new model version (storageUri) as a canary with this share.
    NewVersion { storage_uri: String, percent: i64 },
    /// Turn on tag routing so each revision gets its own URL (to test one without traffic).
    EnableTagRouting,
    /// Change the predictor's replica bounds.
    Scale { min: Option<i64>, max: Option<i64> },
    /// Put back a spec recorded earlier (undo, or a chosen earlier good spec).
    RestoreSpec {
        spec: Box<serde_json::Value>,
        label: String,
    },
}

impl RolloutAction {
    /// A short verb for titles, audit lines and events.
    pub fn verb(&self) -> String {
        match self {
            RolloutAction::Rollback => "rollback".to_string(),
            RolloutAction::SetCanary { percent } => format!("canary {percent}%"),
            RolloutAction::Promote => "promote".to_string(),
            RolloutAction::NewVersion {
                storage_uri,
                percent,
            } => format!("new version {storage_uri} at {percent}%"),
            RolloutAction::EnableTagRouting => "enable tag routing".to_string(),
            RolloutAction::Scale { min, max } => format!(
                "scale min {} max {}",
                min.map(|n| n.to_string())
                    .unwrap_or_else(|| "unchanged".into()),
                max.map(|n| n.to_string())
                    .unwrap_or_else(|| "unchanged".into())
            ),
            RolloutAction::RestoreSpec { label, .. } => format!("restore {label}"),
        }
    }

    /// The Kubernetes Event reason recorded for it.
    pub fn event_reason(&self) -> &'static str {
        match self {
            RolloutAction::Rollback => "KdeckRollback",
            RolloutAction::SetCanary { .. } => "KdeckCanary",
            RolloutAction::Promote => "KdeckPromote",
            RolloutAction::NewVersion { .. } => "KdeckNewVersion",
            RolloutAction::EnableTagRouting => "KdeckTagRouting",
            RolloutAction::Scale { .. } => "KdeckScale",
            RolloutAction::RestoreSpec { .. } => "KdeckRestoreSpec",
        }
    }

    /// Whether the confirmation should default to "no" (anything that moves traffic or
    /// replaces the model).
    pub fn destructive(&self) -> bool {
        !matches!(
            self,
            RolloutAction::EnableTagRouting | RolloutAction::Scale { .. }
        )
    }
}
