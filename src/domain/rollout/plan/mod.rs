//! Turning an action into the exact JSON merge patch for the InferenceService, with the spec
//! before and after, the traffic before and predicted after, what KServe will do, warnings
//! (GitOps owners), and the goal that tells when it is done.

mod any_mode;
mod error;
mod knative;
mod standard;

pub use error::PlanError;

use super::RolloutAction;
use super::diff::merge_patch;
use super::history::HistoryEntry;
use super::progress::Goal;
use crate::domain::isvc::{Isvc, short_revision};
use crate::domain::mode::DeploymentMode;
use serde_json::{Value, json};

/// Everything the confirmation shows and the apply step sends.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub action: RolloutAction,
    pub namespace: String,
    pub name: String,
    /// The resourceVersion the plan was made from; the patch carries it, so a change made
    /// meanwhile is refused with 409 instead of being overwritten.
    pub resource_version: String,
    pub patch: Value,
    pub spec_before: Value,
    pub spec_after: Value,
    pub traffic_before: String,
    pub traffic_after: String,
    pub explanation: Vec<String>,
    pub warnings: Vec<String>,
    pub goal: Goal,
}

/// The mode that decides the rollout mechanism: the reported one, else Knative if the
/// status has revisions, else KServe's code default (Standard).
pub fn effective_mode(isvc: &Isvc) -> DeploymentMode {
    isvc.mode.unwrap_or_else(|| {
        if isvc
            .predictor_status()
            .is_some_and(|s| !s.traffic.is_empty())
        {
            DeploymentMode::Knative
        } else {
            DeploymentMode::Standard
        }
    })
}

/// Owners that revert manual changes on their next sync.
pub fn gitops_warnings(isvc: &Isvc) -> Vec<String> {
    let mut out = Vec::new();
    let meta = &isvc.meta;
    let argo = meta
        .label("argocd.argoproj.io/instance")
        .or_else(|| {
            meta.annotation("argocd.argoproj.io/tracking-id")
                .and_then(|t| t.split(':').next())
        })
        .or_else(|| {
            meta.label("app.kubernetes.io/instance")
                .filter(|_| meta.annotation("argocd.argoproj.io/sync-options").is_some())
        });
    if let Some(app) = argo {
        out.push(format!(
            "Managed by Argo CD application '{app}': its next sync reverts this manual change unless Git changes too (or auto-sync is paused)."
        ));
    }
    if let Some(ks) = meta.label("kustomize.toolkit.fluxcd.io/name") {
        let ns = meta
            .label("kustomize.toolkit.fluxcd.io/namespace")
            .unwrap_or("flux-system");
        out.push(format!("Managed by Flux Kustomization '{ns}/{ks}': its next reconcile reverts this manual change (suspend it or change Git)."));
    }
    if let Some(hr) = meta.label("helm.toolkit.fluxcd.io/name") {
        let ns = meta
            .label("helm.toolkit.fluxcd.io/namespace")
            .unwrap_or("flux-system");
        out.push(format!("Managed by Flux HelmRelease '{ns}/{hr}': its next reconcile reverts this manual change (suspend it or change Git)."));
    }
    out
}

struct Knative<'a> {
    latest: Option<&'a crate::domain::isvc::TrafficTarget>,
    prev: Option<&'a crate::domain::isvc::TrafficTarget>,
    latest_rolledout: Option<String>,
    previous_rolledout: Option<String>,
    latest_created: Option<String>,
}

fn knative(isvc: &Isvc) -> Knative<'_> {
    let status = isvc.predictor_status();
    Knative {
        latest: status.and_then(|s| s.traffic.iter().find(|t| t.latest)),
        prev: status.and_then(|s| s.traffic.iter().find(|t| t.tag.as_deref() == Some("prev"))),
        latest_rolledout: status.and_then(|s| s.latest_rolledout.clone()),
        previous_rolledout: status.and_then(|s| s.previous_rolledout.clone()),
        latest_created: status.and_then(|s| s.latest_created.clone()),
    }
}

fn split(latest: &str, latest_pct: i64, other: &str, sep: &str) -> String {
    format!(
        "{} {latest_pct}% {sep} {} {}%",
        short_revision(latest),
        short_revision(other),
        100 - latest_pct
    )
}

