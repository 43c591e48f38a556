//! Running one step of an LLM routing-group change: read the member again and rebase the
//! step on it (later steps), apply it with its audit trail (sources/kube/llm_write.rs), and
//! report how it went as a `GroupStepMsg`.

use crate::app::inbox::Outbox;
use crate::app::msg::{GroupStepMsg, Msg};
use crate::domain::rollout::group::{GroupPlan, GroupStep, rebase};
use crate::domain::rollout::history::HistoryEntry;
use crate::sources::kube::actions;
use crate::sources::kube::actions::AuditRecord;
use crate::sources::kube::llm_write;
use crate::sources::kube::write::{self, WriteOutcome, Written};
use crate::state::rollout::Finish;

/// One step as the effect asks for it.
pub struct GroupChange {
    pub id: u64,
    pub step: usize,
    pub planned: GroupStep,
    pub rebase: bool,
    pub intent: AuditRecord,
    pub undo: Option<(String, HistoryEntry)>,
}

pub async fn apply_step(client: kube::Client, change: GroupChange, tx: Outbox) {
    let (id, step) = (change.id, change.step);
    let (result, notes) = run(&client, change).await;
    let _ = tx
        .send(Msg::GroupStep(GroupStepMsg {
            id,
            step,
            result,
            notes,
        }))
        .await;
}

/// Permission for every member the plan changes, then the server's dry run of every step;
/// reports the first refusal as the finish to show.
pub async fn check_plan(client: kube::Client, id: u64, plan: GroupPlan, tx: Outbox) {
    let result = check(&client, &plan).await;
    let _ = tx.send(Msg::GroupChecked { id, result }).await;
}

async fn check(client: &kube::Client, plan: &GroupPlan) -> Result<(), Finish> {
    let ns = plan.namespace.as_str();
    for step in &plan.steps {
        let member = step.member.as_str();
        match actions::can_i(
            client,
            "patch",
            "serving.kserve.io",
            "llminferenceservices",
            ns,
            member,
        )
        .await
        {
            Ok((true, _)) => {}
            Ok((false, reason)) => return Err(Finish::Forbidden(reason)),
            Err(e) => return Err(Finish::Failed(format!("{e}; nothing was changed"))),
        }
    }
    for step in &plan.steps {
        if let Err(e) = write::patch(
            client,
            Written::LlmInferenceService,
            ns,
            &step.member,
            &step.patch,
            true,
        )
        .await
        {
            let why = format!(
                "the server's dry run refused the change of {}: {}; nothing was changed",
                step.member, e.message
            );
            return Err(if e.is_forbidden() {
                Finish::Forbidden(why)
            } else if e.is_conflict() {
                Finish::Conflict(why)
            } else if e.is_invalid() {
                Finish::Rejected(why)
            } else {
                Finish::Failed(why)
            });
        }
    }
    Ok(())
}

type StepResult = Result<(i64, serde_json::Value), Finish>;

async fn run(client: &kube::Client, change: GroupChange) -> (StepResult, Vec<String>) {
    let namespace = change.intent.namespace.clone();
    let earlier = if change.step > 0 {
        format!(" (steps 1-{} were applied)", change.step)
    } else {
        String::new()
    };
    let step = if change.rebase {
        match llm_write::get_llm(client, &namespace, &change.planned.member).await {
            Ok(raw) => match rebase(&change.planned, &raw) {
                Ok(step) => step,
                Err(e) => return (Err(Finish::Conflict(format!("{e}{earlier}"))), Vec::new()),
            },
            Err(e) => {
                return (
                    Err(Finish::Failed(format!(
                        "{}; the remaining steps were not sent{earlier}",
                        e.message
                    ))),
                    Vec::new(),
                );
            }
        }
    } else {
        change.planned
    };
    let report = llm_write::apply_step(client, &step.patch, &change.intent, change.undo).await;
    let mut notes = report.audit_problems;
    notes.extend(report.history_problem);
    let result = match report.outcome {
        WriteOutcome::Applied {
            generation,
            object,
            note,
        } => {
            notes.extend(note);
            Ok((generation, *object))
        }
        WriteOutcome::NotApplied(e) if e.is_conflict() => Err(Finish::Conflict(format!(
            "{} changed since it was read (resourceVersion {}); nothing was overwritten{earlier} — press the key again to plan on the new state",
            step.member, step.resource_version
        ))),
        WriteOutcome::NotApplied(e) if e.is_forbidden() => {
            Err(Finish::Forbidden(format!("{}{earlier}", e.message)))
        }
        WriteOutcome::NotApplied(e) if e.is_invalid() => {
            Err(Finish::Rejected(format!("{}{earlier}", e.message)))
        }
        WriteOutcome::NotApplied(e) => Err(Finish::Failed(format!(
            "not applied: {}{earlier}",
            e.message
        ))),
        WriteOutcome::Unknown(why) => {
            Err(Finish::Failed(format!("outcome unknown: {why}{earlier}")))
        }
    };
    (result, notes)
}
