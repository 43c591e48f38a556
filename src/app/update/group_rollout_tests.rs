//! The group flow driven message by message: nothing is sent before the confirmation, the
//! first step carries the undo point, the flow waits for `status.router.group`, a refused
//! step ends it in words, and a step the status never shows times out.

use super::*;
use crate::app::msg::{ClusterMsg, Msg};
use crate::app::update::update;
use crate::domain::kind::{Kind, parse};
use crate::domain::watch::WatchEvent;
use crossterm::event::KeyModifiers;
use serde_json::json;

fn member(name: &str, weight: i64, generation: i64, shown: i64) -> Value {
    json!({
        "apiVersion": "serving.kserve.io/v1alpha2",
        "kind": "LLMInferenceService",
        "metadata": {"name": name, "namespace": "llm", "resourceVersion": "7", "generation": generation, "uid": format!("u-{name}")},
        "spec": {"model": {"uri": "hf://m"}, "router": {"route": {"group": "chat", "weight": weight}}},
        "status": {"observedGeneration": generation,
            "conditions": [{"type": "Ready", "status": "True"}],
            "router": {"group": {"members": [{"name": name, "weight": shown, "stopped": false}]}}}
    })
}

fn watch(state: &State, values: &[Value]) -> Msg {
    Msg::Cluster(ClusterMsg::Watch {
        epoch: state.cluster.epoch,
        kind: Kind::LlmInferenceService,
        events: values
            .iter()
            .map(|v| WatchEvent::Upsert(parse(Kind::LlmInferenceService, v)))
            .collect(),
    })
}

fn setup() -> State {
    let mut s = crate::ui::snapshot_tests::state();
    let m = watch(
        &s,
        &[member("canary", 10, 1, 10), member("stable", 90, 1, 90)],
    );
    update(&mut s, m);
    s
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn rollback(s: &mut State) -> Vec<Effect> {
    let effects = start(
        s,
        ObjectKey::new("llm", "canary"),
        GroupAction::Rollback { stop: false },
    );
    let [Effect::CheckGroupPlan { id, .. }] = effects.as_slice() else {
        panic!("the checks come first: {effects:?}");
    };
    let id = *id;
    // A key before the checks answered applies nothing.
    assert!(update(s, key(KeyCode::Char('y'))).is_empty());
    update(s, Msg::GroupChecked { id, result: Ok(()) });
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Confirm { yes: false }
    ));
    update(s, key(KeyCode::Char('y')))
}

#[test]
fn rollback_applies_one_step_and_is_done_when_the_group_status_shows_weight_zero() {
    let mut s = setup();
    let effects = rollback(&mut s);
    let [
        Effect::ApplyGroupStep {
            id,
            step: 0,
            planned,
            rebase: false,
            undo: Some(undo),
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(planned.member, "canary");
    assert_eq!(undo.0, "llm.canary");
    let id = *id;
    // The server answered: generation 2; the status does not show it yet.
    let applied = member("canary", 0, 2, 10);
    let effects = update(
        &mut s,
        Msg::GroupStep(GroupStepMsg {
            id,
            step: 0,
            result: Ok((2, applied.clone())),
            notes: Vec::new(),
        }),
    );
    assert!(effects.is_empty());
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Following { .. }
    ));
    // The controller saw generation 2 but the group still shows 10: not done.
    let m = watch(&s, &[member("canary", 0, 2, 10)]);
    update(&mut s, m);
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Following { .. }
    ));
    let m = watch(&s, &[member("canary", 0, 2, 0)]);
    update(&mut s, m);
    let stage = &s.group_rollout.as_ref().unwrap().stage;
    assert!(
        matches!(stage, GroupStage::Finished(Finish::Done(m)) if m.contains("canary 0 (0%)")),
        "{stage:?}"
    );
}

#[test]
fn a_refused_step_ends_the_flow_and_a_stale_answer_is_ignored() {
    let mut s = setup();
    let effects = rollback(&mut s);
    let Some(Effect::ApplyGroupStep { id, .. }) = effects.first() else {
        panic!("{effects:?}");
    };
    let id = *id;
    let stale = GroupStepMsg {
        id: id + 1,
        step: 0,
        result: Ok((2, Value::Null)),
        notes: Vec::new(),
    };
    update(&mut s, Msg::GroupStep(stale));
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Applying { step: 0 }
    ));
    let refused = GroupStepMsg {
        id,
        step: 0,
        result: Err(Finish::Conflict("canary changed".into())),
        notes: vec!["cannot write the audit event".into()],
    };
    update(&mut s, Msg::GroupStep(refused));
    let flow = s.group_rollout.as_ref().unwrap();
    assert_eq!(
        flow.stage,
        GroupStage::Finished(Finish::Conflict("canary changed".into()))
    );
    assert!(flow.done.iter().any(|d| d.contains("audit event")));
}

