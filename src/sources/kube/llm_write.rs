//! The writes a group canary needs on LLMInferenceServices, told as truthfully as those on
//! InferenceServices (write.rs): list the namespace's services, read one, patch one (server
//! dry run or for real, JSON merge patch carrying the resourceVersion read), and apply one
//! step with its whole audit trail — intent line, write, read back when the answer was lost,
//! Event on the member once applied, undo point once applied, outcome line. Every call runs
//! under the API deadline.

use super::actions::{self, AuditRecord, WriteError, write_error};
use super::deadline::within;
use super::errors::describe;
use super::write::{ChangeReport, InFlight, WriteOutcome, generation};
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::truth::{ReadBack, judge};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use serde_json::{Value, json};

/// The LLMInferenceService API resource.
pub fn llm_resource() -> ApiResource {
    super::watch::api_resource(crate::domain::kind::Kind::LlmInferenceService.spec())
}

/// The history key under which a member's group undo points are kept (apart from an
/// InferenceService of the same name).
pub fn history_name(member: &str) -> String {
    format!("llm.{member}")
}

fn to_value(object: &DynamicObject) -> Result<Value, WriteError> {
    serde_json::to_value(object).map_err(|e| WriteError {
        code: 0,
        message: format!("unexpected answer: {e}"),
    })
}

/// Every LLMInferenceService of the namespace as JSON.
pub async fn list_llms(client: &kube::Client, namespace: &str) -> Result<Vec<Value>, WriteError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &llm_resource());
    let what = format!("listing the LLMInferenceServices of {namespace}");
    let list = within(&what, api.list(&ListParams::default()))
        .await?
        .map_err(|e| write_error(&e))?;
    list.items.iter().map(to_value).collect()
}

/// Reads one LLMInferenceService as JSON.
pub async fn get_llm(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Value, WriteError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &llm_resource());
    let object = within(&format!("reading {namespace}/{name}"), api.get(name))
        .await?
        .map_err(|e| write_error(&e))?;
    to_value(&object)
}

/// Sends the merge patch to the LLMInferenceService, as a server-side dry run or for real.
pub async fn patch_llm(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    patch: &Value,
    dry_run: bool,
) -> Result<Value, WriteError> {
    actions::merge_patch(client, &llm_resource(), namespace, name, patch, dry_run).await
}

/// Sends the patch and finds out what it did, reading the member again when the answer was
/// lost.
pub async fn patch_and_confirm(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    patch: &Value,
) -> WriteOutcome {
    let lost = match patch_llm(client, namespace, name, patch, false).await {
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
    match get_llm(client, namespace, name).await {
        Ok(object) => match judge(patch, resource_version, &object) {
            ReadBack::Applied => WriteOutcome::Applied {
                generation: generation(&object),
                object: Box::new(object.clone()),
                note: Some(format!(
                    "the answer to the patch was lost ({}); reading {name} again shows the change applied",
                    lost.message
                )),
            },
            ReadBack::NotApplied => WriteOutcome::NotApplied(WriteError {
                code: lost.code,
                message: format!(
                    "{}; reading {name} again shows it unchanged: nothing was applied",
                    lost.message
                ),
            }),
            ReadBack::Unknown => WriteOutcome::Unknown(format!(
                "{}; reading {name} again shows other changes, so whether this one applied is unknown — look at it before trying again",
                lost.message
            )),
        },
        Err(e) => WriteOutcome::Unknown(format!(
            "{}; reading {name} again failed too ({}), so whether the change applied is unknown — check it (kubectl get llminferenceservice {name}) before trying again",
            lost.message, e.message
        )),
    }
}

/// Writes the audit Event on the member.
pub async fn emit_event(client: &kube::Client, record: &AuditRecord) -> Result<(), String> {
    let now = record.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let spec = crate::domain::kind::Kind::LlmInferenceService.spec();
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": format!("{}.kdeck-", record.name), "namespace": record.namespace},
        "involvedObject": {"apiVersion": format!("{}/{}", spec.group, spec.version), "kind": spec.api_kind,
            "name": record.name, "namespace": record.namespace, "uid": record.uid},
        "reason": record.reason,
        "message": record.message(),
        "type": "Normal",
        "source": {"component": "kdeck"},
        "reportingComponent": "kdeck",
        "reportingInstance": super::connect::local_user(),
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1
    });
    let event: k8s_openapi::api::core::v1::Event =
        serde_json::from_value(event).map_err(|e| e.to_string())?;
    let api: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(client.clone(), &record.namespace);
    within(
        "writing the audit event",
        api.create(&PostParams::default(), &event),
    )
    .await
    .map_err(|e| e.to_string())?
    .map(|_| ())
    .map_err(|e| format!("cannot write the audit event: {}", describe(&e)))
}

/// Applies one step with its whole audit trail. `undo` (history key, entry) is recorded once
/// the write is known to be applied (the first step of a plan carries it).
pub async fn apply_step(
    client: &kube::Client,
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
    let outcome = patch_and_confirm(client, namespace, name, patch).await;
    record.at = chrono::Utc::now();
    let mut history_problem = None;
    if matches!(outcome, WriteOutcome::Applied { .. }) {
        record.outcome = "applied".to_string();
        if let Err(e) = emit_event(client, &record).await {
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
