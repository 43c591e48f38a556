//! Following a rollout from the watched status: what "done" means for each action, the steps
//! reached so far, and failure when KServe reports one. Timeouts are the caller's clock.

use crate::domain::isvc::{Isvc, Readiness, short_revision};
use crate::domain::k8s::{CondStatus, find};

/// What the status must show for the change to be complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    /// Knative: `revision` carries 100 % of the predictor's traffic.
    AllTrafficTo { revision: String },
    /// Knative: the latest revision carries `percent` % (the rest on `prev`).
    LatestPercent { percent: i64 },
    /// Knative: a revision other than `previous_latest` is created, becomes ready, and
    /// carries `percent` %.
    NewRevision {
        previous_latest: Option<String>,
        percent: i64,
    },
    /// Standard mode: the canaries report these names and shares (empty: no canaries).
    Canaries { expect: Vec<(String, i64)> },
    /// The controller has seen the change and the service is Ready.
    Observed,
}

/// How it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed(String),
}

/// Steps reached (label, reached) and the outcome once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub steps: Vec<(String, bool)>,
    pub outcome: Option<Outcome>,
}

fn percent_of(isvc: &Isvc, revision: &str) -> i64 {
    isvc.predictor_status()
        .map(|s| {
            s.traffic
                .iter()
                .filter(|t| t.revision == revision)
                .map(|t| t.percent)
                .sum()
        })
        .unwrap_or(0)
}

/// The share of the predictor's traffic on revisions other than `latest`.
fn other_revisions_percent(isvc: &Isvc, latest: &str) -> i64 {
    isvc.predictor_status()
        .map(|s| {
            s.traffic
                .iter()
                .filter(|t| !t.latest && t.revision != latest)
                .map(|t| t.percent)
                .sum()
        })
        .unwrap_or(0)
}

fn failure(isvc: &Isvc) -> Option<String> {
    if let Readiness::NotReady(reason) = isvc.readiness() {
        let message = find(&isvc.conditions, "PredictorReady")
            .or_else(|| find(&isvc.conditions, "Ready"))
            .filter(|c| c.status == CondStatus::False)
            .map(|c| c.message.clone())
            .unwrap_or_default();
        return Some(if message.is_empty() {
            reason
        } else {
            format!("{reason}: {message}")
        });
    }
    None
}

/// Evaluates the goal against the service as watched now. `applied_generation` is the
/// generation the patch produced.
pub fn evaluate(goal: &Goal, isvc: &Isvc, applied_generation: i64) -> Progress {
    let observed = isvc
        .observed_generation
        .is_some_and(|g| g >= applied_generation);
    let ready = isvc.readiness() == Readiness::Ready;
    let mut steps = vec![("controller saw the change".to_string(), observed)];
    let reached = match goal {
        Goal::AllTrafficTo { revision } => all_traffic_to(isvc, revision, &mut steps),
        Goal::LatestPercent { percent } => latest_percent(isvc, *percent, &mut steps),
        Goal::NewRevision {
            previous_latest,
            percent,
        } => {
            let reached = new_revision(isvc, previous_latest, *percent, &mut steps);
            if let Some(reason) = new_revision_failure(isvc, previous_latest, observed) {
                return Progress {
                    steps,
                    outcome: Some(Outcome::Failed(format!(
                        "the new revision does not become ready: {reason}"
                    ))),
                };
            }
            reached
        }
        Goal::Canaries { expect } => canaries(isvc, expect, &mut steps),
        Goal::Observed => observed,
    };
    steps.push(("service Ready".to_string(), ready));
    let outcome = if observed && reached && ready {
        Some(Outcome::Done)
    } else {
        None
    };
    Progress { steps, outcome }
}

/// Promote, roll back, pin: the revision carries all traffic.
fn all_traffic_to(isvc: &Isvc, revision: &str, steps: &mut Vec<(String, bool)>) -> bool {
    let pct = percent_of(isvc, revision);
    steps.push((
        format!("{} carries 100% (now {pct}%)", short_revision(revision)),
        pct == 100,
    ));
    pct == 100
}

/// A canary share: the latest revision at `percent`, the rest on the previous one.
fn latest_percent(isvc: &Isvc, percent: i64, steps: &mut Vec<(String, bool)>) -> bool {
    let latest = isvc
        .predictor_status()
        .and_then(|s| s.traffic.iter().find(|t| t.latest));
    steps.push((
        format!(
            "latest revision at {percent}% (now {})",
            latest
                .map(|t| format!("{}%", t.percent))
                .unwrap_or_else(|| "–".into())
        ),
        latest.is_some_and(|t| t.percent == percent),
    ));
    // KServe writes the split in two passes: for a moment the rest can still name
    // the latest revision itself. Done only when another revision carries it.
    let rest = latest.map(|l| other_revisions_percent(isvc, &l.revision));
    let rest_placed = percent >= 100 || rest == Some(100 - percent);
    if percent < 100 {
        steps.push((
            format!(
                "the other {}% on the previous revision (now {})",
                100 - percent,
                rest.map(|p| format!("{p}%")).unwrap_or_else(|| "–".into())
            ),
            rest_placed,
        ));
    }
    latest.is_some_and(|t| t.percent == percent) && rest_placed
}

