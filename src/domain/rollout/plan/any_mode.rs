//! Plans whose spec change is the same in every deployment mode: replica bounds, and putting
//! back a recorded spec (only what KServe does with it differs).

use super::{Draft, Outcome, PlanError, SEP, split, without_traffic_setting};
use crate::domain::isvc::short_revision;
use crate::domain::mode::DeploymentMode;
use crate::domain::rollout::progress::Goal;
use serde_json::{Value, json};

/// Changes the predictor's minReplicas/maxReplicas.
pub(super) fn scale(d: &mut Draft, min: Option<i64>, max: Option<i64>) -> Outcome {
    let cur_min = d.predictor.get("minReplicas").and_then(Value::as_i64);
    let cur_max = d.predictor.get("maxReplicas").and_then(Value::as_i64);
    let new_min = min.or(cur_min);
    let new_max = max.or(cur_max);
    if new_min.is_some_and(|n| n < 0) || new_max.is_some_and(|n| n < 0) {
        return Err(PlanError::NegativeReplicas);
    }
    if let (Some(a), Some(b)) = (new_min, new_max)
        && a > b
    {
        return Err(PlanError::MinAboveMax { min: a, max: b });
    }
    if let Some(n) = min {
        d.spec_after["predictor"]["minReplicas"] = json!(n);
    }
    if let Some(n) = max {
        d.spec_after["predictor"]["maxReplicas"] = json!(n);
    }
    if d.mode == DeploymentMode::Knative {
        d.explanation.push("Replica bounds are part of the revision template: KServe creates a new revision with them.".to_string());
    }
    Ok((d.traffic_before.clone(), Goal::Observed))
}

/// Puts back `spec`, described to the user as `label`.
pub(super) fn restore_spec(d: &mut Draft, spec: &Value, label: &str) -> Outcome {
    d.spec_after = spec.clone();
    d.explanation.push(format!("Puts back {label}."));
    let traffic_only =
        without_traffic_setting(&d.spec_before) == without_traffic_setting(&d.spec_after);
    Ok(match (d.mode, d.k.latest) {
        // Only canaryTrafficPercent differs: no new revision, the split moves.
        (DeploymentMode::Knative, Some(latest)) if traffic_only => {
            let other =
                d.k.prev
                    .map(|p| p.revision.clone())
                    .or_else(|| d.k.previous_rolledout.clone());
            match (
                d.spec_after["predictor"]["canaryTrafficPercent"].as_i64(),
                other,
            ) {
                (Some(percent), Some(other)) if percent < 100 => (
                    split(&latest.revision, percent, &other, SEP),
                    Goal::LatestPercent { percent },
                ),
                _ => (
                    format!("{} 100%", short_revision(&latest.revision)),
                    Goal::AllTrafficTo {
                        revision: latest.revision.clone(),
                    },
                ),
            }
        }
        (DeploymentMode::Knative, _) => {
            d.explanation
                .push("In Knative mode this creates a new revision with that spec.".to_string());
            (d.traffic_before.clone(), Goal::Observed)
        }
        _ => (d.traffic_before.clone(), Goal::Observed),
    })
}
