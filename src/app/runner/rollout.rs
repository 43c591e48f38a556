//! Running the rollout effects: each is one call from `sources::kube::actions`, spawned, with
//! its result sent back as a `RolloutMsg`.

use crate::app::inbox::Outbox;
use crate::app::msg::{Msg, RolloutMsg};
use crate::domain::key::ObjectKey;
use crate::domain::rollout::history::HistoryEntry;
use crate::sources::kube::actions::{self, AuditRecord, WriteError};
use crate::sources::kube::write::{self, WriteOutcome, Written};
use serde_json::Value;

pub async fn load_history(client: kube::Client, id: u64, key: ObjectKey, tx: Outbox) {
    let (entries, problem) = match actions::load_history(&client, &key.namespace, &key.name).await {
        Ok(r) => r,
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let deployed = actions::deployed_revisions(&client, &key.namespace, &key.name)
        .await
        .map_err(std::sync::Arc::new);
    let object = actions::get_isvc(&client, &key.namespace, &key.name).await;
    let _ = tx
        .send(Msg::Rollout(RolloutMsg::History {
            id,
            key,
            entries,
            problem,
            deployed,
            object,
        }))
        .await;
}

pub async fn check_permission(client: kube::Client, id: u64, key: ObjectKey, tx: Outbox) {
    let result = actions::can_i(
        &client,
        "patch",
        "serving.kserve.io",
        "inferenceservices",
        &key.namespace,
        &key.name,
    )
    .await
    .map_err(std::sync::Arc::new);
    let _ = tx
        .send(Msg::Rollout(RolloutMsg::Permission { id, result }))
        .await;
}

pub async fn dry_run(client: kube::Client, id: u64, key: ObjectKey, patch: Value, tx: Outbox) {
    let result = write::patch(
        &client,
        Written::InferenceService,
        &key.namespace,
        &key.name,
        &patch,
        true,
    )
    .await
    .map(|_| ());
    let _ = tx
        .send(Msg::Rollout(RolloutMsg::DryRun { id, result }))
        .await;
}

/// One confirmed change.
pub struct Change {
    pub patch: Value,
    pub history: HistoryEntry,
    pub intent: AuditRecord,
}

/// Applies the change with its audit trail (intent, outcome read back when the answer is
/// lost, Event once applied, undo point only when applied), then reports both.
pub async fn apply(client: kube::Client, id: u64, change: Change, tx: Outbox) {
    let report = write::apply_change(&client, &change.patch, change.history, &change.intent).await;
    let (result, note) = match report.outcome {
        WriteOutcome::Applied {
            generation, note, ..
        } => (Ok(generation), note),
        WriteOutcome::NotApplied(e) => (Err(e), None),
        WriteOutcome::Unknown(why) => (
            Err(WriteError {
                code: 0,
                message: format!("outcome unknown: {why}"),
            }),
            None,
        ),
    };
    let applied = result.is_ok();
    let _ = tx
        .send(Msg::Rollout(RolloutMsg::Applied {
            id,
            result,
            history_problem: report.history_problem,
            note,
        }))
        .await;
    if applied {
        let problems = report.audit_problems;
        let _ = tx
            .send(Msg::Rollout(RolloutMsg::Audited { id, problems }))
            .await;
    }
}

pub async fn audit(client: kube::Client, id: u64, record: AuditRecord, tx: Outbox) {
    let mut problems = Vec::new();
    if let Err(e) = actions::emit_event(&client, &record).await {
        problems.push(e.to_string());
    }
    if let Err(e) = actions::append_audit_log(&record).await {
        problems.push(e.to_string());
    }
    let _ = tx
        .send(Msg::Rollout(RolloutMsg::Audited { id, problems }))
        .await;
}
