//! The rollout flow driven message by message: the order of the safety checks, what is never
//! sent, confirmation defaults, conflicts, read-only mode, progress and timeouts.

use super::*;
use crate::app::msg::{ClusterMsg, Msg, RolloutMsg};
use crate::app::update::update;
use crate::domain::kind::{Kind, parse};
use crate::domain::watch::WatchEvent;
use crate::sources::kube::actions::WriteError;
use crossterm::event::KeyModifiers;
use serde_json::json;

pub(super) fn isvc_json(latest_pct: i64, observed: i64) -> serde_json::Value {
    json!({
        "metadata": {"name": "fraud-detector", "namespace": "ml-prod", "resourceVersion": "42", "generation": 2, "uid": "u-1"},
        "spec": {"predictor": {"canaryTrafficPercent": 10, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "s3://m/2"}}},
        "status": {"observedGeneration": observed, "deploymentMode": "Knative",
            "conditions": [{"type": "Ready", "status": "True"}],
            "components": {"predictor": {
                "latestCreatedRevision": "fraud-detector-predictor-00002", "latestReadyRevision": "fraud-detector-predictor-00002",
                "latestRolledoutRevision": "fraud-detector-predictor-00001",
                "traffic": [
                    {"revisionName": "fraud-detector-predictor-00002", "latestRevision": true, "percent": latest_pct},
                    {"revisionName": "fraud-detector-predictor-00001", "latestRevision": false, "percent": 100 - latest_pct, "tag": "prev"}]}}}
    })
}

pub(super) fn watch(state: &State, value: serde_json::Value) -> Msg {
    Msg::Cluster(ClusterMsg::Watch {
        epoch: state.cluster.epoch,
        kind: Kind::InferenceService,
        events: vec![WatchEvent::Upsert(parse(Kind::InferenceService, &value))],
    })
}

pub(super) fn setup() -> State {
    let mut s = crate::ui::snapshot_tests::state();
    s.session.context = Some("prod".into());
    let m = watch(&s, isvc_json(10, 2));
    update(&mut s, m);
    s
}

pub(super) fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(super) fn id(s: &State) -> u64 {
    s.rollout.as_ref().unwrap().id
}

pub(super) fn rollout(m: RolloutMsg) -> Msg {
    Msg::Rollout(m)
}

/// Presses R and answers history, permission and dry run; returns the effects of the last.
pub(super) fn to_confirmation(s: &mut State) -> Vec<Effect> {
    let effects = update(s, key('R'));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadHistory { .. }]),
        "{effects:?}"
    );
    let i = id(s);
    let reply = history_with(s, Ok(isvc_json(10, 2)));
    let effects = update(s, reply);
    assert!(
        matches!(effects.as_slice(), [Effect::CheckPermission { .. }]),
        "{effects:?}"
    );
    let effects = update(
        s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Ok((true, String::new())),
        }),
    );
    match effects.as_slice() {
        [Effect::DryRunPatch { patch, .. }] => {
            assert_eq!(
                patch,
                &json!({"metadata": {"resourceVersion": "42"}, "spec": {"predictor": {"canaryTrafficPercent": 0}}})
            );
        }
        other => panic!("{other:?}"),
    }
    update(
        s,
        rollout(RolloutMsg::DryRun {
            id: i,
            result: Ok(()),
        }),
    )
}

#[test]
fn the_quickest_rollback_is_two_keys_and_follows_to_done() {
    let mut s = setup();
    assert!(to_confirmation(&mut s).is_empty());
    assert!(
        matches!(
            s.rollout.as_ref().unwrap().stage,
            Stage::Confirm { yes: false, .. }
        ),
        "destructive confirmation defaults to no"
    );
    let effects = update(&mut s, key('y'));
    let Some(Effect::ApplyPatch {
        patch,
        history,
        intent,
        ..
    }) = effects.first()
    else {
        panic!("{effects:?}");
    };
    assert_eq!(intent.reason, "KdeckRollback");
    assert_eq!(intent.outcome, "intent");
    assert_eq!(patch["spec"]["predictor"]["canaryTrafficPercent"], json!(0));
    assert_eq!(history.spec["predictor"]["canaryTrafficPercent"], json!(10));
    let i = id(&s);
    let effects = update(
        &mut s,
        rollout(RolloutMsg::Applied {
            id: i,
            result: Ok(3),
            history_problem: None,
            note: None,
        }),
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Audit { .. })),
        "the change's Event and audit lines are written with the change itself"
    );
    assert!(matches!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Following { generation: 3, .. }
    ));
    let m = watch(&s, isvc_json(10, 3));
    update(&mut s, m);
    assert!(matches!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Following { .. }
    ));
    let m = watch(&s, isvc_json(0, 3));
    update(&mut s, m);
    match &s.rollout.as_ref().unwrap().stage {
        Stage::Finished(Finish::Done(msg)) => assert!(msg.contains("r2 0% · r1 100%"), "{msg}"),
        other => panic!("{other:?}"),
    }
    update(&mut s, code(KeyCode::Esc));
    assert!(s.rollout.is_none());
}

