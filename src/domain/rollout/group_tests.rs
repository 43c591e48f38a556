use super::*;

fn member(name: &str, weight: i64, stopped: bool, ready: bool) -> Value {
    let mut v = json!({
        "apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
        "metadata": {"name": name, "namespace": "llm", "uid": format!("uid-{name}"),
            "resourceVersion": format!("rv-{name}"), "generation": 3,
            "labels": {GROUP_LABEL: "chat"}},
        "spec": {"model": {"uri": "hf://x/y"}, "router": {"route": {"group": "chat", "weight": weight}}},
        "status": {"observedGeneration": 3, "conditions": [
            if ready { json!({"type": "Ready", "status": "True"}) }
            else { json!({"type": "Ready", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "0/1 ready"}) }]}
    });
    if stopped {
        v["metadata"]["annotations"] = json!({STOP_ANNOTATION: "true"});
    }
    v
}

fn group(v1: (i64, bool, bool), v2: (i64, bool, bool)) -> Vec<Value> {
    vec![
        member("chat-v2", v2.0, v2.1, v2.2),
        member("chat-v1", v1.0, v1.1, v1.2),
        json!({"metadata": {"name": "other", "namespace": "llm"}, "spec": {"router": {"route": {"group": "else", "weight": 1}}}}),
    ]
}

#[test]
fn rollback_sets_the_canary_weight_to_zero_with_the_read_resource_version() {
    let all = group((9, false, true), (1, false, false));
    let p = plan_group(&all, "chat-v2", GroupAction::Rollback { stop: false }).unwrap();
    assert_eq!(p.steps.len(), 1);
    assert_eq!(
        p.steps[0].patch,
        json!({"metadata": {"resourceVersion": "rv-chat-v2"}, "spec": {"router": {"route": {"weight": 0}}}})
    );
    assert_eq!(p.weights_before, "chat-v1 9 (90%) · chat-v2 1 (10%)");
    assert_eq!(p.weights_after, "chat-v1 9 (100%) · chat-v2 0 (0%)");
    assert_eq!(p.steps[0].goal.weight, Some(0));
    assert!(!p.steps[0].goal.stopped);
    assert_eq!(p.raises_failing, None, "the stable member is Ready");
    let rolled = group((9, false, true), (0, false, false));
    assert!(
        plan_group(&rolled, "chat-v2", GroupAction::Rollback { stop: false })
            .unwrap_err()
            .to_string()
            .contains("already rolled back")
    );
}

#[test]
fn rollback_by_stopping_annotates_the_member() {
    let all = group((9, false, true), (1, false, false));
    let p = plan_group(&all, "chat-v2", GroupAction::Rollback { stop: true }).unwrap();
    assert_eq!(
        p.steps[0].patch,
        json!({"metadata": {"resourceVersion": "rv-chat-v2", "annotations": {STOP_ANNOTATION: "true"}}})
    );
    assert!(p.steps[0].goal.stopped);
    assert_eq!(
        p.weights_after,
        "chat-v1 9 (100%) · chat-v2 1 stopped (stopped)"
    );
}

#[test]
fn rollback_after_promotion_restarts_the_stopped_stable_member_first_and_waits_for_ready() {
    let all = group((9, true, false), (1, false, true));
    let p = plan_group(&all, "chat-v2", GroupAction::Rollback { stop: false }).unwrap();
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[0].member, "chat-v1");
    assert_eq!(
        p.steps[0].patch,
        json!({"metadata": {"resourceVersion": "rv-chat-v1", "annotations": {STOP_ANNOTATION: null}}})
    );
    assert!(
        p.steps[0].goal.ready,
        "the stable member must be Ready first"
    );
    assert_eq!(p.steps[1].member, "chat-v2");
    assert_eq!(p.steps[1].goal.weight, Some(0));
    // A stopped member is not Ready, but it is restarted and waited for: not a refusal.
    assert_eq!(p.raises_failing, None);
    let none_to_take = group((0, true, false), (1, false, true));
    assert!(
        plan_group(
            &none_to_take,
            "chat-v2",
            GroupAction::Rollback { stop: false }
        )
        .unwrap_err()
        .to_string()
        .contains("could take the traffic")
    );
}

#[test]
fn promote_stops_the_old_members() {
    let all = group((9, false, true), (1, false, true));
    let p = plan_group(&all, "chat-v2", GroupAction::Promote).unwrap();
    assert_eq!(p.steps.len(), 1);
    assert_eq!(p.steps[0].member, "chat-v1");
    assert_eq!(
        p.steps[0].patch["metadata"]["annotations"],
        json!({STOP_ANNOTATION: "true"})
    );
    assert_eq!(
        p.weights_after,
        "chat-v1 9 stopped (stopped) · chat-v2 1 (100%)"
    );
    let promoted = group((9, true, false), (1, false, true));
    assert!(
        plan_group(&promoted, "chat-v2", GroupAction::Promote)
            .unwrap_err()
            .to_string()
            .contains("nothing to promote")
    );
    let zero = group((9, false, true), (0, false, true));
    assert!(
        plan_group(&zero, "chat-v2", GroupAction::Promote)
            .unwrap_err()
            .to_string()
            .contains("give it a weight first")
    );
}

