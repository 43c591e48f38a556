//! The canary guard firing, at the update level against the simulated cluster.
//!
//! This branch has no latency source (nothing sends `Msg::Metrics` outside tests: no
//! Prometheus scraper or model-server prober yet), so the console cannot be made to see a
//! breaching canary from a pseudo-terminal. Instead the test builds the console's `State`
//! from the service read through the API, feeds `Msg::Metrics` rounds with breaching
//! figures for the canary revision, and runs the effects `update` returns with the same
//! `sources::kube::actions` calls the effect runner makes, against the sim; the result is
//! checked through the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::cluster::{Cluster, WAIT, canary_percent, percent_of, predictor_status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kdeck::app::effect::Effect;
use kdeck::app::msg::{ClusterMsg, Measurements, Msg, RolloutMsg};
use kdeck::app::update::update;
use kdeck::config::Config;
use kdeck::config::keymap::Keymap;
use kdeck::domain::figures::RevisionFigures;
use kdeck::domain::key::ObjectKey;
use kdeck::domain::kind::{Kind, parse};
use kdeck::domain::rollout::RolloutAction;
use kdeck::domain::watch::WatchEvent;
use kdeck::sources::kube::actions;
use kdeck::sources::kube::write::{self, Written};
use kdeck::state::State;
use kdeck::state::rollout::{Finish, Stage};
use kdeck::state::session::Session;
use std::collections::VecDeque;
use std::sync::Arc;

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";

fn key() -> ObjectKey {
    ObjectKey::new(NS, FRAUD)
}

/// The console's state with fraud-detector as the API server has it now.
fn state(cluster: &Cluster, configure: impl FnOnce(&mut Config)) -> State {
    let (keymap, _) = Keymap::load(None);
    let mut config = Config::default();
    configure(&mut config);
    let session = Session {
        context: Some("kdeck-sim".to_string()),
        user: "guard-test".to_string(),
        ..Session::default()
    };
    let mut s = State::new(keymap, config, session, Utc::now());
    update(
        &mut s,
        Msg::Resize {
            width: 160,
            height: 45,
        },
    );
    refresh(&mut s, cluster);
    s
}

/// Feeds the service's current object to the state, as the watcher would.
fn refresh(s: &mut State, cluster: &Cluster) {
    let object = parse(Kind::InferenceService, &cluster.isvc(NS, FRAUD));
    let epoch = s.cluster.epoch;
    update(
        s,
        Msg::Cluster(ClusterMsg::Watch {
            epoch,
            kind: Kind::InferenceService,
            events: vec![WatchEvent::Upsert(object)],
        }),
    );
    s.refresh_derived();
}

/// One measurement round `n`: the canary revision slow and failing, the stable one fine.
fn breaching_round(n: i64, stable: &str, canary: &str) -> Msg {
    let at = Utc::now() + chrono::Duration::seconds(5 * n);
    let figures = |p99: f64, errors: f64| RevisionFigures {
        p99_ms: Some(p99),
        error_ratio: Some(errors),
        at: Some(at),
        ..RevisionFigures::default()
    };
    Msg::Metrics(Measurements {
        at,
        llm: Vec::new(),
        chains: Vec::new(),
        services: vec![(key(), figures(180.0, 0.008))],
        revisions: vec![
            (key(), canary.to_string(), figures(1400.0, 0.08)),
            (key(), stable.to_string(), figures(40.0, 0.0)),
        ],
        problems: Vec::new(),
    })
}

/// Runs rollout effects against the cluster with the calls the effect runner makes, feeding
/// each result back, until none are left. Returns the audit records it was asked to write.
fn run_effects(
    s: &mut State,
    cluster: &Cluster,
    effects: Vec<Effect>,
) -> Vec<actions::AuditRecord> {
    let client = cluster.client();
    let mut queue: VecDeque<Effect> = effects.into();
    let mut audited = Vec::new();
    while let Some(effect) = queue.pop_front() {
        let msg = match effect {
            Effect::LoadHistory { id, key } => {
                let (entries, problem) = cluster
                    .block_on(actions::load_history(&client, &key.namespace, &key.name))
                    .unwrap();
                let deployed = cluster
                    .block_on(actions::deployed_revisions(
                        &client,
                        &key.namespace,
                        &key.name,
                    ))
                    .map_err(Arc::new);
                let object =
                    cluster.block_on(actions::get_isvc(&client, &key.namespace, &key.name));
                RolloutMsg::History {
                    id,
                    key,
                    entries,
                    problem,
                    deployed,
                    object,
                }
            }
            Effect::CheckPermission { id, key } => RolloutMsg::Permission {
                id,
                result: cluster
                    .block_on(actions::can_i(
                        &client,
                        "patch",
                        "serving.kserve.io",
                        "inferenceservices",
                        &key.namespace,
                        &key.name,
                    ))
                    .map_err(Arc::new),
            },
            Effect::DryRunPatch { id, key, patch } => RolloutMsg::DryRun {
                id,
                result: cluster
                    .block_on(write::patch(
                        &client,
                        Written::InferenceService,
                        &key.namespace,
                        &key.name,
                        &patch,
                        true,
                    ))
                    .map(|_| ()),
            },
            Effect::ApplyPatch {
                id,
                key,
                patch,
                history,
                intent,
            } => {
                // What the runner's write does (sources::kube::write), minus the local log
                // line: that goes to the process's state directory, which the PTY and
                // headless tests check in their sandboxes.
                let result = cluster
                    .block_on(write::patch(
                        &client,
                        Written::InferenceService,
                        &key.namespace,
                        &key.name,
                        &patch,
                        false,
                    ))
                    .map(|o| o["metadata"]["generation"].as_i64().unwrap_or(0));
                let mut history_problem = None;
                if result.is_ok() {
                    let mut record = *intent;
                    record.outcome = "applied".to_string();
                    cluster
                        .block_on(actions::emit_event(&client, &record))
                        .unwrap();
                    audited.push(record);
                    history_problem = cluster
                        .block_on(actions::save_history(
                            &client,
                            &key.namespace,
                            &key.name,
                            *history,
                        ))
                        .err()
                        .map(|e| e.to_string());
                }
                RolloutMsg::Applied {
                    id,
                    result,
                    history_problem,
                    note: None,
                }
            }
            other => panic!("unexpected effect {other:?}"),
        };
        queue.extend(update(s, Msg::Rollout(msg)));
    }
    audited
}