#[test]
fn enter_on_the_default_button_cancels() {
    let mut s = setup();
    to_confirmation(&mut s);
    let effects = update(&mut s, code(KeyCode::Enter));
    assert!(effects.is_empty());
    assert_eq!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Finished(Finish::Cancelled)
    );
}

#[test]
fn the_key_after_a_cancelled_dialog_is_not_swallowed() {
    let mut s = setup();
    to_confirmation(&mut s);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Finished(Finish::Cancelled)
    );
    assert!(s.ui.notice.is_some(), "the cancel is reported");
    update(&mut s, key('?'));
    assert!(s.rollout.is_none(), "the result panel stays open");
    assert!(s.ui.notice.is_none(), "the notice outlived the next key");
    assert!(
        matches!(s.ui.mode, crate::state::ui::Mode::Help { .. }),
        "? after the cancel did not open help"
    );
}

#[test]
fn forbidden_changes_are_never_attempted() {
    let mut s = setup();
    update(&mut s, key('R'));
    let i = id(&s);
    let reply = history_with(&s, Ok(isvc_json(10, 2)));
    update(&mut s, reply);
    let effects = update(
        &mut s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Ok((false, "no RBAC rule allows patch".into())),
        }),
    );
    assert!(
        effects.is_empty(),
        "nothing may be sent after a denied permission check"
    );
    assert!(
        matches!(&s.rollout.as_ref().unwrap().stage, Stage::Finished(Finish::Forbidden(m)) if m.contains("no RBAC rule"))
    );
}

#[test]
fn an_access_review_that_cannot_be_made_stops_the_flow_with_the_sources_words() {
    let mut s = setup();
    update(&mut s, key('R'));
    let i = id(&s);
    let reply = history_with(&s, Ok(isvc_json(10, 2)));
    update(&mut s, reply);
    let error = crate::sources::kube::actions::CallError::Failed {
        doing: "check permission",
        reason: "cannot reach the API server: connection refused".into(),
    };
    let effects = update(
        &mut s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Err(std::sync::Arc::new(error)),
        }),
    );
    assert!(effects.is_empty(), "{effects:?}");
    match &s.rollout.as_ref().unwrap().stage {
        Stage::Finished(Finish::Failed(m)) => assert_eq!(
            m,
            "cannot check permission: cannot reach the API server: connection refused"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_replica_sets_are_a_note_on_a_rollback_that_has_nothing_else() {
    let mut s = setup();
    update(&mut s, key('R'));
    let error = crate::sources::kube::actions::CallError::Failed {
        doing: "list the ReplicaSets",
        reason: "forbidden (403)".into(),
    };
    let reply = rollout(RolloutMsg::History {
        id: id(&s),
        key: ObjectKey::new("ml-prod", "fraud-detector"),
        entries: vec![],
        problem: None,
        deployed: Err(std::sync::Arc::new(error)),
        object: Ok(isvc_json(10, 2)),
    });
    update(&mut s, reply);
    let notes = &s.rollout.as_ref().unwrap().notes;
    assert_eq!(
        notes,
        &vec!["cannot list the ReplicaSets: forbidden (403)".to_string()]
    );
}

#[test]
fn a_dry_run_rejection_stops_before_confirmation() {
    let mut s = setup();
    update(&mut s, key('R'));
    let i = id(&s);
    let reply = history_with(&s, Ok(isvc_json(10, 2)));
    update(&mut s, reply);
    update(
        &mut s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Ok((true, String::new())),
        }),
    );
    let effects = update(
        &mut s,
        rollout(RolloutMsg::DryRun {
            id: i,
            result: Err(WriteError {
                code: 422,
                message: "spec.predictor.canaryTrafficPercent: Invalid value".into(),
            }),
        }),
    );
    assert!(effects.is_empty());
    assert!(
        matches!(&s.rollout.as_ref().unwrap().stage, Stage::Finished(Finish::Rejected(m)) if m.contains("Invalid value"))
    );
}

#[test]
fn a_conflict_is_reported_not_overwritten() {
    let mut s = setup();
    to_confirmation(&mut s);
    update(&mut s, key('y'));
    let i = id(&s);
    let effects = update(
        &mut s,
        rollout(RolloutMsg::Applied {
            id: i,
            result: Err(WriteError {
                code: 409,
                message: "conflict".into(),
            }),
            history_problem: None,
            note: None,
        }),
    );
    assert!(effects.is_empty(), "no retry with a blind overwrite");
    assert!(matches!(
        &s.rollout.as_ref().unwrap().stage,
        Stage::Finished(Finish::Conflict(_))
    ));
}

#[test]
fn read_only_mode_refuses_every_change() {
    let mut s = setup();
    s.session.readonly = true;
    for k in ['R', 'P', 'c', 'N', 'T', '+', 'u'] {
        let effects = update(&mut s, key(k));
        assert!(effects.is_empty());
        assert!(s.rollout.is_none());
        assert!(s.ui.notice.as_ref().unwrap().text.contains("read-only"));
        assert_eq!(s.ui.mode, Mode::Normal);
    }
}

