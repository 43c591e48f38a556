//! The rollout flow, in the order the safety rules demand: read kdeck's history, check
//! permission (SelfSubjectAccessReview), dry-run the exact patch on the server, show the
//! diff and ask (destructive actions default to "no"; protected contexts make you type the
//! name), apply with the resourceVersion read, audit, then follow the watched status to
//! done, failed or timed out. Forbidden or rejected changes are never attempted.

use crate::app::effect::Effect;
use crate::domain::action::Action;
use crate::domain::isvc::Isvc;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::rollout::RolloutAction;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::progress::{Outcome, evaluate};
use crate::sources::kube::actions::AuditRecord;
use crate::state::State;
use crate::state::line::{LineEdit, LineInput};
use crate::state::rollout::{Finish, Prompt, PromptKind, RolloutFlow, Stage};
use crate::state::ui::{Mode, Route};
use crossterm::event::{KeyCode, KeyEvent};

mod answer;
use answer::AnswerError;
mod replies;

pub use replies::handle;

/// How long kdeck follows a rollout before calling it timed out.
pub const FOLLOW_TIMEOUT: chrono::Duration = chrono::Duration::minutes(5);

/// The service an action applies to: the selection, or the one in view.
fn target(state: &State) -> Option<ObjectKey> {
    match state.ui.route() {
        Route::Services => state.selected_service().cloned(),
        Route::Detail(key) | Route::Yaml(key) => Some(key.clone()),
        _ => None,
    }
}

/// Why changes are refused right now, if they are.
fn readonly_reason(state: &State) -> Option<String> {
    if let Some(lock) = &state.config.safety_lock {
        return Some(lock.message());
    }
    state.session.readonly.then(|| {
        "read-only mode: rollouts are disabled (started with --readonly, or readonly in the config or for this context)".to_string()
    })
}

/// Starts an action from a key: asks what it needs first, then the flow.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::JumpCanary {
        jump_canary(state);
        return Vec::new();
    }
    let Some(key) = target(state) else {
        state.notify(
            NoticeLevel::Error,
            "select an InferenceService first".to_string(),
        );
        return Vec::new();
    };
    if action == Action::ToggleGuard {
        super::guard::toggle(state, key);
        return Vec::new();
    }
    if let Some(reason) = readonly_reason(state) {
        state.notify(NoticeLevel::Error, reason);
        return Vec::new();
    }
    if super::group_rollout::is_llm(state, &key) {
        use crate::domain::rollout::group::GroupAction;
        return match action {
            Action::Rollback => {
                super::group_rollout::start(state, key, GroupAction::Rollback { stop: false })
            }
            Action::Promote => super::group_rollout::start(state, key, GroupAction::Promote),
            Action::SetCanary => {
                let current = super::group_rollout::current_weight(state, &key);
                state.ui.mode = Mode::Prompt(Prompt {
                    kind: PromptKind::GroupWeight,
                    key,
                    input: LineInput::with_text(&current.to_string()),
                });
                Vec::new()
            }
            _ => {
                state.notify(
                    NoticeLevel::Error,
                    "on an LLMInferenceService group member the console offers rollback, promote and the canary weight".to_string(),
                );
                Vec::new()
            }
        };
    }
    if state
        .rollout
        .as_ref()
        .is_some_and(|f| !matches!(f.stage, Stage::Finished(_)))
    {
        state.notify(
            NoticeLevel::Error,
            "a rollout is already in progress (esc hides it; it keeps following)".to_string(),
        );
        return Vec::new();
    }
    let prompt = |kind: PromptKind, text: &str| {
        Mode::Prompt(Prompt {
            kind,
            key: key.clone(),
            input: LineInput::with_text(text),
        })
    };
    match action {
        Action::Rollback => return start(state, key, RolloutAction::Rollback, false),
        Action::Promote => return start(state, key, RolloutAction::Promote, false),
        Action::TagRouting => return start(state, key, RolloutAction::EnableTagRouting, false),
        Action::Undo => return undo(state, key),
        Action::SetCanary => {
            // The share now: Knative's canaryTrafficPercent, or the first Standard-mode
            // canary's (the one the action changes).
            let current = state
                .cluster
                .isvcs
                .items
                .get(&key)
                .and_then(|i| {
                    i.canary_percent()
                        .or_else(|| i.canaries.first().map(|c| c.traffic_percent))
                })
                .unwrap_or(10);
            state.ui.mode = prompt(PromptKind::CanaryPercent, &current.to_string());
        }
        Action::NewVersion => {
            let current = state
                .cluster
                .isvcs
                .items
                .get(&key)
                .and_then(|i| i.predictor().and_then(|p| p.storage_uri.clone()))
                .unwrap_or_default();
            state.ui.mode = prompt(PromptKind::NewVersionUri, &current);
        }
        Action::Scale => {
            let p = state
                .cluster
                .isvcs
                .items
                .get(&key)
                .and_then(|i| i.predictor().cloned())
                .unwrap_or_default();
            let text = format!(
                "{} {}",
                p.min_replicas
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "1".to_string()),
                p.max_replicas
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".to_string())
            );
            state.ui.mode = prompt(PromptKind::Scale, &text);
        }
        _ => {}
    }
    Vec::new()
}

