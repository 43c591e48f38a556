//! Latency measurements: per-service and per-revision figures into the state (keeping the
//! GPU and cost figures other sources fill), the 15-minute history, and the canary guard.

use crate::app::effect::Effect;
use crate::app::msg::Measurements;
use crate::domain::guard::{CanarySample, Verdict};
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::rollout::RolloutAction;
use crate::state::State;
use crate::state::figures::HistoryPoint;

/// Applies one round of measurements and runs the guard.
pub fn handle(state: &mut State, m: Measurements) -> Vec<Effect> {
    let measured: std::collections::HashSet<ObjectKey> =
        m.services.iter().map(|(k, _)| k.clone()).collect();
    for (key, f) in &m.services {
        let entry = state.figures.services.entry(key.clone()).or_default();
        entry.p50_ms = f.p50_ms;
        entry.p99_ms = f.p99_ms;
        entry.rps = f.rps;
        entry.error_ratio = f.error_ratio;
        entry.at = f.at.or(Some(m.at));
        entry.stale = f.stale;
        entry.cumulative = f.cumulative;
        entry.partial = f.partial;
        // A background service's figures, sent again between its reads, carry the time
        // they were read: its history gets no second point for them.
        let at = f.at.filter(|_| !f.stale).unwrap_or(m.at);
        let repeated = state
            .figures
            .history
            .get(key)
            .and_then(|series| series.back())
            .is_some_and(|p| p.at >= at);
        if !repeated {
            state.figures.record(
                key,
                HistoryPoint {
                    at,
                    p99_ms: f.p99_ms,
                    rps: f.rps,
                },
            );
        }
    }
    // Services that were not measured this round keep their numbers but are marked stale.
    for (key, entry) in state.figures.services.iter_mut() {
        if !measured.contains(key) && entry.at.is_some() {
            entry.stale = true;
        }
    }
    // The rows whose sort values this round can change: the services measured now or last
    // round, each with a canary judged either time, and the LLM services. Services not
    // measured keep their numbers (only marked stale), so their rows stay put.
    let mut reached: Vec<ObjectKey> = state.figures.revisions.keys().cloned().collect();
    reached.extend(state.figures.breaches.keys().cloned());
    state.figures.revisions.clear();
    for (key, revision, f) in m.revisions {
        state
            .figures
            .revisions
            .entry(key)
            .or_default()
            .insert(revision, f);
    }
    // LLM services not measured this round keep their numbers, marked stale.
    for (key, f) in state.figures.llm.iter_mut() {
        if !m.llm.iter().any(|(k, _)| k == key) {
            f.stale = true;
        }
    }
    state.figures.llm.extend(m.llm);
    // So are the transformer chains' splits.
    for (key, f) in state.figures.chains.iter_mut() {
        if !m.chains.iter().any(|(k, _)| k == key) {
            f.stale = true;
        }
    }
    state.figures.chains.extend(m.chains);
    state.figures.problems = m.problems;
    crate::state::canary::refresh(state);
    reached.extend(measured);
    reached.extend(state.figures.revisions.keys().cloned());
    reached.extend(state.figures.breaches.keys().cloned());
    reached.extend(state.figures.llm.keys().cloned());
    for key in &reached {
        state.derived.touch(key);
    }
    state.dirty = true;
    guard(state, m.at)
}