#[test]
fn protected_contexts_require_the_typed_name() {
    let mut s = setup();
    s.session.protected = true;
    to_confirmation(&mut s);
    assert!(
        update(&mut s, key('y')).is_empty(),
        "y alone must not confirm in a protected context"
    );
    update(&mut s, code(KeyCode::Enter));
    assert!(matches!(
        s.rollout.as_ref().unwrap().stage,
        Stage::Confirm { .. }
    ));
    for c in "raud-detector".chars() {
        update(&mut s, key(c));
    }
    // typed is now "yraud-detector": wrong; clear it and type the right name.
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    for c in "fraud-detector".chars() {
        update(&mut s, key(c));
    }
    let effects = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(effects.first(), Some(Effect::ApplyPatch { .. })),
        "{effects:?}"
    );
}

#[test]
fn canary_prompt_validates_and_starts_the_flow() {
    let mut s = setup();
    update(&mut s, key('c'));
    assert!(matches!(&s.ui.mode, Mode::Prompt(p) if p.input.text == "10"));
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    for c in "150".chars() {
        update(&mut s, key(c));
    }
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    assert!(
        s.ui.notice
            .as_ref()
            .unwrap()
            .text
            .contains("not a percentage")
    );
    assert!(
        matches!(s.ui.mode, Mode::Prompt(_)),
        "the prompt stays open to fix the value"
    );
    update(&mut s, code(KeyCode::Backspace));
    update(&mut s, code(KeyCode::Backspace));
    let effects = update(&mut s, code(KeyCode::Enter));
    assert!(matches!(effects.as_slice(), [Effect::LoadHistory { .. }]));
    assert_eq!(
        s.rollout.as_ref().unwrap().action,
        RolloutAction::SetCanary { percent: 1 }
    );
}

#[test]
fn a_rollout_that_never_completes_times_out() {
    let mut s = setup();
    to_confirmation(&mut s);
    update(&mut s, key('y'));
    let i = id(&s);
    update(
        &mut s,
        rollout(RolloutMsg::Applied {
            id: i,
            result: Ok(3),
            history_problem: None,
            note: None,
        }),
    );
    let later = s.now + FOLLOW_TIMEOUT + chrono::Duration::seconds(1);
    update(&mut s, Msg::Tick(later));
    assert!(matches!(
        &s.rollout.as_ref().unwrap().stage,
        Stage::Finished(Finish::TimedOut(_))
    ));
}

#[test]
fn the_confirmation_buttons_stay_in_view_when_lines_wrap_or_the_terminal_is_short() {
    use crate::ui::snapshot_tests::{render, screen, theme};
    let t = theme("dark");
    for (w, h) in [(100, 45), (100, 16), (60, 12)] {
        let mut s = setup();
        to_confirmation(&mut s);
        let text = screen(&render(&mut s, &t, w, h));
        assert!(
            text.contains("[ No ]") && text.contains("y applies"),
            "{w}x{h}:\n{text}"
        );
    }
}

/// The history reply of the rollback `R` started, carrying `object` as read from the server.
pub(super) fn history_with(s: &State, object: Result<serde_json::Value, WriteError>) -> Msg {
    rollout(RolloutMsg::History {
        id: id(s),
        key: ObjectKey::new("ml-prod", "fraud-detector"),
        entries: vec![],
        problem: None,
        deployed: Ok(Vec::new()),
        object,
    })
}

#[test]
fn the_plan_is_made_from_the_object_as_read_not_as_watched() {
    let mut s = setup();
    update(&mut s, key('R'));
    // The server has moved on since the watch event (resourceVersion 42).
    let mut fresh = isvc_json(10, 2);
    fresh["metadata"]["resourceVersion"] = json!("43");
    let m = history_with(&s, Ok(fresh));
    update(&mut s, m);
    let i = id(&s);
    let effects = update(
        &mut s,
        rollout(RolloutMsg::Permission {
            id: i,
            result: Ok((true, String::new())),
        }),
    );
    match effects.as_slice() {
        [Effect::DryRunPatch { patch, .. }] => {
            assert_eq!(patch["metadata"]["resourceVersion"], json!("43"), "{patch}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_object_that_cannot_be_read_stops_the_plan_and_says_what_to_do() {
    let mut s = setup();
    update(&mut s, key('R'));
    let m = history_with(
        &s,
        Err(WriteError {
            code: crate::sources::kube::actions::TIMED_OUT,
            message: "reading ml-prod/fraud-detector timed out after 10s".into(),
        }),
    );
    let effects = update(&mut s, m);
    assert!(effects.is_empty(), "{effects:?}");
    match &s.rollout.as_ref().unwrap().stage {
        Stage::Finished(Finish::Rejected(m)) => {
            assert!(m.contains("timed out after 10s"), "{m}");
            assert!(m.contains("try again"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}
