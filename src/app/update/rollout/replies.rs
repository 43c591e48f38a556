//! The replies of the rollout effects, one handler per stage: history read (then the plan),
//! permission checked, dry run done, change applied, audit written.

use super::{FOLLOW_TIMEOUT, check_progress, confirm, finish};
use crate::app::effect::Effect;
use crate::app::msg::RolloutMsg;
use crate::domain::rollout::deployed::{DeployedRevision, history_for};
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::{RolloutAction, plan};
use crate::sources::kube::actions::{CallError, WriteError};
use crate::state::State;
use crate::state::line::LineInput;
use crate::state::rollout::{Finish, Stage};
use std::sync::Arc;

/// Applies a message from the rollout effects.
pub fn handle(state: &mut State, msg: RolloutMsg) -> Vec<Effect> {
    let id = match &msg {
        RolloutMsg::History { id, .. }
        | RolloutMsg::Permission { id, .. }
        | RolloutMsg::DryRun { id, .. }
        | RolloutMsg::Applied { id, .. }
        | RolloutMsg::Audited { id, .. } => *id,
    };
    if let RolloutMsg::History { key, entries, .. } = &msg {
        state.histories.insert(key.clone(), entries.clone());
    }
    if state.rollout.as_ref().is_none_or(|f| f.id != id) {
        return Vec::new();
    }
    state.dirty = true;
    match msg {
        RolloutMsg::History {
            entries,
            problem,
            deployed,
            object,
            ..
        } => on_history(state, id, entries, problem, deployed, object),
        RolloutMsg::Permission { result, .. } => on_permission(state, id, result),
        RolloutMsg::DryRun { result, .. } => on_dry_run(state, result),
        RolloutMsg::Applied {
            result,
            history_problem,
            note,
            ..
        } => on_applied(state, result, history_problem, note),
        RolloutMsg::Audited { problems, .. } => on_audited(state, problems),
    }
}

/// kdeck's history is read: fill in an undo's spec, make the plan, then check permission.
fn on_history(
    state: &mut State,
    id: u64,
    entries: Vec<HistoryEntry>,
    problem: Option<String>,
    deployed: Result<Vec<DeployedRevision>, Arc<CallError>>,
    object: Result<serde_json::Value, WriteError>,
) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    let key = flow.key.clone();
    if let Some(p) = problem {
        flow.notes.push(p);
    }
    if let RolloutAction::RestoreSpec { spec, label } = &mut flow.action
        && spec.is_null()
    {
        match entries.first() {
            Some(entry) => {
                **spec = entry.spec.clone();
                *label = format!(
                    "the spec before '{}' ({})",
                    entry.action,
                    entry.at.format("%H:%M")
                );
            }
            None => {
                finish(
                    state,
                    Finish::Rejected(
                        "nothing to undo: kdeck has not changed this service (no recorded spec)"
                            .to_string(),
                    ),
                );
                return Vec::new();
            }
        }
    }
    // The plan is made from the object as the API server has it now, not from the watch.
    let raw = match object {
        Ok(raw) => raw,
        Err(e) => {
            let text = if state.cluster.isvcs.items.contains_key(&key) {
                format!(
                    "could not read {key} to plan the change: {e}; check the connection (header) and try again"
                )
            } else {
                format!("{key} is gone from the cluster")
            };
            finish(state, Finish::Rejected(text));
            return Vec::new();
        }
    };
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    let (deployed, deployed_problem) = match deployed {
        Ok(d) => (d, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let spec = raw.get("spec").cloned().unwrap_or_default();
    let history = history_for(&flow.action, &entries, &spec, &deployed);
    if history.is_empty()
        && flow.action == RolloutAction::Rollback
        && let Some(p) = deployed_problem
    {
        flow.notes.push(p);
    }
    let planned = plan(&raw, flow.action.clone(), &history);
    let warning = planned.as_ref().ok().and_then(|p| {
        crate::domain::canary::more_traffic_warning(
            crate::state::canary::known_failing(state, &key).map(|(b, _)| b),
            state.cluster.isvcs.items.get(&key)?,
            &p.goal,
        )
    });
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    flow.warning = warning;
    match planned {
        Ok(p) => {
            flow.done.push((
                "planned".to_string(),
                format!("traffic {} → {}", p.traffic_before, p.traffic_after),
            ));
            flow.plan = Some(p);
            flow.stage = Stage::Permission;
            vec![Effect::CheckPermission { id, key }]
        }
        Err(e) => {
            finish(state, Finish::Rejected(e.to_string()));
            Vec::new()
        }
    }
}

/// The access review answered: dry-run the patch, or stop without sending anything.
fn on_permission(
    state: &mut State,
    id: u64,
    result: Result<(bool, String), Arc<CallError>>,
) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    let key = flow.key.clone();
    match result {
        Ok((true, _)) => {
            flow.done.push((
                "permission".to_string(),
                format!(
                    "patch inferenceservices/{} in {} allowed",
                    key.name, key.namespace
                ),
            ));
            flow.stage = Stage::DryRun;
            let patch = flow
                .plan
                .as_ref()
                .map(|p| p.patch.clone())
                .unwrap_or_default();
            vec![Effect::DryRunPatch { id, key, patch }]
        }
        Ok((false, reason)) => {
            finish(
                state,
                Finish::Forbidden(format!("forbidden: {reason} — nothing was sent")),
            );
            Vec::new()
        }
        Err(e) => {
            finish(state, Finish::Failed(e.to_string()));
            Vec::new()
        }
    }
}

