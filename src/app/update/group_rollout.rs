//! Group changes on LLMInferenceService routing-group members from the console: the key
//! on a member's row plans the change with the pure group plan (domain/rollout/group.rs)
//! from the watched objects, the dialog shows the diff and asks (starting on "no"; a
//! protected context or a failing member makes you type the member's name), then each step
//! is applied as an effect (the runner does the write and its audit trail) and followed on
//! the watched member until `status.router.group` agrees, before the next step is sent.

use super::rollout::FOLLOW_TIMEOUT;
use crate::app::effect::Effect;
use crate::app::msg::GroupStepMsg;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::rollout::group::{GroupAction, evaluate_step, plan_group};
use crate::sources::kube::actions::AuditRecord;
use crate::sources::kube::llm_write;
use crate::state::State;
use crate::state::group_rollout::{GroupFlow, GroupStage};
use crate::state::line::LineInput;
use crate::state::rollout::Finish;
use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

/// True when `key` is an LLMInferenceService (and no InferenceService of that name).
pub fn is_llm(state: &State, key: &ObjectKey) -> bool {
    !state.cluster.isvcs.items.contains_key(key) && state.cluster.llm_isvcs.items.contains_key(key)
}

/// The member's `spec.router.route.weight` as watched (1, KServe's advice for a start, when
/// unset).
pub fn current_weight(state: &State, key: &ObjectKey) -> i64 {
    state
        .cluster
        .llm_isvcs
        .items
        .get(key)
        .and_then(|l| serde_json::from_str::<Value>(&l.raw).ok())
        .and_then(|v| {
            v.pointer("/spec/router/route/weight")
                .and_then(Value::as_i64)
        })
        .unwrap_or(1)
}

/// The namespace's LLMInferenceServices as JSON, as watched.
fn namespace_objects(state: &State, namespace: &str) -> Vec<Value> {
    state
        .cluster
        .llm_isvcs
        .items
        .iter()
        .filter(|(k, _)| k.namespace == namespace)
        .filter_map(|(_, l)| serde_json::from_str(&l.raw).ok())
        .collect()
}

/// Plans `action` on member `key` and opens the confirmation.
pub fn start(state: &mut State, key: ObjectKey, action: GroupAction) -> Vec<Effect> {
    if state
        .group_rollout
        .as_ref()
        .is_some_and(|f| !matches!(f.stage, GroupStage::Finished(_)))
    {
        state.notify(
            NoticeLevel::Error,
            "a group change is already in progress".to_string(),
        );
        return Vec::new();
    }
    let all = namespace_objects(state, &key.namespace);
    let plan = match plan_group(&all, &key.name, action) {
        Ok(plan) => plan,
        Err(e) => {
            state.notify(NoticeLevel::Error, e.to_string());
            return Vec::new();
        }
    };
    state.rollout_ids += 1;
    state.group_rollout = Some(GroupFlow {
        id: state.rollout_ids,
        plan,
        stage: GroupStage::Checking,
        done: Vec::new(),
        typed: LineInput::default(),
        protected: state.session.protected,
    });
    state.dirty = true;
    state
        .group_rollout
        .as_ref()
        .map(|f| Effect::CheckGroupPlan {
            id: f.id,
            plan: Box::new(f.plan.clone()),
        })
        .into_iter()
        .collect()
}

/// The answer of the checks: ask, or show why not.
pub fn checked(state: &mut State, id: u64, result: Result<(), Finish>) -> Vec<Effect> {
    let Some(flow) = state.group_rollout.as_mut() else {
        return Vec::new();
    };
    if flow.id != id || flow.stage != GroupStage::Checking {
        return Vec::new();
    }
    state.dirty = true;
    match result {
        Ok(()) => {
            flow.done
                .push("permission and server dry run passed".to_string());
            flow.stage = GroupStage::Confirm { yes: false };
        }
        Err(why) => finish(state, why),
    }
    Vec::new()
}

fn author(state: &State) -> llm_write::Author<'_> {
    llm_write::Author {
        at: state.now,
        user: &state.session.user,
        context: state.session.context.as_deref().unwrap_or_default(),
    }
}

fn intent(state: &State, flow: &GroupFlow, step: usize) -> Option<AuditRecord> {
    let planned = flow.plan.steps.get(step)?;
    Some(llm_write::step_intent(
        &flow.plan,
        step,
        planned,
        &author(state),
    ))
}

/// Sends step `step` of the flow's plan.
fn send_step(state: &mut State, step: usize) -> Vec<Effect> {
    let Some(flow) = state.group_rollout.as_ref() else {
        return Vec::new();
    };
    let (Some(planned), Some(intent)) = (flow.plan.steps.get(step), intent(state, flow, step))
    else {
        return Vec::new();
    };
    let undo = (step == 0).then(|| Box::new(llm_write::undo_point(&flow.plan, &author(state))));
    let effect = Effect::ApplyGroupStep {
        id: flow.id,
        step,
        planned: Box::new(planned.clone()),
        rebase: step > 0,
        intent: Box::new(intent),
        undo,
    };
    if let Some(flow) = state.group_rollout.as_mut() {
        flow.stage = GroupStage::Applying { step };
    }
    vec![effect]
}