/// Selects the next service with a canary in progress.
fn jump_canary(state: &mut State) {
    let rows = &state.derived.services;
    let n = rows.len();
    let start = state
        .ui
        .list_view(crate::config::keymap::Scope::Services)
        .cursor
        .selected;
    let found = (1..=n).map(|i| (start + i) % n.max(1)).find(|&i| {
        state
            .cluster
            .isvcs
            .items
            .get(&rows[i])
            .is_some_and(Isvc::canary_in_progress)
    });
    match found {
        Some(index) => {
            let height = state.ui.list_rows();
            state
                .ui
                .list(crate::config::keymap::Scope::Services)
                .cursor
                .select(index, n, height);
        }
        None => state.notify(
            NoticeLevel::Info,
            "no canary in progress in view".to_string(),
        ),
    }
}

/// Handles a key while a prompt is open.
pub fn prompt_key(state: &mut State, mut prompt: Prompt, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => Vec::new(),
        KeyCode::Enter => answer(state, prompt),
        _ => {
            if prompt.input.edit(&key) != LineEdit::Ignored {
                state.dirty = true;
            }
            state.ui.mode = Mode::Prompt(prompt);
            Vec::new()
        }
    }
}

fn answer(state: &mut State, prompt: Prompt) -> Vec<Effect> {
    let text = prompt.input.text.trim().to_string();
    let again = |state: &mut State, error: AnswerError, prompt: Prompt| {
        state.notify(NoticeLevel::Error, error.to_string());
        state.ui.mode = Mode::Prompt(prompt);
        Vec::new()
    };
    match prompt.kind.clone() {
        PromptKind::GroupWeight => match answer::weight(&text) {
            Ok(weight) => super::group_rollout::start(
                state,
                prompt.key,
                crate::domain::rollout::group::GroupAction::SetWeight { weight },
            ),
            Err(e) => again(state, e, prompt),
        },
        PromptKind::CanaryPercent => match answer::percent(&text) {
            Ok(percent) => start(
                state,
                prompt.key,
                RolloutAction::SetCanary { percent },
                false,
            ),
            Err(e) => again(state, e, prompt),
        },
        PromptKind::NewVersionUri => match answer::storage_uri(&text) {
            Ok(storage_uri) => {
                state.ui.mode = Mode::Prompt(Prompt {
                    kind: PromptKind::NewVersionPercent { storage_uri },
                    key: prompt.key,
                    input: LineInput::with_text("10"),
                });
                Vec::new()
            }
            Err(e) => again(state, e, prompt),
        },
        PromptKind::NewVersionPercent { storage_uri } => match answer::percent(&text) {
            Ok(percent) => start(
                state,
                prompt.key,
                RolloutAction::NewVersion {
                    storage_uri,
                    percent,
                },
                false,
            ),
            Err(e) => again(state, e, prompt),
        },
        PromptKind::Scale => match answer::replicas(&text) {
            Ok((min, max)) => start(state, prompt.key, RolloutAction::Scale { min, max }, false),
            Err(e) => again(state, e, prompt),
        },
    }
}

