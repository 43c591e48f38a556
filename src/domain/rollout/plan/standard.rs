//! Plans for a service in Standard (raw Deployment) mode: canaries are spec.canary entries
//! with their own Deployments, and a rollback restores a recorded spec.

use super::{Draft, Outcome, PlanError, SEP};
use crate::domain::rollout::RolloutAction;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::progress::Goal;
use serde_json::{Value, json};

/// Removes the canary entries, or restores the spec recorded before the last change.
pub(super) fn rollback(d: &mut Draft, history: &[HistoryEntry]) -> Outcome {
    if !d.isvc.canaries.is_empty() {
        d.spec_after
            .as_object_mut()
            .map(|s| s.shift_remove("canary"));
        d.explanation.push("Removes the spec.canary entries: the stable predictor takes all traffic and the canary Deployments go away.".to_string());
        Ok((
            "stable 100%".to_string(),
            Goal::Canaries { expect: Vec::new() },
        ))
    } else if let Some(previous) = history.first() {
        // The spec a rollback replaced is the bad one: restoring it would redeploy it.
        if previous.action == RolloutAction::Rollback.verb() {
            return Err(PlanError::RollbackIsLatestChange {
                by: previous.by.clone(),
                at: previous.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            });
        }
        d.spec_after = previous.spec.clone();
        if previous.by == crate::domain::rollout::deployed::FROM_DEPLOYMENT {
            d.explanation.push(format!(
                "Restores the model of the Deployment's previous {}, created {} (a Deployment rollout to the previous model); the rest of the spec stays as it is.",
                previous.action,
                previous.at.format("%Y-%m-%d %H:%M UTC")
            ));
        } else {
            d.explanation.push(format!(
                "Restores the spec kdeck recorded before '{}' at {} (a Deployment rollout to the previous model).",
                previous.action,
                previous.at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        Ok(("stable 100% (previous spec)".to_string(), Goal::Observed))
    } else {
        Err(PlanError::NoPreviousSpec)
    }
}

/// Sets the first canary entry's share of traffic.
pub(super) fn set_canary(d: &mut Draft, percent: i64) -> Outcome {
    let Some(first) = d.isvc.canaries.first() else {
        return Err(PlanError::NoCanaryEntry);
    };
    if d.isvc.canaries.len() > 1 {
        d.warnings.push(format!(
            "{} canaries: only '{}' changes",
            d.isvc.canaries.len(),
            first.name
        ));
    }
    d.spec_after["canary"][0]["trafficPercent"] = json!(percent);
    Ok((
        format!("{} {percent}% {SEP} stable {}%", first.name, 100 - percent),
        Goal::Canaries {
            expect: vec![(first.name.clone(), percent)],
        },
    ))
}

/// Makes the canary's predictor the stable one and removes the canary entry.
pub(super) fn promote(d: &mut Draft) -> Outcome {
    let Some(canary) = d.spec_before.get("canary").and_then(|c| c.get(0)).cloned() else {
        return Err(PlanError::NoCanaryToPromote);
    };
    let name = d
        .isvc
        .canaries
        .first()
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut promoted = d.predictor.clone();
    if let Some(overrides) = canary.get("predictor") {
        json_patch::merge(&mut promoted, overrides);
    }
    d.spec_after["predictor"] = promoted;
    d.spec_after
        .as_object_mut()
        .map(|s| s.shift_remove("canary"));
    d.explanation.push(format!("The predictor takes the canary '{name}' settings (and its name), and the canary entry is removed, as KServe documents for promotion."));
    Ok((
        format!("{name} 100%"),
        Goal::Canaries { expect: Vec::new() },
    ))
}

/// Adds a canary entry serving `storage_uri`.
pub(super) fn new_version(d: &mut Draft, storage_uri: &str, percent: i64) -> Outcome {
    if !d.isvc.canaries.is_empty() {
        return Err(PlanError::CanaryRunning);
    }
    let stable_name = d
        .predictor
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = if stable_name == "canary" {
        "canary-2"
    } else {
        "canary"
    };
    d.spec_after["canary"] = json!([{"trafficPercent": percent, "predictor": {"name": name, "model": {"storageUri": storage_uri}}}]);
    d.explanation.push(format!(
        "Adds a Standard-mode canary '{name}' (its own Deployment) serving {storage_uri}; it gets {percent}% once ready."
    ));
    Ok((
        format!("{name} {percent}% {SEP} stable {}%", 100 - percent),
        Goal::Canaries {
            expect: vec![(name.to_string(), percent)],
        },
    ))
}