#[test]
fn raising_traffic_to_a_failing_member_is_flagged_and_from_zero_warned() {
    let all = group((9, false, true), (1, false, false));
    let p = plan_group(&all, "chat-v2", GroupAction::SetWeight { weight: 5 }).unwrap();
    let (who, why) = p.raises_failing.clone().unwrap();
    assert_eq!(who, "chat-v2");
    assert!(why.contains("MinimumReplicasUnavailable"), "{why}");
    let p = plan_group(&all, "chat-v2", GroupAction::Promote).unwrap();
    assert!(p.raises_failing.is_some());
    assert_eq!(p.raised, ["chat-v2"]);
    assert_eq!(p.stable_for("chat-v2"), Some("chat-v1"));
    // Lowering it is no risk.
    let lower = group((9, false, true), (3, false, false));
    let p = plan_group(&lower, "chat-v2", GroupAction::SetWeight { weight: 1 }).unwrap();
    assert_eq!(p.raises_failing, None);
    assert!(p.warnings.is_empty());
    let from_zero = group((9, false, true), (0, false, true));
    let p = plan_group(&from_zero, "chat-v2", GroupAction::SetWeight { weight: 10 }).unwrap();
    assert!(p.warnings[0].contains("weight 1"), "{:?}", p.warnings);
    assert!(
        plan_group(&from_zero, "chat-v2", GroupAction::SetWeight { weight: 0 })
            .unwrap_err()
            .to_string()
            .contains("already has weight 0")
    );
    assert!(
        plan_group(&from_zero, "chat-v1", GroupAction::SetWeight { weight: 0 })
            .unwrap_err()
            .to_string()
            .contains("no member taking traffic")
    );
    assert!(plan_group(&all, "chat-v2", GroupAction::SetWeight { weight: -1 }).is_err());
}

#[test]
fn restore_puts_back_the_recorded_states_starting_members_first() {
    let all = group((9, true, false), (1, false, true));
    let before = vec![
        MemberState {
            name: "chat-v1".into(),
            weight: Some(9),
            stopped: false,
        },
        MemberState {
            name: "chat-v2".into(),
            weight: Some(0),
            stopped: false,
        },
    ];
    let action = GroupAction::Restore {
        before: before.clone(),
        label: "the weights before 'promote'".into(),
    };
    let p = plan_group(&all, "chat-v2", action).unwrap();
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[0].member, "chat-v1");
    assert!(p.steps[0].goal.ready);
    assert_eq!(
        p.steps[1].patch["spec"]["router"]["route"]["weight"],
        json!(0)
    );
    let same = group((9, false, true), (0, false, true));
    let action = GroupAction::Restore {
        before,
        label: "x".into(),
    };
    assert!(
        plan_group(&same, "chat-v2", action)
            .unwrap_err()
            .to_string()
            .contains("change nothing")
    );
}

#[test]
fn a_member_outside_any_group_or_unknown_is_refused_in_words() {
    let all = vec![json!({"metadata": {"name": "solo", "namespace": "llm"}, "spec": {}})];
    assert!(
        plan_group(&all, "solo", GroupAction::Promote)
            .unwrap_err()
            .to_string()
            .contains("in no routing group")
    );
    assert!(
        plan_group(&all, "nope", GroupAction::Promote)
            .unwrap_err()
            .to_string()
            .contains("no LLMInferenceService nope")
    );
}

#[test]
fn a_step_is_done_when_the_group_status_agrees_and_a_restart_when_ready() {
    let goal = StepGoal {
        member: "chat-v2".into(),
        weight: Some(0),
        stopped: false,
        ready: false,
    };
    let mut seen = member("chat-v2", 0, false, false);
    seen["metadata"]["generation"] = json!(4);
    seen["status"]["router"] = json!({"group": {"name": "chat", "members": [
        {"name": "chat-v1", "weight": 9}, {"name": "chat-v2", "weight": 1}]}});
    let p = evaluate_step(&goal, &seen, 4);
    assert!(!p.done, "the controller has not seen generation 4");
    seen["status"]["observedGeneration"] = json!(4);
    let p = evaluate_step(&goal, &seen, 4);
    assert!(!p.done, "the group still shows weight 1");
    assert!(p.steps[1].0.contains("now weight 1"), "{:?}", p.steps);
    seen["status"]["router"]["group"]["members"][1]["weight"] = json!(0);
    assert!(evaluate_step(&goal, &seen, 4).done);
    let restart = StepGoal {
        member: "chat-v2".into(),
        weight: Some(0),
        stopped: false,
        ready: true,
    };
    assert!(!evaluate_step(&restart, &seen, 4).done, "not Ready yet");
    seen["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
    assert!(evaluate_step(&restart, &seen, 4).done);
}

/// The group of the repository's fixture (KServe's v1alpha2 shape): chat-v1 weight 9 and
/// Ready, chat-v2 weight 1 and stopped.
fn fixture_group() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/kserve/llmisvc/group-canary-v1alpha2.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| serde_json::to_value(serde_norway::Value::deserialize(doc).unwrap()).unwrap())
        .collect()
}