/// Re-applies the spec kdeck recorded before its last change to this service. The history
/// is always read again first: a copy kept from an earlier action misses the entry that
/// action itself recorded (and any change made by someone else since), so undo would put
/// back the wrong spec.
fn undo(state: &mut State, key: ObjectKey) -> Vec<Effect> {
    start(
        state,
        key,
        RolloutAction::RestoreSpec {
            spec: Box::new(serde_json::Value::Null),
            label: "undo".to_string(),
        },
        false,
    )
}

/// Opens the dialog and starts the safety sequence.
pub fn start(
    state: &mut State,
    key: ObjectKey,
    action: RolloutAction,
    automatic: bool,
) -> Vec<Effect> {
    state.rollout_ids += 1;
    let id = state.rollout_ids;
    let protected = state.session.protected;
    state.rollout = Some(RolloutFlow {
        id,
        key: key.clone(),
        action,
        plan: None,
        stage: Stage::LoadingHistory,
        started: state.now,
        protected,
        warning: None,
        automatic,
        done: Vec::new(),
        notes: Vec::new(),
        hidden: false,
    });
    state.dirty = true;
    vec![Effect::LoadHistory { id, key }]
}

fn finish(state: &mut State, finish: Finish) {
    if let Some(flow) = state.rollout.as_mut() {
        flow.stage = Stage::Finished(finish.clone());
        flow.hidden = false;
        let rolled_back = finish.is_success() && flow.action == RolloutAction::Rollback;
        if rolled_back
            && state
                .guard_alarm
                .as_ref()
                .is_some_and(|(k, _)| *k == flow.key)
        {
            state.guard_alarm = None;
        }
    }
    let (level, text) = match &finish {
        Finish::Done(m) => (NoticeLevel::Info, format!("rollout done: {m}")),
        Finish::Cancelled => (
            NoticeLevel::Info,
            "rollout cancelled; nothing was changed".to_string(),
        ),
        Finish::Failed(m)
        | Finish::Forbidden(m)
        | Finish::Rejected(m)
        | Finish::Conflict(m)
        | Finish::TimedOut(m) => (NoticeLevel::Error, m.clone()),
    };
    state.notify(level, text);
}

fn audit_record(state: &State, outcome: &str) -> Option<AuditRecord> {
    let flow = state.rollout.as_ref()?;
    let plan = flow.plan.as_ref()?;
    let uid = state
        .cluster
        .isvcs
        .items
        .get(&flow.key)
        .map(|i| i.meta.uid.clone())
        .unwrap_or_default();
    Some(AuditRecord {
        at: state.now,
        user: state.session.user.clone(),
        context: state.session.context.clone().unwrap_or_default(),
        namespace: flow.key.namespace.clone(),
        name: flow.key.name.clone(),
        uid,
        reason: plan.action.event_reason().to_string(),
        action: plan.action.verb(),
        traffic_before: plan.traffic_before.clone(),
        traffic_after: plan.traffic_after.clone(),
        patch: plan.patch.clone(),
        outcome: outcome.to_string(),
    })
}

/// The user confirmed (or the guard's auto-rollback did): record history and apply.
fn confirm(state: &mut State) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    let Some(plan) = flow.plan.clone() else {
        return Vec::new();
    };
    flow.done.push((
        "confirmed".to_string(),
        if flow.automatic {
            "automatically (guard)".to_string()
        } else {
            "by you".to_string()
        },
    ));
    flow.stage = Stage::Applying;
    let revision = state
        .cluster
        .isvcs
        .items
        .get(&flow.key)
        .and_then(|i| i.predictor_status().and_then(|s| s.latest_ready.clone()));
    let history = HistoryEntry {
        at: state.now,
        action: plan.action.verb(),
        revision,
        by: state.session.user.clone(),
        spec: plan.spec_before.clone(),
    };
    let (id, key) = (flow.id, flow.key.clone());
    let Some(intent) = audit_record(state, "intent") else {
        return Vec::new();
    };
    vec![Effect::ApplyPatch {
        id,
        key,
        patch: plan.patch,
        history: Box::new(history),
        intent: Box::new(intent),
    }]
}

/// What a key does to the confirmation.
enum ConfirmKey {
    Confirm,
    Cancel,
    Toggle,
    Type,
    WrongName,
    Ignore,
}