fn revisions(cluster: &Cluster) -> (String, String) {
    let isvc = cluster.isvc(NS, FRAUD);
    (
        predictor_status(&isvc, "latestRolledoutRevision")
            .unwrap()
            .to_string(),
        predictor_status(&isvc, "latestReadyRevision")
            .unwrap()
            .to_string(),
    )
}

/// Follows the applied rollback from the watched status until the flow finishes.
fn follow_to_the_end(s: &mut State, cluster: &Cluster, stable: &str) -> Finish {
    cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| percent_of(o, stable) == 100)
        .expect("traffic moves back to the stable revision");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        refresh(s, cluster);
        update(s, Msg::Tick(Utc::now()));
        if let Some(Stage::Finished(f)) = s.rollout.as_ref().map(|f| f.stage.clone()) {
            return f;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the flow did not finish: {:?}",
            s.rollout.as_ref().map(|f| &f.stage)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn an_auto_rollback_guard_rolls_the_breaching_canary_back_on_the_cluster() {
    let cluster = Cluster::start(&[]);
    let (stable, canary) = revisions(&cluster);
    let mut s = state(&cluster, |c| {
        c.guard_all = true;
        c.guard.auto_rollback = true;
    });
    // Two breaching intervals only watch; the third (GuardConfig::default) trips it.
    for n in 0..2 {
        let effects = update(&mut s, breaching_round(n, &stable, &canary));
        assert!(effects.is_empty(), "{effects:?}");
        assert!(s.guard_alarm.is_none());
    }
    let effects = update(&mut s, breaching_round(2, &stable, &canary));
    let (alarm_key, alarm) = s.guard_alarm.clone().expect("the guard alarms");
    assert_eq!(alarm_key, key());
    assert!(
        alarm.contains("p99 1400 ms") && alarm.contains("errors 8.0%"),
        "{alarm}"
    );
    assert!(
        s.rollout
            .as_ref()
            .is_some_and(|f| f.automatic && f.action == RolloutAction::Rollback)
    );
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    // The same safety steps run, but nobody is asked.
    let audited = run_effects(&mut s, &cluster, effects);
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&after), Some(0), "{after}");
    let finish = follow_to_the_end(&mut s, &cluster, &stable);
    assert!(
        matches!(&finish, Finish::Done(m) if m.contains("r2 0% · r1 100%")),
        "{finish:?}"
    );
    let flow = s.rollout.as_ref().unwrap();
    assert!(
        flow.done
            .iter()
            .any(|(step, how)| step == "confirmed" && how.contains("guard")),
        "{:?}",
        flow.done
    );
    assert!(
        s.guard_alarm.is_none(),
        "a successful rollback clears the alarm"
    );
    assert_eq!(percent_of(&cluster.isvc(NS, FRAUD), &canary), 0);
    assert_eq!(audited.len(), 1);
    let events = cluster.kdeck_events(NS, FRAUD);
    assert!(
        events
            .iter()
            .any(|(r, m)| r == "KdeckRollback" && m.contains("by guard-test")),
        "{events:?}"
    );
}

#[test]
fn a_proposing_guard_alarms_and_r_then_y_rolls_back() {
    let cluster = Cluster::start(&[]);
    let (stable, canary) = revisions(&cluster);
    let mut s = state(&cluster, |c| c.guard_all = true);
    for n in 0..3 {
        assert!(update(&mut s, breaching_round(n, &stable, &canary)).is_empty());
    }
    assert!(s.guard_alarm.is_some());
    assert!(
        s.rollout.is_none(),
        "without auto-rollback it only proposes"
    );
    let notice = s.ui.notice.as_ref().map(|n| n.text.clone()).unwrap();
    assert!(notice.contains("press R to roll back"), "{notice}");
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    let press = |s: &mut State, c: char| {
        update(
            s,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        )
    };
    let effects = press(&mut s, 'R');
    run_effects(&mut s, &cluster, effects);
    assert!(
        matches!(
            s.rollout.as_ref().map(|f| &f.stage),
            Some(Stage::Confirm { .. })
        ),
        "{:?}",
        s.rollout.as_ref().map(|f| &f.stage)
    );
    let effects = press(&mut s, 'y');
    run_effects(&mut s, &cluster, effects);
    let finish = follow_to_the_end(&mut s, &cluster, &stable);
    assert!(matches!(finish, Finish::Done(_)), "{finish:?}");
    assert!(s.guard_alarm.is_none());
}

#[test]
fn a_read_only_console_never_rolls_back_by_itself() {
    let cluster = Cluster::start(&[]);
    let (stable, canary) = revisions(&cluster);
    let mut s = state(&cluster, |c| {
        c.guard_all = true;
        c.guard.auto_rollback = true;
        c.readonly = true;
    });
    s.session.readonly = true;
    for n in 0..4 {
        assert!(update(&mut s, breaching_round(n, &stable, &canary)).is_empty());
    }
    assert!(s.guard_alarm.is_some(), "it still raises the alarm");
    assert!(s.rollout.is_none());
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
}