use serde::Deserialize;

#[test]
fn the_fixture_group_reads_as_kserve_writes_it() {
    let all = fixture_group();
    let members: Vec<Member> = members_of(&all, "chat")
        .into_iter()
        .map(Member::parse)
        .collect();
    assert_eq!(members.len(), 2);
    assert_eq!(
        (
            members[0].name.as_str(),
            members[0].weight,
            members[0].stopped
        ),
        ("chat-v1", Some(9), false)
    );
    assert_eq!(
        (
            members[1].name.as_str(),
            members[1].weight,
            members[1].stopped
        ),
        ("chat-v2", Some(1), true)
    );
    assert!(
        members[1]
            .ready
            .clone()
            .unwrap_err()
            .to_string()
            .contains("Stopped")
    );
    // The stopped canary is already rolled back.
    assert!(
        plan_group(&all, "chat-v2", GroupAction::Rollback { stop: false })
            .unwrap_err()
            .to_string()
            .contains("already rolled back")
    );
    // Rolling back the only running member starts the stopped one first.
    let p = plan_group(&all, "chat-v1", GroupAction::Rollback { stop: false }).unwrap();
    assert_eq!(
        p.steps
            .iter()
            .map(|s| s.member.as_str())
            .collect::<Vec<_>>(),
        ["chat-v2", "chat-v1"]
    );
    assert!(p.steps[0].goal.ready);
    // Giving the stopped member traffic again warns (from 0) and waits for it to be Ready.
    let p = plan_group(&all, "chat-v2", GroupAction::SetWeight { weight: 1 }).unwrap();
    assert!(p.steps[0].goal.ready);
    assert_eq!(
        p.steps[0].patch["metadata"]["annotations"][STOP_ANNOTATION],
        Value::Null
    );
    assert!(!p.warnings.is_empty());
    // The stopped member's own status shows the group as the progress check reads it.
    let goal = StepGoal {
        member: "chat-v2".into(),
        weight: Some(1),
        stopped: true,
        ready: false,
    };
    assert!(evaluate_step(&goal, &all[1], 2).done);
}

#[test]
fn a_later_step_is_rebased_on_the_member_read_again_unless_its_routing_changed() {
    let all = group((9, true, false), (1, false, true));
    let p = plan_group(&all, "chat-v2", GroupAction::Rollback { stop: false }).unwrap();
    let mut now = member("chat-v2", 1, false, true);
    now["metadata"]["resourceVersion"] = json!("rv-later");
    let step = rebase(&p.steps[1], &now).unwrap();
    assert_eq!(step.patch["metadata"]["resourceVersion"], json!("rv-later"));
    assert_eq!(step.patch["spec"], p.steps[1].patch["spec"]);
    now["spec"]["router"]["route"]["weight"] = json!(5);
    assert!(
        rebase(&p.steps[1], &now)
            .unwrap_err()
            .to_string()
            .contains("changed since the plan")
    );
}

#[test]
fn plan_errors_are_typed_and_keep_their_words() {
    let all = group((9, false, true), (1, false, true));
    let rolled = group((9, false, true), (0, false, true));
    let err = plan_group(&rolled, "chat-v2", GroupAction::Rollback { stop: false }).unwrap_err();
    assert_eq!(
        err,
        GroupPlanError::AlreadyRolledBack {
            target: "chat-v2".to_string(),
            weight: 0,
            stopped: "",
        }
    );
    assert_eq!(
        err.to_string(),
        "already rolled back: chat-v2 takes no traffic (weight 0)"
    );
    let err = plan_group(&all, "nope", GroupAction::Promote).unwrap_err();
    assert_eq!(err, GroupPlanError::NoSuchService("nope".to_string()));
    let err = plan_group(&all, "chat-v2", GroupAction::SetWeight { weight: -1 }).unwrap_err();
    assert_eq!(err.to_string(), "a weight is 0 or more, not -1");
}

#[test]
fn a_member_not_ready_says_why_in_the_condition_s_words() {
    let member =
        |conditions: Value| readiness(&serde_json::json!({"status": {"conditions": conditions}}));
    assert_eq!(
        member(serde_json::json!([])).unwrap_err().to_string(),
        "no Ready condition yet"
    );
    assert_eq!(
        member(serde_json::json!([{"type": "Ready", "status": "True"}])),
        Ok(())
    );
    let words = |reason: &str, message: &str| {
        member(serde_json::json!([{"type": "Ready", "status": "False", "reason": reason, "message": message}]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(words("", ""), "not Ready");
    assert_eq!(words("Stopped", ""), "not Ready (Stopped)");
    assert_eq!(words("", "no pods"), "not Ready: no pods");
    assert_eq!(words("Stopped", "no pods"), "not Ready (Stopped): no pods");
}