/// Feeds every running canary's revision figures to its guard.
fn guard(state: &mut State, at: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    let config = state.config.guard;
    let mut alarms = Vec::new();
    let canaries: Vec<(ObjectKey, String)> = state
        .cluster
        .isvcs
        .items
        .iter()
        .filter(|(k, i)| {
            i.canary_in_progress() && (state.config.guard_all || state.guarded.contains(*k))
        })
        .filter_map(|(k, i)| {
            let latest = i
                .predictor_status()?
                .traffic
                .iter()
                .find(|t| t.latest && t.percent > 0)?;
            Some((k.clone(), latest.revision.clone()))
        })
        .collect();
    for (key, revision) in canaries {
        let Some(f) = state
            .figures
            .revisions
            .get(&key)
            .and_then(|r| r.get(&revision))
        else {
            continue;
        };
        if f.stale {
            continue;
        }
        let sample = CanarySample {
            at,
            p99_ms: f.p99_ms,
            error_ratio: f.error_ratio,
        };
        if let Verdict::Alarm(why) = state
            .guards
            .entry(key.clone())
            .or_default()
            .observe(&config, &revision, &sample)
        {
            alarms.push((key, revision, why));
        }
    }
    let mut effects = Vec::new();
    for (key, revision, why) in alarms {
        let short = crate::domain::isvc::short_revision(&revision);
        let text = format!("GUARD {}: canary {short} {why}", key.name);
        let busy = state
            .rollout
            .as_ref()
            .is_some_and(|f| !matches!(f.stage, crate::state::rollout::Stage::Finished(_)));
        if config.auto_rollback && !state.session.readonly && !busy {
            state.notify(
                NoticeLevel::Error,
                format!("{text}: rolling back automatically"),
            );
            effects.extend(super::rollout::start(
                state,
                key.clone(),
                RolloutAction::Rollback,
                true,
            ));
        } else {
            state.notify(
                NoticeLevel::Error,
                format!("{text}: select it and press R to roll back"),
            );
        }
        state.guard_alarm = Some((key, text));
    }
    effects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{ClusterMsg, Msg};
    use crate::app::update::update;
    use crate::domain::figures::RevisionFigures;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::watch::WatchEvent;

    fn canary_state() -> State {
        let mut s = crate::ui::snapshot_tests::cluster_state();
        let isvc = parse(
            Kind::InferenceService,
            &serde_json::json!({"metadata": {"name": "fraud-detector", "namespace": "ml-prod", "resourceVersion": "9"},
            "spec": {"predictor": {"canaryTrafficPercent": 10, "model": {"modelFormat": {"name": "sklearn"}}}},
            "status": {"deploymentMode": "Knative", "components": {"predictor": {"latestRolledoutRevision": "fraud-detector-predictor-00001",
                "traffic": [{"revisionName": "fraud-detector-predictor-00002", "latestRevision": true, "percent": 10},
                            {"revisionName": "fraud-detector-predictor-00001", "percent": 90, "tag": "prev"}]}}}}),
        );
        let m = Msg::Cluster(ClusterMsg::Watch {
            epoch: s.cluster.epoch,
            kind: Kind::InferenceService,
            events: vec![WatchEvent::Upsert(isvc)],
        });
        update(&mut s, m);
        s
    }

    fn round(sec: i64, canary_p99: f64) -> Msg {
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        let at = chrono::DateTime::from_timestamp(1_800_000_000 + sec, 0).unwrap_or_default();
        let fig = |p99: f64, err: f64| RevisionFigures {
            p99_ms: Some(p99),
            error_ratio: Some(err),
            at: Some(at),
            ..RevisionFigures::default()
        };
        Msg::Metrics(Measurements {
            at,
            llm: Vec::new(),
            chains: Vec::new(),
            services: vec![(key.clone(), fig(canary_p99 * 0.1 + 40.0, 0.008))],
            revisions: vec![
                (
                    key.clone(),
                    "fraud-detector-predictor-00002".into(),
                    fig(canary_p99, 0.08),
                ),
                (key, "fraud-detector-predictor-00001".into(), fig(40.0, 0.0)),
            ],
            problems: vec![],
        })
    }

    #[test]
    fn figures_fill_and_the_guard_stays_quiet_unless_enabled() {
        let mut s = canary_state();
        for i in 0..5 {
            assert!(update(&mut s, round(i * 5, 1200.0)).is_empty());
        }
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        assert!(s.figures.service(&key).unwrap().p99_ms.is_some());
        assert_eq!(s.figures.revisions[&key].len(), 2);
        assert!(s.guard_alarm.is_none());
    }

    #[test]
    fn an_enabled_guard_alarms_and_auto_rollback_starts_the_flow() {
        let mut s = canary_state();
        let key = ObjectKey::new("ml-prod", "fraud-detector");
        s.guarded.insert(key.clone());
        update(&mut s, round(0, 1200.0));
        update(&mut s, round(5, 1200.0));
        assert!(s.guard_alarm.is_none());
        update(&mut s, round(10, 1200.0));
        let (k, text) = s.guard_alarm.clone().unwrap();
        assert_eq!(k, key);
        assert!(
            text.contains("canary r2") && text.contains("p99 1200 ms"),
            "{text}"
        );
        assert!(
            s.rollout.is_none(),
            "without auto-rollback the guard only proposes"
        );
        let mut auto = canary_state();
        std::sync::Arc::make_mut(&mut auto.config)
            .guard
            .auto_rollback = true;
        auto.guarded.insert(key.clone());
        update(&mut auto, round(0, 1200.0));
        update(&mut auto, round(5, 1200.0));
        let effects = update(&mut auto, round(10, 1200.0));
        assert!(
            matches!(effects.as_slice(), [Effect::LoadHistory { .. }]),
            "{effects:?}"
        );
        let flow = auto.rollout.as_ref().unwrap();
        assert!(flow.automatic);
        assert_eq!(flow.action, RolloutAction::Rollback);
    }

    #[test]
    fn a_chain_split_is_kept_and_turns_stale_when_a_round_lacks_it() {
        use crate::domain::latency::chain_window::{ChainFigures, StageFigures};
        let mut s = canary_state();
        let key = ObjectKey::new("ml-prod", "image-classifier");
        let split = ChainFigures {
            predict: StageFigures {
                p50_ms: Some(26.0),
                p99_ms: Some(90.0),
            },
            hop_p50_ms: Some(3.0),
            ..ChainFigures::default()
        };
        let Msg::Metrics(mut m) = round(0, 40.0) else {
            unreachable!()
        };
        m.chains = vec![(key.clone(), split)];
        update(&mut s, Msg::Metrics(m));
        assert_eq!(s.figures.chains.get(&key), Some(&split));
        // A round without it (the transformer is off screen, or gone): kept, marked stale.
        update(&mut s, round(5, 40.0));
        let kept = s.figures.chains.get(&key).copied().unwrap();
        assert!(kept.stale && kept.hop_p50_ms == Some(3.0), "{kept:?}");
    }
}
