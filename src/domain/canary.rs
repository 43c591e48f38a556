//! Whether a canary revision is worse than its stable one: its error rate past an absolute
//! floor and a multiple of the stable revision's, or its p99 latency past a multiple of the
//! stable's (and a floor, so that 2 ms against 1 ms is no alarm). Pure; the thresholds come
//! from `[canary]` in config.toml. The services list's badge, the ERR% sort, `kdeck status`'s
//! exit code and the warning before more traffic goes to a failing revision all ask here.

use crate::domain::figures::RevisionFigures;

/// When a canary counts as worse than its stable revision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanaryThresholds {
    /// Errors above this share (0–1) of requests, and …
    pub error_ratio: f64,
    /// … above this many times the stable revision's error share.
    pub error_factor: f64,
    /// p99 above this many times the stable revision's p99, and …
    pub p99_factor: f64,
    /// … above this many milliseconds.
    pub p99_floor_ms: f64,
    /// An LLM service (or group member) breaches when its TTFT p99 is above this many ms, …
    pub ttft_p99_ms: f64,
    /// … or vLLM preempts more than this many requests per second.
    pub preemptions_per_s: f64,
}

impl Default for CanaryThresholds {
    fn default() -> Self {
        CanaryThresholds {
            error_ratio: 0.01,
            error_factor: 2.0,
            p99_factor: 1.5,
            p99_floor_ms: 100.0,
            ttft_p99_ms: 2000.0,
            preemptions_per_s: 1.0,
        }
    }
}

impl CanaryThresholds {
    /// The thresholds in words, for the detail view and help.
    pub fn describe(&self) -> String {
        format!(
            "errors > {} and > {}× stable, or p99 > {}× stable and > {:.0} ms",
            percent(self.error_ratio),
            trim(self.error_factor),
            trim(self.p99_factor),
            self.p99_floor_ms
        )
    }
}

/// A canary revision that breaches the thresholds, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// Full revision names.
    pub canary: String,
    pub stable: Option<String>,
    /// One reason per breached figure, e.g. "errors 8.1% vs 0.2%".
    pub reasons: Vec<String>,
}

impl Breach {
    /// "r2 errors 8.1% vs r1 0.2%; p99 1.4s vs 80ms"-style text.
    pub fn summary(&self) -> String {
        format!(
            "{}: {}",
            crate::domain::isvc::short_revision(&self.canary),
            self.reasons.join(", ")
        )
    }
}

/// A share as a percentage with one decimal ("8.1%").
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        format!("{ms:.0}ms")
    }
}

/// The reasons `canary` is worse than `stable` (empty: it is not, or nothing is measured).
/// Without stable figures only the absolute error floor applies.
pub fn judge(
    t: &CanaryThresholds,
    canary: &RevisionFigures,
    stable: Option<&RevisionFigures>,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(errors) = canary.error_ratio.filter(|e| *e > t.error_ratio) {
        match stable.and_then(|s| s.error_ratio) {
            Some(base) if errors > base * t.error_factor => reasons.push(format!(
                "errors {} vs {} stable",
                percent(errors),
                percent(base)
            )),
            Some(_) => {}
            None => reasons.push(format!(
                "errors {} (> {})",
                percent(errors),
                percent(t.error_ratio)
            )),
        }
    }
    if let (Some(p99), Some(base)) = (canary.p99_ms, stable.and_then(|s| s.p99_ms))
        && p99 > t.p99_floor_ms
        && p99 > base * t.p99_factor
    {
        reasons.push(format!("p99 {} vs {} stable", millis(p99), millis(base)));
    }
    reasons
}

/// The latest revision's share before and after a change aiming at `goal`, when the change
/// raises it: (revision, before %, after %).
pub fn raises_latest(
    isvc: &crate::domain::isvc::Isvc,
    goal: &crate::domain::rollout::progress::Goal,
) -> Option<(String, i64, i64)> {
    use crate::domain::rollout::progress::Goal;
    let latest = isvc.predictor_status()?.traffic.iter().find(|t| t.latest)?;
    let after = match goal {
        Goal::LatestPercent { percent } => *percent,
        Goal::AllTrafficTo { revision } if *revision == latest.revision => 100,
        _ => return None,
    };
    (after > latest.percent).then(|| (latest.revision.clone(), latest.percent, after))
}