/// The key (`model`, a framework name) of the predictor's implementation, for storageUri.
pub fn implementation_key(predictor: &Value) -> Option<&'static str> {
    crate::domain::isvc::model_key(predictor)
}

/// The spec without the predictor's traffic setting, which is a route setting, not part of
/// the revision template (changing only it makes no new Knative revision).
fn without_traffic_setting(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(p) = spec.get_mut("predictor").and_then(Value::as_object_mut) {
        p.shift_remove("canaryTrafficPercent");
    }
    spec
}

/// The traffic after the change and the goal that tells when it is done, or why the action
/// cannot be planned.
type Outcome = Result<(String, Goal), PlanError>;

/// Separates the two sides of a traffic split in the labels.
const SEP: &str = "·";

/// What an action's planner reads (the service as it is) and writes (the spec after the
/// change, the explanation, warnings and annotations).
struct Draft<'a> {
    isvc: &'a Isvc,
    k: Knative<'a>,
    mode: DeploymentMode,
    spec_before: Value,
    predictor: Value,
    traffic_before: String,
    spec_after: Value,
    explanation: Vec<String>,
    warnings: Vec<String>,
    annotations: Option<Value>,
}

/// Builds the plan for `action` on the service whose JSON is `raw`. `history` is kdeck's
/// record of replaced specs (newest first), used to restore the previous model.
pub fn plan(
    raw: &Value,
    action: RolloutAction,
    history: &[HistoryEntry],
) -> Result<Plan, PlanError> {
    let isvc = Isvc::parse(raw);
    if !isvc.problems.is_empty() {
        return Err(PlanError::Unreadable(isvc.problems.0.join("; ")));
    }
    let spec_before = raw.get("spec").cloned().unwrap_or(Value::Null);
    let traffic_before = {
        let t = isvc.traffic_label(SEP);
        if t.is_empty() { "–".to_string() } else { t }
    };
    let mut d = Draft {
        isvc: &isvc,
        k: knative(&isvc),
        mode: effective_mode(&isvc),
        predictor: spec_before.get("predictor").cloned().unwrap_or(Value::Null),
        spec_after: spec_before.clone(),
        spec_before,
        traffic_before,
        explanation: Vec::new(),
        warnings: gitops_warnings(&isvc),
        annotations: None,
    };
    let (traffic_after, goal) = plan_action(&mut d, &action, history)?;
    let Draft {
        spec_before,
        spec_after,
        traffic_before,
        explanation,
        warnings,
        annotations,
        ..
    } = d;
    if spec_after == spec_before && annotations.is_none() {
        return Err(PlanError::NoChange);
    }
    let mut patch = json!({"metadata": {"resourceVersion": isvc.meta.resource_version}});
    let spec_patch = merge_patch(&spec_before, &spec_after);
    if spec_patch.as_object().is_some_and(|o| !o.is_empty()) {
        patch["spec"] = spec_patch;
    }
    if let Some(a) = annotations {
        patch["metadata"]["annotations"] = a;
    }
    Ok(Plan {
        namespace: isvc.meta.namespace.clone(),
        name: isvc.meta.name.clone(),
        resource_version: isvc.meta.resource_version.clone(),
        action,
        patch,
        spec_before,
        spec_after,
        traffic_before,
        traffic_after,
        explanation,
        warnings,
        goal,
    })
}