#[test]
fn a_step_the_status_never_shows_times_out() {
    let mut s = setup();
    let effects = rollback(&mut s);
    let Some(Effect::ApplyGroupStep { id, .. }) = effects.first() else {
        panic!("{effects:?}");
    };
    let msg = GroupStepMsg {
        id: *id,
        step: 0,
        result: Ok((2, Value::Null)),
        notes: Vec::new(),
    };
    update(&mut s, Msg::GroupStep(msg));
    let later = s.now + FOLLOW_TIMEOUT + chrono::Duration::seconds(1);
    update(&mut s, Msg::Tick(later));
    let stage = &s.group_rollout.as_ref().unwrap().stage;
    assert!(
        matches!(stage, GroupStage::Finished(Finish::TimedOut(m)) if m.contains("canary")),
        "{stage:?}"
    );
}

#[test]
fn n_cancels_and_raising_the_chosen_member_takes_its_name() {
    let mut s = setup();
    start(
        &mut s,
        ObjectKey::new("llm", "canary"),
        GroupAction::Rollback { stop: false },
    );
    let id = s.group_rollout.as_ref().unwrap().id;
    update(&mut s, Msg::GroupChecked { id, result: Ok(()) });
    assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
    assert_eq!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Finished(Finish::Cancelled)
    );
    update(&mut s, key(KeyCode::Esc));
    start(
        &mut s,
        ObjectKey::new("llm", "canary"),
        GroupAction::SetWeight { weight: 50 },
    );
    let id = s.group_rollout.as_ref().unwrap().id;
    update(&mut s, Msg::GroupChecked { id, result: Ok(()) });
    assert!(s.group_rollout.as_ref().unwrap().needs_typed_confirmation());
    assert!(update(&mut s, key(KeyCode::Char('y'))).is_empty());
    assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
    // The 'y' typed before is not the name: take it back.
    update(&mut s, key(KeyCode::Backspace));
    for c in "canary".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(
        matches!(effects.as_slice(), [Effect::ApplyGroupStep { .. }]),
        "{effects:?}"
    );
}

#[test]
fn a_forbidden_check_ends_the_flow_before_anything_is_asked() {
    let mut s = setup();
    start(
        &mut s,
        ObjectKey::new("llm", "canary"),
        GroupAction::Rollback { stop: false },
    );
    let id = s.group_rollout.as_ref().unwrap().id;
    let refused = Err(Finish::Forbidden(
        "cannot patch llminferenceservices".into(),
    ));
    update(
        &mut s,
        Msg::GroupChecked {
            id,
            result: refused,
        },
    );
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Finished(Finish::Forbidden(_))
    ));
    // `y` asks for no change (at most a read of the YAML view, which a key may open).
    let effects = update(&mut s, key(KeyCode::Char('y')));
    assert!(
        effects
            .iter()
            .all(|e| matches!(e, crate::app::effect::Effect::FetchYaml { .. })),
        "{effects:?}"
    );
}

#[test]
fn esc_while_checking_cancels_and_the_late_answer_is_ignored() {
    let mut s = setup();
    start(
        &mut s,
        ObjectKey::new("llm", "canary"),
        GroupAction::Rollback { stop: false },
    );
    let id = s.group_rollout.as_ref().unwrap().id;
    update(&mut s, key(KeyCode::Esc));
    update(&mut s, Msg::GroupChecked { id, result: Ok(()) });
    assert_eq!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Finished(Finish::Cancelled)
    );
}

#[test]
fn following_while_the_llm_watch_is_broken_says_why_progress_does_not_show() {
    let mut s = setup();
    let effects = rollback(&mut s);
    let [Effect::ApplyGroupStep { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let id = *id;
    update(
        &mut s,
        Msg::GroupStep(GroupStepMsg {
            id,
            step: 0,
            result: Ok((2, member("canary", 0, 2, 10))),
            notes: Vec::new(),
        }),
    );
    let epoch = s.cluster.epoch;
    update(
        &mut s,
        Msg::Cluster(ClusterMsg::WatchError {
            epoch,
            kind: Kind::LlmInferenceService,
            error: "watch failed to start: forbidden (403)".to_string(),
            forbidden: true,
        }),
    );
    use crate::ui::snapshot_tests::{render, screen, theme};
    let text = screen(&render(&mut s, &theme("dark"), 140, 40));
    assert!(
        text.contains("the LLMInferenceService watch is broken since"),
        "{text}"
    );
    assert!(text.contains("stale since"), "{text}");
    // Still following: the deadline, not the broken watch, ends it.
    assert!(matches!(
        s.group_rollout.as_ref().unwrap().stage,
        GroupStage::Following { .. }
    ));
}