/// The warning before a change sends more traffic to a failing revision, if it does.
pub fn more_traffic_warning(
    breach: Option<&Breach>,
    isvc: &crate::domain::isvc::Isvc,
    goal: &crate::domain::rollout::progress::Goal,
) -> Option<String> {
    let breach = breach?;
    let (revision, before, after) = raises_latest(isvc, goal)?;
    (revision == breach.canary).then(|| {
        format!(
            "{} is failing ({}); this sends it more traffic: {before}% → {after}%",
            crate::domain::isvc::short_revision(&revision),
            breach.reasons.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(p99: f64, errors: f64) -> RevisionFigures {
        RevisionFigures {
            p99_ms: Some(p99),
            error_ratio: Some(errors),
            ..RevisionFigures::default()
        }
    }

    #[test]
    fn a_failing_slow_canary_breaches_on_both_figures() {
        let t = CanaryThresholds::default();
        let reasons = judge(&t, &fig(1400.0, 0.08), Some(&fig(80.0, 0.002)));
        assert_eq!(
            reasons,
            vec![
                "errors 8.0% vs 0.2% stable".to_string(),
                "p99 1.40s vs 80ms stable".to_string()
            ]
        );
    }

    #[test]
    fn small_or_shared_problems_are_no_breach() {
        let t = CanaryThresholds::default();
        // Under the absolute floor.
        assert!(judge(&t, &fig(80.0, 0.009), Some(&fig(80.0, 0.0))).is_empty());
        // Both revisions fail alike: the canary is not the cause.
        assert!(judge(&t, &fig(80.0, 0.05), Some(&fig(80.0, 0.04))).is_empty());
        // Twice as slow, but fast in absolute terms.
        assert!(judge(&t, &fig(40.0, 0.0), Some(&fig(20.0, 0.0))).is_empty());
        // Nothing measured.
        assert!(judge(&t, &RevisionFigures::default(), None).is_empty());
    }

    #[test]
    fn without_a_stable_revision_only_the_error_floor_counts() {
        let t = CanaryThresholds::default();
        assert_eq!(
            judge(&t, &fig(5000.0, 0.03), None),
            vec!["errors 3.0% (> 1.0%)".to_string()]
        );
        assert_eq!(
            t.describe(),
            "errors > 1.0% and > 2× stable, or p99 > 1.5× stable and > 100 ms"
        );
    }

    #[test]
    fn more_traffic_to_the_failing_revision_is_warned_about_less_is_not() {
        use crate::domain::rollout::progress::Goal;
        let isvc = crate::domain::isvc::Isvc::parse(&serde_json::json!({
            "metadata": {"name": "f", "namespace": "ml"},
            "spec": {"predictor": {"model": {}}},
            "status": {"components": {"predictor": {"traffic": [
                {"revisionName": "f-predictor-00002", "latestRevision": true, "percent": 10},
                {"revisionName": "f-predictor-00001", "percent": 90, "tag": "prev"}]}}}}));
        let breach = Breach {
            canary: "f-predictor-00002".into(),
            stable: Some("f-predictor-00001".into()),
            reasons: vec!["errors 9.0% vs 0.2% stable".into()],
        };
        let warn = |goal: Goal| more_traffic_warning(Some(&breach), &isvc, &goal);
        assert_eq!(
            warn(Goal::LatestPercent { percent: 25 }).as_deref(),
            Some(
                "r2 is failing (errors 9.0% vs 0.2% stable); this sends it more traffic: 10% → 25%"
            )
        );
        assert!(
            warn(Goal::AllTrafficTo {
                revision: "f-predictor-00002".into()
            })
            .is_some()
        );
        assert_eq!(warn(Goal::LatestPercent { percent: 5 }), None);
        assert_eq!(
            warn(Goal::AllTrafficTo {
                revision: "f-predictor-00001".into()
            }),
            None
        );
        assert_eq!(
            more_traffic_warning(None, &isvc, &Goal::LatestPercent { percent: 25 }),
            None
        );
    }
}