/// Hands the action to its planner for the service's deployment mode.
fn plan_action(d: &mut Draft, action: &RolloutAction, history: &[HistoryEntry]) -> Outcome {
    let knative_mode = d.mode == DeploymentMode::Knative;
    match action {
        RolloutAction::SetCanary { percent } | RolloutAction::NewVersion { percent, .. }
            if !(0..=100).contains(percent) =>
        {
            Err(PlanError::PercentOutOfRange(*percent))
        }
        RolloutAction::Rollback if knative_mode => knative::rollback(d),
        RolloutAction::Rollback => standard::rollback(d, history),
        RolloutAction::SetCanary { percent } if knative_mode => knative::set_canary(d, *percent),
        RolloutAction::SetCanary { percent } => standard::set_canary(d, *percent),
        RolloutAction::Promote if knative_mode => knative::promote(d),
        RolloutAction::Promote => standard::promote(d),
        RolloutAction::NewVersion {
            storage_uri,
            percent,
        } if knative_mode => knative::new_version(d, storage_uri, *percent),
        RolloutAction::NewVersion {
            storage_uri,
            percent,
        } => standard::new_version(d, storage_uri, *percent),
        RolloutAction::EnableTagRouting if knative_mode => knative::enable_tag_routing(d),
        RolloutAction::EnableTagRouting => Err(PlanError::TagRoutingNeedsKnative),
        RolloutAction::Scale { min, max } => any_mode::scale(d, *min, *max),
        RolloutAction::RestoreSpec { spec, label } => any_mode::restore_spec(d, spec, label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn knative_canary(latest_pct: i64) -> Value {
        json!({
            "metadata": {"name": "fraud", "namespace": "ml", "resourceVersion": "42", "generation": 2,
                "annotations": {"serving.kserve.io/deploymentMode": "Serverless"}},
            "spec": {"predictor": {"canaryTrafficPercent": latest_pct, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}},
            "status": {"deploymentMode": "Knative", "conditions": [{"type": "Ready", "status": "True"}],
                "components": {"predictor": {
                    "latestCreatedRevision": "fraud-predictor-00002", "latestReadyRevision": "fraud-predictor-00002",
                    "latestRolledoutRevision": "fraud-predictor-00001",
                    "traffic": [
                        {"revisionName": "fraud-predictor-00002", "latestRevision": true, "percent": latest_pct},
                        {"revisionName": "fraud-predictor-00001", "latestRevision": false, "percent": 100 - latest_pct, "tag": "prev"}]}}}
        })
    }

    fn promoted() -> Value {
        json!({
            "metadata": {"name": "fraud", "namespace": "ml", "resourceVersion": "50"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}},
            "status": {"deploymentMode": "Knative",
                "components": {"predictor": {
                    "latestCreatedRevision": "fraud-predictor-00002", "latestReadyRevision": "fraud-predictor-00002",
                    "latestRolledoutRevision": "fraud-predictor-00002", "previousRolledoutRevision": "fraud-predictor-00001",
                    "traffic": [{"revisionName": "fraud-predictor-00002", "latestRevision": true, "percent": 100}]}}}
        })
    }

    #[test]
    fn rollback_during_a_canary_zeroes_canary_traffic_with_the_read_resource_version() {
        let p = plan(&knative_canary(10), RolloutAction::Rollback, &[]).unwrap();
        assert_eq!(
            p.patch,
            json!({"metadata": {"resourceVersion": "42"}, "spec": {"predictor": {"canaryTrafficPercent": 0}}})
        );
        assert_eq!(p.traffic_before, "r2 10% · r1 90%");
        assert_eq!(p.traffic_after, "r2 0% · r1 100%");
        assert_eq!(
            p.goal,
            Goal::AllTrafficTo {
                revision: "fraud-predictor-00001".into()
            }
        );
        assert!(
            plan(&knative_canary(0), RolloutAction::Rollback, &[])
                .unwrap_err()
                .to_string()
                .contains("already rolled back")
        );
    }

    #[test]
    fn a_refusal_is_typed_and_reads_as_the_user_message() {
        let err = plan(&knative_canary(0), RolloutAction::Rollback, &[]).unwrap_err();
        assert_eq!(
            err,
            PlanError::AlreadyRolledBack {
                stable: "r1".into(),
                canary: "r2".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "already rolled back: r1 has 100% and the canary r2 0%"
        );
        let err = plan(
            &knative_canary(10),
            RolloutAction::SetCanary { percent: 101 },
            &[],
        )
        .unwrap_err();
        assert_eq!(err, PlanError::PercentOutOfRange(101));
        assert_eq!(err.to_string(), "a canary percentage is 0 to 100, not 101");
        let err = plan(
            &knative_canary(10),
            RolloutAction::Scale {
                min: Some(3),
                max: Some(1),
            },
            &[],
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "minReplicas 3 is more than maxReplicas 1");
    }

    #[test]
    fn rollback_after_promotion_pins_the_previous_rolled_out_revision() {
        let p = plan(&promoted(), RolloutAction::Rollback, &[]).unwrap();
        assert_eq!(
            p.patch["spec"],
            json!({"predictor": {"canaryTrafficPercent": 0}})
        );
        assert_eq!(
            p.goal,
            Goal::AllTrafficTo {
                revision: "fraud-predictor-00001".into()
            }
        );
        assert!(
            p.explanation
                .iter()
                .any(|e| e.contains("two reconcile passes"))
        );
        let mut first = promoted();
        first["status"]["components"]["predictor"]["previousRolledoutRevision"] = json!("");
        assert!(
            plan(&first, RolloutAction::Rollback, &[])
                .unwrap_err()
                .to_string()
                .contains("nothing to roll back to")
        );
    }

    #[test]
    fn canary_promote_and_new_version() {
        let p = plan(
            &knative_canary(10),
            RolloutAction::SetCanary { percent: 50 },
            &[],
        )
        .unwrap();
        assert_eq!(
            p.patch["spec"]["predictor"]["canaryTrafficPercent"],
            json!(50)
        );
        assert_eq!(p.traffic_after, "r2 50% · r1 50%");
        assert!(
            plan(
                &knative_canary(10),
                RolloutAction::SetCanary { percent: 101 },
                &[]
            )
            .is_err()
        );
        let p = plan(&knative_canary(10), RolloutAction::Promote, &[]).unwrap();
        assert_eq!(
            p.patch["spec"],
            json!({"predictor": {"canaryTrafficPercent": null}})
        );
        assert!(
            plan(&promoted(), RolloutAction::Promote, &[])
                .unwrap_err()
                .to_string()
                .contains("nothing to promote")
        );
        let p = plan(
            &promoted(),
            RolloutAction::NewVersion {
                storage_uri: "s3://m/3".into(),
                percent: 10,
            },
            &[],
        )
        .unwrap();
        assert_eq!(
            p.patch["spec"]["predictor"]["model"]["storageUri"],
            json!("s3://m/3")
        );
        assert_eq!(
            p.patch["spec"]["predictor"]["canaryTrafficPercent"],
            json!(10)
        );
        assert!(matches!(p.goal, Goal::NewRevision { percent: 10, .. }));
    }

    #[test]
    fn the_promote_diff_shows_only_the_removed_traffic_setting() {
        let raw = json!({
            "metadata": {"name": "fraud", "namespace": "ml", "resourceVersion": "42"},
            "spec": {"predictor": {"canaryTrafficPercent": 10, "minReplicas": 2, "maxReplicas": 4,
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}},
            "status": {"deploymentMode": "Knative", "components": {"predictor": {
                "latestRolledoutRevision": "fraud-predictor-00001",
                "traffic": [
                    {"revisionName": "fraud-predictor-00002", "latestRevision": true, "percent": 10},
                    {"revisionName": "fraud-predictor-00001", "percent": 90, "tag": "prev"}]}}}
        });
        let p = plan(&raw, RolloutAction::Promote, &[]).unwrap();
        let changed: Vec<_> = super::super::diff::yaml_diff(&p.spec_before, &p.spec_after, 2)
            .into_iter()
            .filter(|l| {
                matches!(
                    l,
                    super::super::diff::DiffLine::Added(_)
                        | super::super::diff::DiffLine::Removed(_)
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![super::super::diff::DiffLine::Removed(
                "  canaryTrafficPercent: 10".to_string()
            )]
        );
    }

    #[test]
    fn standard_mode_canaries() {
        let raw = json!({"metadata": {"name": "rank", "namespace": "s", "resourceVersion": "7",
                "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
            "spec": {"predictor": {"minReplicas": 2, "model": {"modelFormat": {"name": "lightgbm"}, "storageUri": "s3://r/1"}},
                     "canary": [{"trafficPercent": 20, "predictor": {"name": "fast", "model": {"storageUri": "s3://r/2"}}}]},
            "status": {"canaryStatuses": [{"name": "fast", "ready": true, "trafficPercent": 20}]}});
        let p = plan(&raw, RolloutAction::Rollback, &[]).unwrap();
        assert_eq!(p.patch["spec"], json!({"canary": null}));
        let p = plan(&raw, RolloutAction::Promote, &[]).unwrap();
        assert_eq!(p.spec_after["predictor"]["name"], json!("fast"));
        assert_eq!(
            p.spec_after["predictor"]["model"]["storageUri"],
            json!("s3://r/2")
        );
        assert_eq!(
            p.spec_after["predictor"]["model"]["modelFormat"]["name"],
            json!("lightgbm")
        );
        assert!(p.spec_after.get("canary").is_none());
        let p = plan(&raw, RolloutAction::SetCanary { percent: 50 }, &[]).unwrap();
        assert_eq!(p.spec_after["canary"][0]["trafficPercent"], json!(50));
        let mut plain = raw.clone();
        plain["spec"].as_object_mut().unwrap().remove("canary");
        assert!(
            plan(&plain, RolloutAction::Rollback, &[])
                .unwrap_err()
                .to_string()
                .contains("no previous spec")
        );
        let history = vec![HistoryEntry {
            at: Utc::now(),
            action: "new version".into(),
            revision: None,
            by: "me".into(),
            spec: json!({"predictor": {"minReplicas": 2, "model": {"modelFormat": {"name": "lightgbm"}, "storageUri": "s3://r/0"}}}),
        }];
        let p = plan(&plain, RolloutAction::Rollback, &history).unwrap();
        assert_eq!(
            p.patch["spec"]["predictor"]["model"]["storageUri"],
            json!("s3://r/0")
        );
        // A second rollback would put back the spec the first one replaced.
        let rolled_back = vec![HistoryEntry {
            action: "rollback".into(),
            ..history[0].clone()
        }];
        assert!(
            plan(&plain, RolloutAction::Rollback, &rolled_back)
                .unwrap_err()
                .to_string()
                .contains("already rolled back")
        );
        let p = plan(
            &plain,
            RolloutAction::NewVersion {
                storage_uri: "s3://r/9".into(),
                percent: 10,
            },
            &[],
        )
        .unwrap();
        assert_eq!(
            p.spec_after["canary"][0]["predictor"]["name"],
            json!("canary")
        );
    }

    #[test]
    fn restoring_a_spec_that_differs_only_in_traffic_predicts_the_split() {
        let before = knative_canary(0);
        let mut recorded = before["spec"].clone();
        recorded["predictor"]["canaryTrafficPercent"] = json!(35);
        let restore = |spec: Value| RolloutAction::RestoreSpec {
            spec: Box::new(spec),
            label: "the spec before 'rollback'".into(),
        };
        let p = plan(&before, restore(recorded), &[]).unwrap();
        assert_eq!(p.traffic_after, "r2 35% · r1 65%");
        assert_eq!(p.goal, Goal::LatestPercent { percent: 35 });
        assert!(!p.explanation.iter().any(|e| e.contains("new revision")));
        let mut promoted = before["spec"].clone();
        promoted["predictor"]
            .as_object_mut()
            .unwrap()
            .remove("canaryTrafficPercent");
        let p = plan(&before, restore(promoted), &[]).unwrap();
        assert_eq!(p.traffic_after, "r2 100%");
        let mut other_model = before["spec"].clone();
        other_model["predictor"]["model"]["storageUri"] = json!("s3://m/1");
        let p = plan(&before, restore(other_model), &[]).unwrap();
        assert_eq!(p.goal, Goal::Observed);
        assert!(p.explanation.iter().any(|e| e.contains("new revision")));
    }

    #[test]
    fn gitops_owners_are_named() {
        let mut raw = knative_canary(10);
        raw["metadata"]["labels"] = json!({"argocd.argoproj.io/instance": "fraud-app"});
        let p = plan(&raw, RolloutAction::Rollback, &[]).unwrap();
        assert!(p.warnings[0].contains("Argo CD application 'fraud-app'"));
        raw["metadata"]["labels"] = json!({"kustomize.toolkit.fluxcd.io/name": "ml", "kustomize.toolkit.fluxcd.io/namespace": "flux"});
        let p = plan(&raw, RolloutAction::Rollback, &[]).unwrap();
        assert!(p.warnings[0].contains("Flux Kustomization 'flux/ml'"));
    }

    #[test]
    fn scale_validation() {
        assert!(
            plan(
                &promoted(),
                RolloutAction::Scale {
                    min: Some(3),
                    max: Some(2)
                },
                &[]
            )
            .is_err()
        );
        let p = plan(
            &promoted(),
            RolloutAction::Scale {
                min: Some(2),
                max: Some(4),
            },
            &[],
        )
        .unwrap();
        assert_eq!(p.patch["spec"]["predictor"]["minReplicas"], json!(2));
    }
}