fn finish(state: &mut State, finish: Finish) {
    let (level, text) = match &finish {
        Finish::Done(m) => (NoticeLevel::Info, format!("group change done: {m}")),
        Finish::Cancelled => (
            NoticeLevel::Info,
            "group change cancelled; nothing was changed".to_string(),
        ),
        Finish::Failed(m)
        | Finish::Forbidden(m)
        | Finish::Rejected(m)
        | Finish::Conflict(m)
        | Finish::TimedOut(m) => (NoticeLevel::Error, m.clone()),
    };
    if let Some(flow) = state.group_rollout.as_mut() {
        flow.stage = GroupStage::Finished(finish);
    }
    state.notify(level, text);
}

/// Keys while the group dialog is shown. None when the dialog does not take the key.
pub fn dialog_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let flow = state.group_rollout.as_mut()?;
    state.dirty = true;
    let typing = flow.needs_typed_confirmation();
    match &mut flow.stage {
        GroupStage::Confirm { yes } => {
            let confirmed = if typing {
                match key.code {
                    KeyCode::Enter if flow.typed.text == flow.plan.target => true,
                    KeyCode::Enter => {
                        let text = format!(
                            "type '{}' exactly to confirm, esc cancels",
                            flow.plan.target
                        );
                        state.notify(NoticeLevel::Error, text);
                        return Some(Vec::new());
                    }
                    KeyCode::Esc => {
                        finish(state, Finish::Cancelled);
                        return Some(Vec::new());
                    }
                    _ => {
                        flow.typed.edit(&key);
                        return Some(Vec::new());
                    }
                }
            } else {
                match key.code {
                    KeyCode::Char('y' | 'Y') => true,
                    KeyCode::Enter if *yes => true,
                    KeyCode::Tab
                    | KeyCode::BackTab
                    | KeyCode::Left
                    | KeyCode::Right
                    | KeyCode::Char('h' | 'l') => {
                        *yes = !*yes;
                        return Some(Vec::new());
                    }
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('n' | 'N' | 'q') => {
                        finish(state, Finish::Cancelled);
                        return Some(Vec::new());
                    }
                    _ => return Some(Vec::new()),
                }
            };
            if confirmed {
                flow.done.push("confirmed by you".to_string());
                return Some(send_step(state, 0));
            }
            Some(Vec::new())
        }
        GroupStage::Finished(_) => {
            state.group_rollout = None;
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                Some(Vec::new())
            } else {
                None
            }
        }
        // Nothing was sent yet: esc cancels (the checks' answer is then ignored).
        GroupStage::Checking if key.code == KeyCode::Esc => {
            finish(state, Finish::Cancelled);
            Some(Vec::new())
        }
        // Applying and following: the dialog stays; the change goes on.
        _ => Some(Vec::new()),
    }
}

/// The runner's answer to one step.
pub fn handle(state: &mut State, msg: GroupStepMsg) -> Vec<Effect> {
    let now = state.now;
    let Some(flow) = state.group_rollout.as_mut() else {
        return Vec::new();
    };
    if flow.id != msg.id || flow.stage != (GroupStage::Applying { step: msg.step }) {
        return Vec::new();
    }
    state.dirty = true;
    for note in &msg.notes {
        flow.done.push(format!("note: {note}"));
    }
    match msg.result {
        Ok((generation, _object)) => {
            let total = flow.plan.steps.len();
            let member = flow
                .plan
                .steps
                .get(msg.step)
                .map(|s| s.member.clone())
                .unwrap_or_default();
            flow.done.push(format!(
                "step {}/{total} applied on {member}: generation {generation}",
                msg.step + 1
            ));
            flow.stage = GroupStage::Following {
                step: msg.step,
                generation,
                deadline: now + FOLLOW_TIMEOUT,
            };
            check_progress(state)
        }
        Err(finish_with) => {
            finish(state, finish_with);
            Vec::new()
        }
    }
}

/// Re-evaluates the followed step against the watched member (after watch events, ticks):
/// once `status.router.group` agrees the next step is sent, or the change is done.
pub fn check_progress(state: &mut State) -> Vec<Effect> {
    let Some(flow) = state.group_rollout.as_ref() else {
        return Vec::new();
    };
    let GroupStage::Following {
        step,
        generation,
        deadline,
    } = flow.stage
    else {
        return Vec::new();
    };
    let Some(planned) = flow.plan.steps.get(step) else {
        return Vec::new();
    };
    let key = ObjectKey::new(&flow.plan.namespace, &planned.member);
    let raw: Option<Value> = state
        .cluster
        .llm_isvcs
        .items
        .get(&key)
        .and_then(|l| serde_json::from_str(&l.raw).ok());
    let progress = raw.map(|raw| evaluate_step(&planned.goal, &raw, generation));
    if !progress.as_ref().is_some_and(|p| p.done) {
        if state.now > deadline {
            let last = progress
                .and_then(|p| p.steps.into_iter().rev().find(|(_, d)| *d))
                .map_or("none".to_string(), |(l, _)| l);
            let text = format!(
                "applied, but {} did not show it before the deadline; last step done: {last}",
                planned.member
            );
            finish(state, Finish::TimedOut(text));
        }
        return Vec::new();
    }
    let total = flow.plan.steps.len();
    let weights = flow.plan.weights_after.clone();
    let member = planned.member.clone();
    if let Some(flow) = state.group_rollout.as_mut() {
        flow.done.push(format!(
            "step {}/{total}: the group status shows {member}",
            step + 1
        ));
    }
    state.dirty = true;
    if step + 1 < total {
        send_step(state, step + 1)
    } else {
        finish(state, Finish::Done(format!("weights {weights}")));
        Vec::new()
    }
}

#[cfg(test)]
#[path = "group_rollout_tests.rs"]
mod tests;
