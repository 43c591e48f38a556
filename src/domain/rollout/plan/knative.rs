//! Plans for a service in Knative mode: KServe moves traffic between revisions through the
//! predictor's canaryTrafficPercent, and a new spec makes a new revision.

use super::{Draft, Outcome, PlanError, SEP, implementation_key, split};
use crate::domain::isvc::{TAG_ROUTING_ANNOTATION, short_revision};
use crate::domain::rollout::progress::Goal;
use serde_json::json;

/// Sends all traffic back to the revision tagged prev, or to the previous rolled-out one.
pub(super) fn rollback(d: &mut Draft) -> Outcome {
    let (Some(latest), stable) = (d.k.latest, d.k.prev) else {
        return Err(PlanError::NoTrafficStatus);
    };
    if let Some(prev) = stable {
        if latest.percent == 0 {
            return Err(PlanError::AlreadyRolledBack {
                stable: short_revision(&prev.revision),
                canary: short_revision(&latest.revision),
            });
        }
        d.spec_after["predictor"]["canaryTrafficPercent"] = json!(0);
        d.explanation.push(format!(
            "KServe sends all traffic to {} (the last rolled-out revision, tagged prev); {} stays deployed with 0%.",
            short_revision(&prev.revision),
            short_revision(&latest.revision)
        ));
        d.explanation.push(
            "canaryTrafficPercent stays 0 until you promote or deploy a fixed version.".to_string(),
        );
        Ok((
            split(&latest.revision, 0, &prev.revision, SEP),
            Goal::AllTrafficTo {
                revision: prev.revision.clone(),
            },
        ))
    } else {
        let Some(previous) = d.k.previous_rolledout.clone() else {
            return Err(PlanError::NoEarlierRevision {
                latest: short_revision(&latest.revision),
            });
        };
        d.spec_after["predictor"]["canaryTrafficPercent"] = json!(0);
        d.explanation.push(format!(
            "The service is fully promoted: pinning canaryTrafficPercent to 0 moves all traffic back to {}.",
            short_revision(&previous)
        ));
        d.explanation.push("KServe needs two reconcile passes for this (status first, then traffic); kdeck follows both.".to_string());
        Ok((
            split(&latest.revision, 0, &previous, SEP),
            Goal::AllTrafficTo { revision: previous },
        ))
    }
}

/// Sets the latest revision's share of traffic.
pub(super) fn set_canary(d: &mut Draft, percent: i64) -> Outcome {
    let Some(latest) = d.k.latest else {
        return Err(PlanError::NoTrafficStatus);
    };
    let other =
        d.k.prev
            .map(|p| p.revision.clone())
            .or_else(|| d.k.previous_rolledout.clone());
    let Some(other) = other else {
        return Err(PlanError::OnlyRevision {
            latest: short_revision(&latest.revision),
        });
    };
    if d.k.prev.is_none() {
        d.warnings.push(format!(
            "No canary is in progress: this splits traffic between {} and the previous rolled-out revision {}.",
            short_revision(&latest.revision),
            short_revision(&other)
        ));
    }
    d.spec_after["predictor"]["canaryTrafficPercent"] = json!(percent);
    Ok((
        split(&latest.revision, percent, &other, SEP),
        Goal::LatestPercent { percent },
    ))
}

/// Gives the latest revision 100%.
pub(super) fn promote(d: &mut Draft) -> Outcome {
    let Some(latest) = d.k.latest else {
        return Err(PlanError::NoTrafficStatus);
    };
    if d.isvc.canary_percent().is_none() && latest.percent == 100 {
        return Err(PlanError::AlreadyPromoted {
            latest: short_revision(&latest.revision),
        });
    }
    d.spec_after["predictor"]
        .as_object_mut()
        .map(|p| p.shift_remove("canaryTrafficPercent"));
    d.explanation.push(format!(
        "{} takes 100%; once it has, KServe records it as the rolled-out revision and the previous one scales down.",
        short_revision(&latest.revision)
    ));
    Ok((
        format!("{} 100%", short_revision(&latest.revision)),
        Goal::AllTrafficTo {
            revision: latest.revision.clone(),
        },
    ))
}

/// Changes storageUri, so KServe makes a new revision that gets `percent` once ready.
pub(super) fn new_version(d: &mut Draft, storage_uri: &str, percent: i64) -> Outcome {
    let Some(key) = implementation_key(&d.predictor) else {
        return Err(PlanError::NoStorageUri);
    };
    d.spec_after["predictor"][key]["storageUri"] = json!(storage_uri);
    d.spec_after["predictor"]["canaryTrafficPercent"] = json!(percent);
    d.explanation.push(format!("KServe creates a new revision with {storage_uri}; once it is ready it gets {percent}%, the rest stays on the current revision."));
    let current =
        d.k.latest_rolledout
            .clone()
            .or_else(|| d.k.latest.map(|l| l.revision.clone()))
            .unwrap_or_default();
    Ok((
        format!(
            "new {percent}% {SEP} {} {}%",
            short_revision(&current),
            100 - percent
        ),
        Goal::NewRevision {
            previous_latest: d.k.latest_created.clone(),
            percent,
        },
    ))
}

/// Turns on tag routing (latest-/prev- URLs).
pub(super) fn enable_tag_routing(d: &mut Draft) -> Outcome {
    if d.isvc.meta.annotation(TAG_ROUTING_ANNOTATION) == Some("true") {
        return Err(PlanError::TagRoutingAlreadyOn);
    }
    d.annotations = Some(json!({TAG_ROUTING_ANNOTATION: "true"}));
    d.explanation.push(
        "Adds latest-… and prev-… URLs so a revision can be probed without moving traffic."
            .to_string(),
    );
    d.explanation.push("KServe copies the annotation into the revision template, so this also creates a new revision of the same spec.".to_string());
    Ok((d.traffic_before.clone(), Goal::Observed))
}