/// Keys while the dialog is shown. Returns None when the dialog does not take the key.
pub fn dialog_key(state: &mut State, key: KeyEvent) -> Option<Vec<Effect>> {
    let flow = state.rollout.as_mut().filter(|f| !f.hidden)?;
    state.dirty = true;
    match &mut flow.stage {
        Stage::Confirm { yes, typed } => {
            let decision = if flow.protected || flow.warning.is_some() {
                // A failing revision outside a protected context may also be confirmed with "yes".
                let yes_allowed = !flow.protected && typed.text.trim() == "yes";
                match key.code {
                    KeyCode::Esc => ConfirmKey::Cancel,
                    KeyCode::Enter if typed.text == flow.key.name || yes_allowed => {
                        ConfirmKey::Confirm
                    }
                    KeyCode::Enter => ConfirmKey::WrongName,
                    _ => ConfirmKey::Type,
                }
            } else {
                match key.code {
                    KeyCode::Char('y' | 'Y') => ConfirmKey::Confirm,
                    KeyCode::Enter if *yes => ConfirmKey::Confirm,
                    KeyCode::Tab
                    | KeyCode::BackTab
                    | KeyCode::Left
                    | KeyCode::Right
                    | KeyCode::Char('h' | 'l') => ConfirmKey::Toggle,
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('n' | 'N' | 'q') => {
                        ConfirmKey::Cancel
                    }
                    _ => ConfirmKey::Ignore,
                }
            };
            match decision {
                ConfirmKey::Confirm => return Some(confirm(state)),
                ConfirmKey::Cancel => finish(state, Finish::Cancelled),
                ConfirmKey::Toggle => *yes = !*yes,
                ConfirmKey::Type => {
                    typed.edit(&key);
                }
                ConfirmKey::WrongName => {
                    let name = flow.key.name.clone();
                    let text = if flow.protected {
                        format!("protected context: type '{name}' exactly to confirm, esc cancels")
                    } else {
                        format!(
                            "the revision is failing: type '{name}' or 'yes' to confirm, esc cancels"
                        )
                    };
                    state.notify(NoticeLevel::Error, text);
                }
                ConfirmKey::Ignore => {}
            }
            Some(Vec::new())
        }
        // Any key closes the result; a key that is not a dismissal (esc, enter, q) then does
        // what it does in the view, so a cancelled dialog never swallows the next key.
        Stage::Finished(_) => {
            state.rollout = None;
            if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                Some(Vec::new())
            } else {
                None
            }
        }
        _ => {
            if key.code == KeyCode::Esc {
                flow.hidden = true;
                state.notify(
                    NoticeLevel::Info,
                    "the rollout keeps going; the header shows its progress".to_string(),
                );
            }
            Some(Vec::new())
        }
    }
}

/// Re-evaluates a followed rollout against the watched status (after watch events).
pub fn check_progress(state: &mut State) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_ref() else {
        return Vec::new();
    };
    let Stage::Following {
        generation,
        deadline,
        ..
    } = flow.stage.clone()
    else {
        return Vec::new();
    };
    let Some(plan) = flow.plan.as_ref() else {
        return Vec::new();
    };
    let Some(isvc) = state.cluster.isvcs.items.get(&flow.key) else {
        return Vec::new();
    };
    let progress = evaluate(&plan.goal, isvc, generation);
    let traffic = isvc.traffic_label("·");
    let outcome = progress.outcome.clone();
    if let Some(flow) = state.rollout.as_mut() {
        flow.stage = Stage::Following {
            generation,
            deadline,
            progress: Some(progress),
        };
    }
    state.dirty = true;
    match outcome {
        Some(Outcome::Done) => finish(state, Finish::Done(format!("traffic {traffic}"))),
        Some(Outcome::Failed(reason)) => finish(state, Finish::Failed(reason)),
        None if state.now > deadline => finish(
            state,
            Finish::TimedOut(format!(
                "not done after {} minutes; traffic {traffic}",
                FOLLOW_TIMEOUT.num_minutes()
            )),
        ),
        None => {}
    }
    Vec::new()
}

#[cfg(test)]
#[path = "rollout_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "rollout_guard_tests.rs"]
mod guard_tests;
