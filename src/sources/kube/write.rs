//! One change to an InferenceService or an LLMInferenceService group member, told
//! truthfully. The local audit log gets the intent
//! before the write and the outcome after; a write whose answer is lost (timed out, connection
//! dropped, 5xx) is judged by reading the object again (applied, not applied, unknown); the
//! Event is written as soon as the change is known to be applied, and only an applied change
//! leaves an undo point. Changes in flight are counted so that an exit (SIGTERM, `q`) can let
//! them finish their audit first (`drain`).

use super::actions::{self, AuditRecord, WriteError};
use crate::domain::kind::Kind;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::truth::{ReadBack, judge};
use kube::api::ApiResource;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What the cluster shows after the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Applied; `note` says how it was known when the answer was lost.
    Applied {
        generation: i64,
        /// The service as the change left it (to follow the rollout from there).
        object: Box<Value>,
        note: Option<String>,
    },
    /// Refused, or read back unchanged: nothing was changed.
    NotApplied(WriteError),
    /// Sent, answer lost, and reading back could not tell.
    Unknown(String),
}

impl WriteOutcome {
    /// The audit log's outcome word.
    pub fn audit_word(&self) -> String {
        match self {
            WriteOutcome::Applied { note: None, .. } => "applied".to_string(),
            WriteOutcome::Applied { note: Some(_), .. } => {
                "applied (answer lost; confirmed by reading the service again)".to_string()
            }
            WriteOutcome::NotApplied(e) => format!("not applied: {}", e.message),
            WriteOutcome::Unknown(why) => format!("unknown: {why}"),
        }
    }
}

/// Everything a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    pub outcome: WriteOutcome,
    /// Why no undo point was recorded for an applied change.
    pub history_problem: Option<String>,
    /// Audit writes that failed (event, local log).
    pub audit_problems: Vec<String>,
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts one change in flight while alive.
pub(super) struct InFlight;

impl InFlight {
    pub(super) fn start() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether a change is being written now.
pub fn changes_in_flight() -> bool {
    IN_FLIGHT.load(Ordering::SeqCst) > 0
}

/// Waits (at most `max`) until no change is in flight, so its audit outcome gets written.
pub async fn drain(max: Duration) {
    let until = tokio::time::Instant::now() + max;
    while changes_in_flight() && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The kind of object a change writes, with the words the user is told about it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    InferenceService,
    /// A member of an LLMInferenceService routing group.
    LlmInferenceService,
}

impl Written {
    /// The kind in the registry.
    pub fn kind(self) -> Kind {
        match self {
            Written::InferenceService => Kind::InferenceService,
            Written::LlmInferenceService => Kind::LlmInferenceService,
        }
    }

    /// The API resource the change is written to.
    pub fn resource(self) -> ApiResource {
        super::watch::api_resource(self.kind().spec())
    }

    /// How a read-back names the object ("reading … again").
    fn called(self, name: &str) -> String {
        match self {
            Written::InferenceService => "the service".to_string(),
            Written::LlmInferenceService => name.to_string(),
        }
    }

    /// The command that shows the object, for an outcome nobody could tell.
    fn look_command(self, name: &str) -> String {
        match self {
            Written::InferenceService => "kdeck status".to_string(),
            Written::LlmInferenceService => format!("kubectl get llminferenceservice {name}"),
        }
    }
}

/// Sends the merge patch to the `written` object, as a server-side dry run or for real;
/// returns the object the server answered with.
pub async fn patch(
    client: &kube::Client,
    written: Written,
    namespace: &str,
    name: &str,
    patch: &Value,
    dry_run: bool,
) -> Result<Value, actions::WriteError> {
    actions::merge_patch(client, &written.resource(), namespace, name, patch, dry_run).await
}

/// Sends the merge patch and finds out what it did, reading the object again when the
/// answer was lost.
pub async fn patch_and_confirm(
    client: &kube::Client,
    written: Written,
    namespace: &str,
    name: &str,
    patch: &Value,
) -> WriteOutcome {
    let resource = written.resource();
    let lost = match actions::merge_patch(client, &resource, namespace, name, patch, false).await {
        Ok(object) => {
            return WriteOutcome::Applied {
                generation: generation(&object),
                object: Box::new(object),
                note: None,
            };
        }
        Err(e) if e.is_refusal() => return WriteOutcome::NotApplied(e),
        Err(e) => e,
    };
    tracing::warn!(
        "the answer to the patch of {namespace}/{name} was lost: {}",
        lost.message
    );
    let resource_version = patch
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let called = written.called(name);
    match actions::get_object(client, &resource, namespace, name).await {
        Ok(object) => match judge(patch, resource_version, &object) {
            ReadBack::Applied => WriteOutcome::Applied {
                generation: generation(&object),
                object: Box::new(object.clone()),
                note: Some(format!(
                    "the answer to the patch was lost ({}); reading {called} again shows the change applied",
                    lost.message
                )),
            },
            ReadBack::NotApplied => WriteOutcome::NotApplied(WriteError {
                code: lost.code,
                message: format!(
                    "{}; reading {called} again shows it unchanged: nothing was applied",
                    lost.message
                ),
            }),
            ReadBack::Unknown => WriteOutcome::Unknown(format!(
                "{}; reading {called} again shows other changes, so whether this one applied is unknown — look at it before trying again",
                lost.message
            )),
        },
        Err(e) => WriteOutcome::Unknown(format!(
            "{}; reading {called} again failed too ({}), so whether the change applied is unknown — check it ({}) before trying again",
            lost.message,
            e.message,
            written.look_command(name)
        )),
    }
}

pub(super) fn generation(object: &Value) -> i64 {
    object
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Applies one change to an InferenceService with its whole audit trail (see [`apply`]);
/// the undo point is kept under the service's name.
pub async fn apply_change(
    client: &kube::Client,
    patch: &Value,
    history: HistoryEntry,
    intent: &AuditRecord,
) -> ChangeReport {
    let undo = Some((intent.name.clone(), history));
    apply(client, Written::InferenceService, patch, intent, undo).await
}

/// Applies one change with its whole audit trail: intent line, write, read back when
/// needed, Event once applied, undo point (`undo`: history key and entry) once applied,
/// outcome line.
pub async fn apply(
    client: &kube::Client,
    written: Written,
    patch: &Value,
    intent: &AuditRecord,
    undo: Option<(String, HistoryEntry)>,
) -> ChangeReport {
    let _in_flight = InFlight::start();
    let (namespace, name) = (intent.namespace.as_str(), intent.name.as_str());
    let mut audit_problems = Vec::new();
    let mut record = intent.clone();
    record.outcome = "intent".to_string();
    if let Err(e) = actions::append_audit_log(&record).await {
        audit_problems.push(e.to_string());
    }
    let outcome = patch_and_confirm(client, written, namespace, name, patch).await;
    record.at = chrono::Utc::now();
    let mut history_problem = None;
    if matches!(outcome, WriteOutcome::Applied { .. }) {
        record.outcome = "applied".to_string();
        if let Err(e) = actions::emit_event_on(client, written.kind(), &record).await {
            audit_problems.push(e.to_string());
        }
        if let Some((key, entry)) = undo {
            history_problem = actions::save_history(client, namespace, &key, entry)
                .await
                .err()
                .map(|e| format!("{e}; applied without a recorded undo point"));
        }
    }
    record.outcome = outcome.audit_word();
    if let Err(e) = actions::append_audit_log(&record).await {
        audit_problems.push(e.to_string());
    }
    ChangeReport {
        outcome,
        history_problem,
        audit_problems,
    }
}