/// The server's dry run answered: ask the user (or apply an automatic step), or stop.
fn on_dry_run(state: &mut State, result: Result<(), WriteError>) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    match result {
        Ok(()) => {
            flow.done.push((
                "dry run".to_string(),
                "accepted by the API server".to_string(),
            ));
            if flow.automatic {
                return confirm(state);
            }
            let yes = !flow.action.destructive();
            flow.stage = Stage::Confirm {
                yes,
                typed: LineInput::default(),
            };
            // The question needs the user: a flow hidden while its checks ran (slow
            // API server) shows itself again.
            flow.hidden = false;
            Vec::new()
        }
        Err(e) => {
            let finish_with = if e.is_forbidden() {
                Finish::Forbidden(format!("forbidden: {}", e.message))
            } else if e.is_conflict() {
                Finish::Conflict(format!(
                    "the service changed meanwhile: {} — press the key again to see the new state",
                    e.message
                ))
            } else {
                Finish::Rejected(format!(
                    "the server's dry run refused the change: {}",
                    e.message
                ))
            };
            finish(state, finish_with);
            Vec::new()
        }
    }
}

/// The patch was applied (follow the status) or refused.
fn on_applied(
    state: &mut State,
    result: Result<i64, WriteError>,
    history_problem: Option<String>,
    note: Option<String>,
) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    let key = flow.key.clone();
    flow.notes.extend(note);
    if let Some(p) = history_problem {
        flow.notes.push(p);
    }
    match result {
        Ok(generation) => {
            flow.done
                .push(("applied".to_string(), format!("generation {generation}")));
            flow.stage = Stage::Following {
                generation,
                deadline: state.now + FOLLOW_TIMEOUT,
                progress: None,
            };
            // The change's Event and audit lines were written with it (write.rs).
            check_progress(state)
        }
        Err(e) if e.is_conflict() => {
            finish(
                state,
                Finish::Conflict(format!(
                    "{} changed since it was read; nothing was overwritten. The dialog closed: look at the new state and press the key again.",
                    key.name
                )),
            );
            Vec::new()
        }
        Err(e) if e.is_forbidden() => {
            finish(state, Finish::Forbidden(e.message));
            Vec::new()
        }
        Err(e) => {
            finish(
                state,
                Finish::Failed(format!("applying failed: {}", e.message)),
            );
            Vec::new()
        }
    }
}

/// The audit Event and line were written (or why not).
fn on_audited(state: &mut State, problems: Vec<String>) -> Vec<Effect> {
    let Some(flow) = state.rollout.as_mut() else {
        return Vec::new();
    };
    if problems.is_empty() {
        flow.done.push((
            "audit".to_string(),
            "event on the service and local audit line written".to_string(),
        ));
    } else {
        flow.notes.extend(problems);
    }
    Vec::new()
}
