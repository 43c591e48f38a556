//! Traffic percentages read from a cluster are checked: a status that claims
//! 9223372036854775807 % is a problem to report (in the service's problems), not a figure to
//! show, so every percentage is clamped into 0–100 and the bad ones are flagged.

use super::isvc::{Canary, ComponentKind, ComponentSpec, ComponentStatus};
use super::json::Problems;

/// Clamps every traffic percentage into 0–100 and flags the ones that were not: a status
/// claiming 9223372036854775807% is a problem to report, not a figure to show.
pub fn check_percents(
    components: &mut [(ComponentKind, ComponentSpec)],
    status: &mut [(ComponentKind, ComponentStatus)],
    canaries: &mut [Canary],
    problems: &mut Problems,
) {
    let mut check = |what: String, percent: &mut i64| {
        if !(0..=100).contains(percent) {
            problems.push(format!(
                "{what} is {percent}, not a percentage from 0 to 100; shown clamped"
            ));
            *percent = (*percent).clamp(0, 100);
        }
    };
    for (kind, component) in components.iter_mut() {
        if let Some(p) = component.canary_traffic_percent.as_mut() {
            check(format!("spec.{}.canaryTrafficPercent", kind.key()), p);
        }
    }
    for (kind, s) in status.iter_mut() {
        for t in &mut s.traffic {
            let what = format!(
                "status.components.{}.traffic ({}) percent",
                kind.key(),
                t.revision
            );
            check(what, &mut t.percent);
        }
    }
    for c in canaries.iter_mut() {
        check(
            format!("spec.canary ({}) trafficPercent", c.name),
            &mut c.traffic_percent,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::isvc::Isvc;

    #[test]
    fn traffic_percents_outside_0_to_100_are_flagged_not_shown() {
        let v = serde_json::json!({
            "metadata": {"name": "m", "namespace": "ns"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}, "canaryTrafficPercent": 150}},
            "status": {"components": {"predictor": {"traffic": [
                {"revisionName": "m-predictor-00002", "percent": 1e30, "latestRevision": true},
                {"revisionName": "m-predictor-00001", "percent": -5, "latestRevision": false}
            ]}}}
        });
        let isvc = Isvc::parse(&v);
        let label = isvc.traffic_label("·");
        assert!(!label.contains("9223372036854775807"), "{label}");
        assert_eq!(label, "r2 100% · r1 0%");
        assert_eq!(isvc.canary_percent(), Some(100));
        assert_eq!(isvc.problems.0.len(), 3, "{:?}", isvc.problems);
        assert!(
            isvc.problems.0[1].contains("9223372036854775807"),
            "{:?}",
            isvc.problems
        );
    }
}
