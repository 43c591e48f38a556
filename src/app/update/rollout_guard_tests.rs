//! The canary guard in the rollout flow: more traffic to a failing canary needs the typed
//! name, less traffic or a healthy canary asks as usual, the guard key, and undo onto a
//! failing canary.

use super::tests::{
    code, history_with, id, isvc_json, key, rollout, setup, to_confirmation, watch,
};
use super::*;
use crate::app::msg::{Msg, RolloutMsg};
use crate::app::update::update;
use serde_json::json;

/// One round of figures in which the canary r2 fails 9 % of its requests.
fn failing_canary_round(s: &mut State) {
    let at = s.now;
    let fig = |p99: f64, errors: f64| crate::domain::figures::RevisionFigures {
        p99_ms: Some(p99),
        error_ratio: Some(errors),
        rps: Some(3.0),
        at: Some(at),
        ..Default::default()
    };
    let fraud = ObjectKey::new("ml-prod", "fraud-detector");
    update(
        s,
        Msg::Metrics(crate::app::msg::Measurements {
            at,
            llm: Vec::new(),
            chains: Vec::new(),
            services: vec![(fraud.clone(), fig(200.0, 0.01))],
            revisions: vec![
                (
                    fraud.clone(),
                    "fraud-detector-predictor-00002".into(),
                    fig(900.0, 0.09),
                ),
                (
                    fraud,
                    "fraud-detector-predictor-00001".into(),
                    fig(80.0, 0.002),
                ),
            ],
            problems: Vec::new(),
        }),
    );
}

/// `c 25` up to the confirmation; returns the state.
fn canary_25_to_confirmation(s: &mut State) {
    update(s, key('c'));
    for _ in 0..3 {
        update(s, code(KeyCode::Backspace));
    }
    update(s, key('2'));
    update(s, key('5'));
    update(s, code(KeyCode::Enter));
    let i = id(s);
    let reply = history_with(s, Ok(isvc_json(10, 2)));
    update(s, reply);
    update(
        s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Ok((true, String::new())),
        }),
    );
    update(
        s,
        rollout(RolloutMsg::DryRun {
            id: i,
            result: Ok(()),
        }),
    );
    assert!(matches!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Confirm { .. }
    ));
}

#[test]
fn more_traffic_to_a_failing_canary_needs_a_typed_confirmation() {
    let mut s = setup();
    failing_canary_round(&mut s);
    canary_25_to_confirmation(&mut s);
    let warning = s.rollout.as_ref().unwrap().warning.clone().unwrap();
    assert!(
        warning.contains("r2 is failing") && warning.contains("10% → 25%"),
        "{warning}"
    );
    // y and enter do not confirm; they are typed.
    assert!(update(&mut s, key('y')).is_empty());
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(matches!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Confirm { .. }
    ));
    assert!(
        s.ui.notice
            .as_ref()
            .unwrap()
            .text
            .contains("type 'fraud-detector' or 'yes'")
    );
    for _ in 0..3 {
        update(&mut s, code(KeyCode::Backspace));
    }
    for c in "yes".chars() {
        update(&mut s, key(c));
    }
    let effects = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::ApplyPatch { .. }]),
        "{effects:?}"
    );
}

#[test]
fn less_traffic_to_a_failing_canary_or_a_healthy_one_asks_as_usual() {
    let mut s = setup();
    canary_25_to_confirmation(&mut s);
    assert_eq!(s.rollout.as_ref().unwrap().warning, None);
    assert!(matches!(
        update(&mut s, key('y')).as_slice(),
        [Effect::ApplyPatch { .. }]
    ));
    let mut s = setup();
    failing_canary_round(&mut s);
    assert!(to_confirmation(&mut s).is_empty());
    assert_eq!(s.rollout.as_ref().unwrap().warning, None, "a rollback");
}

#[test]
fn the_guard_key_toggles_the_guard_even_read_only_and_says_it_only_alarms() {
    let mut s = setup();
    s.session.readonly = true;
    let fraud = ObjectKey::new("ml-prod", "fraud-detector");
    update(&mut s, key('w'));
    assert!(s.guarded.contains(&fraud));
    let notice = s.ui.notice.clone().unwrap().text;
    assert!(
        notice.contains("guard on for fraud-detector") && notice.contains("cannot roll back"),
        "{notice}"
    );
    update(&mut s, key('w'));
    assert!(!s.guarded.contains(&fraud));
    // G is the bottom of the list again, not the guard.
    update(&mut s, key('G'));
    assert!(!s.guarded.contains(&fraud));
    assert!(s.rollout.is_none());
}

#[test]
fn undo_of_a_rollback_onto_the_failing_canary_warns_though_it_has_no_traffic_now() {
    let mut s = setup();
    failing_canary_round(&mut s);
    // Rolled back: r2 at 0 %, no badge, but still known to fail.
    let m = watch(&s, isvc_json(0, 2));
    update(&mut s, m);
    let fraud = ObjectKey::new("ml-prod", "fraud-detector");
    assert!(crate::state::canary::breach(&s, &fraud).is_none());
    update(&mut s, key('u'));
    let i = id(&s);
    let now = s.now;
    // (The fixture's spec keeps canaryTrafficPercent 10; the recorded one differs.)
    let before_rollback = json!({"predictor": {"canaryTrafficPercent": 25, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}});
    update(
        &mut s,
        rollout(RolloutMsg::History {
            id: i,
            key: fraud,
            entries: vec![HistoryEntry {
                at: now,
                action: "rollback".into(),
                revision: None,
                by: "me".into(),
                spec: before_rollback,
            }],
            problem: None,
            deployed: Ok(Vec::new()),
            object: Ok(isvc_json(0, 2)),
        }),
    );
    let warning = s.rollout.as_ref().unwrap().warning.clone();
    assert!(
        warning.as_deref().is_some_and(|w| w.contains("0% → 25%")),
        "{warning:?}"
    );
}
