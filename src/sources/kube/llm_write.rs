//! The writes a group canary needs on LLMInferenceServices: list the namespace's services,
//! read one, patch one (server dry run or for real, JSON merge patch carrying the
//! resourceVersion read), and apply one step with its whole audit trail. The write, the
//! read-back when the answer was lost and the audit trail are write.rs's, the same as for
//! InferenceServices; every call runs under the API deadline.

use super::actions::{self, AuditRecord, WriteError, write_error};
use super::deadline::within;
use super::write::{self, ChangeReport, Written};
use crate::domain::rollout::group::{GroupPlan, GroupStep};
use crate::domain::rollout::history::HistoryEntry;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::{Value, json};

/// The LLMInferenceService API resource.
pub fn llm_resource() -> ApiResource {
    Written::LlmInferenceService.resource()
}

/// The history key under which a member's group undo points are kept (apart from an
/// InferenceService of the same name).
pub fn history_name(member: &str) -> String {
    format!("llm.{member}")
}

/// Who makes a change, and when: the time, the user, the cluster context.
pub struct Author<'a> {
    pub at: chrono::DateTime<chrono::Utc>,
    pub user: &'a str,
    pub context: &'a str,
}

/// The audit intent of step `index` of `plan`, for `step` as it is sent (a later step is
/// rebased on the member as read just before).
pub fn step_intent(plan: &GroupPlan, index: usize, step: &GroupStep, by: &Author) -> AuditRecord {
    AuditRecord {
        at: by.at,
        user: by.user.to_string(),
        context: by.context.to_string(),
        namespace: plan.namespace.clone(),
        name: step.member.clone(),
        uid: step.uid.clone(),
        reason: plan.action.event_reason().to_string(),
        action: format!(
            "{} of {} (step {}/{} on {})",
            plan.action.verb(),
            plan.target,
            index + 1,
            plan.steps.len(),
            step.member
        ),
        traffic_before: plan.weights_before.clone(),
        traffic_after: plan.weights_after.clone(),
        patch: step.patch.clone(),
        outcome: String::new(),
    }
}

/// The undo point a group plan leaves once its first step is applied: the history key of
/// the chosen member and every member's settings before.
pub fn undo_point(plan: &GroupPlan, by: &Author) -> (String, HistoryEntry) {
    (
        history_name(&plan.target),
        HistoryEntry {
            at: by.at,
            action: plan.action.verb(),
            revision: None,
            by: by.user.to_string(),
            spec: json!({"group": plan.group, "members": plan.before}),
        },
    )
}

/// Every LLMInferenceService of the namespace as JSON.
pub async fn list_llms(client: &kube::Client, namespace: &str) -> Result<Vec<Value>, WriteError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &llm_resource());
    let what = format!("listing the LLMInferenceServices of {namespace}");
    let list = within(&what, api.list(&ListParams::default()))
        .await?
        .map_err(|e| write_error(&e))?;
    list.items.iter().map(actions::to_value).collect()
}

/// Reads one LLMInferenceService as JSON.
pub async fn get_llm(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Value, WriteError> {
    actions::get_object(client, &llm_resource(), namespace, name).await
}

/// Applies one step with its whole audit trail (write.rs `apply`). `undo` (history key,
/// entry) is recorded once the write is known to be applied (the first step of a plan
/// carries it).
pub async fn apply_step(
    client: &kube::Client,
    patch: &Value,
    intent: &AuditRecord,
    undo: Option<(String, HistoryEntry)>,
) -> ChangeReport {
    write::apply(client, Written::LlmInferenceService, patch, intent, undo).await
}
