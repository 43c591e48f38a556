//! The canaries the console knows to be failing: after each round of measurements the
//! latest revision of every Knative split is judged against the revision that carries the
//! rest (`domain::canary`), and a breach is remembered until that revision is judged fine
//! again or is no longer the latest — so the warning before sending it more traffic still
//! holds after a rollback took its requests away. Also the worst error rate per service
//! (the ERR% column).

use super::State;
use crate::domain::canary::{Breach, judge};
use crate::domain::isvc::Isvc;
use crate::domain::key::ObjectKey;

/// The latest revision and the other revision in the split (the one carrying the most of
/// the rest), when the predictor's traffic names two revisions.
pub fn split_revisions(isvc: &Isvc) -> Option<(String, String)> {
    let traffic = &isvc.predictor_status()?.traffic;
    let latest = traffic.iter().find(|t| t.latest)?;
    let stable = traffic
        .iter()
        .filter(|t| !t.latest && t.revision != latest.revision)
        .max_by_key(|t| t.percent)?;
    Some((latest.revision.clone(), stable.revision.clone()))
}

/// Judges every split after a round of measurements.
pub fn refresh(state: &mut State) {
    let thresholds = state.config.canary;
    let mut judged = Vec::new();
    for (key, revisions) in &state.figures.revisions {
        let Some((latest, stable)) = state.cluster.isvcs.items.get(key).and_then(split_revisions)
        else {
            continue;
        };
        let Some(canary) = revisions.get(&latest) else {
            continue;
        };
        let reasons = judge(&thresholds, canary, revisions.get(&stable));
        if !reasons.is_empty() {
            judged.push((
                key.clone(),
                Some(Breach {
                    canary: latest,
                    stable: Some(stable),
                    reasons,
                }),
            ));
        } else if canary.error_ratio.is_some() {
            judged.push((key.clone(), None));
        }
    }
    for (key, breach) in judged {
        match breach {
            Some(b) => state.figures.breaches.insert(key, b),
            None => state.figures.breaches.remove(&key),
        };
    }
}

/// The breach of `key`'s canary while it serves traffic: the badge, the sort, the title and
/// `kdeck status`'s exit code. A canary rolled back to 0 % is no longer a problem there.
pub fn breach<'a>(state: &'a State, key: &ObjectKey) -> Option<&'a Breach> {
    known_failing(state, key)
        .filter(|(_, percent)| *percent > 0)
        .map(|(b, _)| b)
}

/// Why `key`'s row is marked failing (the ✗ in TRAFFIC), in a few words for the title: an
/// InferenceService's canary breach while it serves traffic, or an LLM routing-group
/// member over its thresholds (TTFT, preemptions, errors). The title counts exactly the
/// rows the list marks.
pub fn failing_summary(state: &State, key: &ObjectKey) -> Option<String> {
    if state.cluster.isvcs.items.contains_key(key) {
        return breach(state, key).map(Breach::summary);
    }
    state.cluster.llm_isvcs.items.get(key)?.group()?;
    let reasons = super::service_kind::llm_breaches(state, key);
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

/// The remembered breach of `key`'s latest revision, if that is still the latest, with the
/// share it has now (0 after a rollback): what the warning before more traffic asks.
pub fn known_failing<'a>(state: &'a State, key: &ObjectKey) -> Option<(&'a Breach, i64)> {
    let breach = state.figures.breaches.get(key)?;
    let isvc = state.cluster.isvcs.items.get(key)?;
    let latest = isvc.predictor_status()?.traffic.iter().find(|t| t.latest)?;
    (latest.revision == breach.canary).then_some((breach, latest.percent))
}

