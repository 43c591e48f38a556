//! The previous model of a Standard-mode (RawDeployment) service read from the cluster
//! rather than from kdeck's own history: its predictor's Deployment keeps older ReplicaSets
//! (scaled to zero, with `deployment.kubernetes.io/revision`), and each one's pod template
//! names the model its storage-initializer loads. A rollback of a service kdeck never changed
//! restores the model of the newest older ReplicaSet that ran a different one.

use super::RolloutAction;
use super::history::HistoryEntry;
use super::plan::implementation_key;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// `HistoryEntry::by` of an entry read from the Deployment, not recorded by kdeck.
pub const FROM_DEPLOYMENT: &str = "the Deployment's revision history";

/// What one ReplicaSet of the predictor's Deployment ran.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedRevision {
    pub replica_set: String,
    pub revision: i64,
    pub storage_uri: String,
    pub created: Option<DateTime<Utc>>,
}

/// The label KServe puts on the predictor's Deployment and pods (and so its ReplicaSets).
pub fn predictor_selector(service: &str) -> String {
    format!("app=isvc.{service}-predictor")
}

/// The ReplicaSets (as JSON) that have a revision and load a model, newest first.
pub fn revisions(replica_sets: &[Value]) -> Vec<DeployedRevision> {
    let mut out: Vec<DeployedRevision> = replica_sets
        .iter()
        .filter_map(|rs| {
            let revision = rs
                .pointer("/metadata/annotations/deployment.kubernetes.io~1revision")
                .and_then(Value::as_str)?
                .parse::<i64>()
                .ok()?;
            let storage_uri = rs
                .pointer("/spec/template/spec/initContainers")
                .and_then(Value::as_array)?
                .iter()
                .find(|c| c["name"] == "storage-initializer")?
                .pointer("/args/0")
                .and_then(Value::as_str)?
                .to_string();
            Some(DeployedRevision {
                replica_set: rs["metadata"]["name"].as_str().unwrap_or("").to_string(),
                revision,
                storage_uri,
                created: rs["metadata"]["creationTimestamp"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc)),
            })
        })
        .collect();
    out.sort_by_key(|d| std::cmp::Reverse(d.revision));
    out
}

/// The history a plan for `action` should use: kdeck's own, or for a rollback kdeck has no
/// record for, the current spec with the model of the newest older ReplicaSet that ran a
/// different one.
pub fn history_for(
    action: &RolloutAction,
    recorded: &[HistoryEntry],
    spec: &Value,
    deployed: &[DeployedRevision],
) -> Vec<HistoryEntry> {
    if *action != RolloutAction::Rollback || !recorded.is_empty() {
        return recorded.to_vec();
    }
    let predictor = &spec["predictor"];
    let Some(key) = implementation_key(predictor) else {
        return Vec::new();
    };
    let current = predictor[key]["storageUri"].as_str();
    let newest = deployed.iter().map(|d| d.revision).max();
    let Some(previous) = deployed
        .iter()
        .filter(|d| Some(d.revision) != newest)
        .find(|d| Some(d.storage_uri.as_str()) != current)
    else {
        return Vec::new();
    };
    let mut restored = spec.clone();
    restored["predictor"][key]["storageUri"] = json!(previous.storage_uri);
    vec![HistoryEntry {
        at: previous.created.unwrap_or_default(),
        action: format!(
            "ReplicaSet {} (Deployment revision {})",
            previous.replica_set, previous.revision
        ),
        revision: Some(previous.replica_set.clone()),
        by: FROM_DEPLOYMENT.to_string(),
        spec: restored,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(name: &str, revision: &str, uri: &str) -> Value {
        json!({"metadata": {"name": name, "creationTimestamp": "2026-11-30T10:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": revision}},
            "spec": {"template": {"spec": {"initContainers": [
                {"name": "storage-initializer", "args": [uri, "/mnt/models"]}]}}}})
    }

    #[test]
    fn a_rollback_without_kdeck_history_restores_the_previous_replica_sets_model() {
        let sets = revisions(&[
            rs("rec-predictor-a", "1", "s3://r/41"),
            rs("rec-predictor-b", "2", "s3://r/42"),
            json!({"metadata": {"name": "no-revision"}}),
        ]);
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].revision, 2);
        let spec = json!({"predictor": {"minReplicas": 2, "model": {"modelFormat": {"name": "lightgbm"}, "storageUri": "s3://r/42"}}});
        let h = history_for(&RolloutAction::Rollback, &[], &spec, &sets);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].by, FROM_DEPLOYMENT);
        assert_eq!(
            h[0].spec,
            json!({"predictor": {"minReplicas": 2, "model": {"modelFormat": {"name": "lightgbm"}, "storageUri": "s3://r/41"}}})
        );
        assert!(h[0].action.contains("rec-predictor-a"));
        // Other actions, and services kdeck has a record for, use kdeck's history.
        assert!(history_for(&RolloutAction::Promote, &[], &spec, &sets).is_empty());
        let recorded = vec![HistoryEntry {
            by: "me".into(),
            ..h[0].clone()
        }];
        assert_eq!(
            history_for(&RolloutAction::Rollback, &recorded, &spec, &sets),
            recorded
        );
        // Only the current ReplicaSet, or older ones with the same model: nothing to restore.
        assert!(history_for(&RolloutAction::Rollback, &[], &spec, &sets[..1]).is_empty());
        let same = revisions(&[rs("x", "1", "s3://r/42"), rs("y", "2", "s3://r/42")]);
        assert!(history_for(&RolloutAction::Rollback, &[], &spec, &same).is_empty());
    }
}