/// The latest created revision and whether it is new and ready.
fn created_revision(isvc: &Isvc, previous_latest: &Option<String>) -> (Option<String>, bool, bool) {
    let status = isvc.predictor_status();
    let created = status.and_then(|s| s.latest_created.clone());
    let is_new = created.is_some() && created != *previous_latest;
    let ready_rev = status.and_then(|s| s.latest_ready.clone());
    let new_ready = is_new && ready_rev == created;
    (created, is_new, new_ready)
}

/// A new model version: a new revision created, ready, and at `percent`.
fn new_revision(
    isvc: &Isvc,
    previous_latest: &Option<String>,
    percent: i64,
    steps: &mut Vec<(String, bool)>,
) -> bool {
    let (created, is_new, new_ready) = created_revision(isvc, previous_latest);
    steps.push((
        format!(
            "new revision created ({})",
            created
                .as_deref()
                .map(short_revision)
                .unwrap_or_else(|| "–".into())
        ),
        is_new,
    ));
    steps.push(("new revision ready".to_string(), new_ready));
    let pct = created.as_deref().map(|r| percent_of(isvc, r)).unwrap_or(0);
    steps.push((
        format!("new revision at {percent}% (now {pct}%)"),
        new_ready && pct == percent,
    ));
    new_ready && pct == percent
}

/// Why the new revision fails to become ready, once the controller has seen the change.
fn new_revision_failure(
    isvc: &Isvc,
    previous_latest: &Option<String>,
    observed: bool,
) -> Option<String> {
    let (_, is_new, new_ready) = created_revision(isvc, previous_latest);
    if is_new && !new_ready && observed {
        failure(isvc)
    } else {
        None
    }
}

/// Standard-mode canaries: each ready one at its expected share.
fn canaries(isvc: &Isvc, expect: &[(String, i64)], steps: &mut Vec<(String, bool)>) -> bool {
    let actual: Vec<(String, i64)> = isvc
        .canaries
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                if c.ready == Some(true) {
                    c.traffic_percent
                } else {
                    0
                },
            )
        })
        .collect();
    let ok = actual == expect;
    let want = if expect.is_empty() {
        "no canaries left".to_string()
    } else {
        expect
            .iter()
            .map(|(n, p)| format!("{n} {p}%"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    steps.push((format!("canaries: {want}"), ok));
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn isvc(traffic: serde_json::Value, ready: &str, observed: i64) -> Isvc {
        Isvc::parse(
            &json!({"metadata": {"name": "f", "namespace": "ml", "generation": 3},
            "spec": {"predictor": {"model": {}}},
            "status": {"observedGeneration": observed,
                "conditions": [{"type": "Ready", "status": ready, "reason": "RevisionFailed", "message": "boom"}],
                "components": {"predictor": {"latestCreatedRevision": "f-predictor-00003", "latestReadyRevision": "f-predictor-00002", "traffic": traffic}}}}),
        )
    }

    #[test]
    fn rollback_is_done_when_stable_has_everything_and_ready() {
        let goal = Goal::AllTrafficTo {
            revision: "f-predictor-00001".into(),
        };
        let mid = isvc(
            json!([{"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 10},
                              {"revisionName": "f-predictor-00001", "tag": "prev", "percent": 90}]),
            "True",
            3,
        );
        assert_eq!(evaluate(&goal, &mid, 3).outcome, None);
        let done = isvc(
            json!([{"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 0},
                               {"revisionName": "f-predictor-00001", "tag": "prev", "percent": 100}]),
            "True",
            3,
        );
        let p = evaluate(&goal, &done, 3);
        assert_eq!(p.outcome, Some(Outcome::Done));
        assert!(p.steps.iter().all(|(_, ok)| *ok));
        assert_eq!(evaluate(&goal, &done, 4).outcome, None, "not observed yet");
    }

    #[test]
    fn a_new_revision_that_fails_is_reported() {
        let goal = Goal::NewRevision {
            previous_latest: Some("f-predictor-00002".into()),
            percent: 10,
        };
        let failing = isvc(
            json!([{"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 100}]),
            "False",
            3,
        );
        match evaluate(&goal, &failing, 3).outcome {
            Some(Outcome::Failed(reason)) => {
                assert!(reason.contains("RevisionFailed: boom"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_split_is_done_only_when_the_rest_is_on_another_revision() {
        let goal = Goal::LatestPercent { percent: 10 };
        // After undoing a promote, KServe's first pass still names r2 for the rest.
        let first_pass = isvc(
            json!([{"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 10},
                   {"revisionName": "f-predictor-00002", "tag": "prev", "percent": 90}]),
            "True",
            3,
        );
        assert_eq!(evaluate(&goal, &first_pass, 3).outcome, None);
        let second_pass = isvc(
            json!([{"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 10},
                   {"revisionName": "f-predictor-00001", "tag": "prev", "percent": 90}]),
            "True",
            3,
        );
        assert_eq!(
            evaluate(&goal, &second_pass, 3).outcome,
            Some(Outcome::Done)
        );
    }
}