/// The highest error share among the service's revisions (or of the service as a whole
/// when no revision is measured apart), and whether it is from cumulative counts.
pub fn worst_error(state: &State, key: &ObjectKey) -> Option<(f64, bool)> {
    let by_revision = state.figures.revisions.get(key).and_then(|revisions| {
        revisions
            .values()
            .filter_map(|f| {
                f.error_ratio
                    .map(|e| (e, f.cumulative || f.partial || f.stale))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
    });
    by_revision.or_else(|| {
        state.figures.service(key).and_then(|f| {
            f.error_ratio
                .map(|e| (e, f.cumulative || f.partial || f.stale))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{ClusterMsg, Measurements, Msg};
    use crate::app::update::update;
    use crate::domain::figures::RevisionFigures;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::watch::WatchEvent;

    fn with_split(s: &mut State, latest_pct: i64) {
        let isvc = parse(
            Kind::InferenceService,
            &serde_json::json!({"metadata": {"name": "fraud-detector", "namespace": "ml-prod", "resourceVersion": "9"},
            "spec": {"predictor": {"canaryTrafficPercent": latest_pct, "model": {"modelFormat": {"name": "sklearn"}}}},
            "status": {"deploymentMode": "Knative", "components": {"predictor": {"latestRolledoutRevision": "fraud-detector-predictor-00001",
                "traffic": [{"revisionName": "fraud-detector-predictor-00002", "latestRevision": true, "percent": latest_pct},
                            {"revisionName": "fraud-detector-predictor-00001", "percent": 100 - latest_pct, "tag": "prev"}]}}}}),
        );
        let epoch = s.cluster.epoch;
        update(
            s,
            Msg::Cluster(ClusterMsg::Watch {
                epoch,
                kind: Kind::InferenceService,
                events: vec![WatchEvent::Upsert(isvc)],
            }),
        );
    }

    fn round(canary: Option<(f64, f64)>) -> Msg {
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let fig = |p99: f64, err: f64| RevisionFigures {
            p99_ms: Some(p99),
            error_ratio: Some(err),
            rps: Some(3.0),
            at: Some(at),
            ..RevisionFigures::default()
        };
        let mut revisions = vec![(
            key.clone(),
            "fraud-detector-predictor-00001".into(),
            fig(80.0, 0.002),
        )];
        if let Some((p99, err)) = canary {
            revisions.push((
                key.clone(),
                "fraud-detector-predictor-00002".into(),
                fig(p99, err),
            ));
        }
        Msg::Metrics(Measurements {
            at,
            llm: Vec::new(),
            chains: Vec::new(),
            services: vec![(key, fig(200.0, 0.01))],
            revisions,
            problems: vec![],
        })
    }

    #[test]
    fn a_failing_canary_is_remembered_after_its_traffic_is_gone_until_judged_fine() {
        let mut s = crate::ui::snapshot_tests::cluster_state();
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        with_split(&mut s, 10);
        update(&mut s, round(Some((1400.0, 0.08))));
        let b = breach(&s, &key).expect("breach");
        assert_eq!(
            b.summary(),
            "r2: errors 8.0% vs 0.2% stable, p99 1.40s vs 80ms stable"
        );
        assert_eq!(worst_error(&s, &key), Some((0.08, false)));
        // Rolled back: r2 gets no requests, so no figures; the breach stays known (for the
        // warning before more traffic), but is no badge: r2 serves nothing.
        with_split(&mut s, 0);
        update(&mut s, round(None));
        assert!(breach(&s, &key).is_none());
        assert_eq!(known_failing(&s, &key).map(|(_, p)| p), Some(0));
        // Measured fine again: forgotten.
        with_split(&mut s, 10);
        update(&mut s, round(Some((85.0, 0.001))));
        assert!(breach(&s, &key).is_none());
    }

    #[test]
    fn the_selection_stays_on_top_until_a_key_is_pressed_then_follows_its_row() {
        let key_press = |c: char| {
            Msg::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ))
        };
        let fraud = ObjectKey::new("ml-prod", "fraud-detector");
        // Untouched: the top row stays selected while rows move.
        let mut s = crate::ui::snapshot_tests::cluster_state();
        assert_eq!(s.selected_service(), Some(&fraud));
        with_split(&mut s, 100);
        s.refresh_derived();
        assert_ne!(
            s.derived.services.first(),
            Some(&fraud),
            "no canary any more"
        );
        assert_eq!(s.selected_service(), s.derived.services.first());
        // After a key in the list, the selection follows fraud-detector wherever it goes.
        let mut s = crate::ui::snapshot_tests::cluster_state();
        update(&mut s, key_press('S'));
        update(&mut s, key_press('S'));
        assert_eq!(s.selected_service(), Some(&fraud));
        with_split(&mut s, 100);
        s.refresh_derived();
        assert_eq!(s.selected_service(), Some(&fraud));
    }
}
