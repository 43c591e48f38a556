//! The writes a rollout needs, each a small async call with errors in the user's words:
//! the permission check (SelfSubjectAccessReview), the server-side dry run and the real
//! patch (JSON merge patch carrying the resourceVersion read), kdeck's spec history
//! (ConfigMap), the older ReplicaSets of a Standard-mode predictor, the audit Event on the
//! changed object (InferenceService or LLMInferenceService), and the local audit log line.

use super::deadline::within;
use super::errors::describe;
use crate::domain::kind::Kind;
use crate::domain::rollout::deployed::{self, DeployedRevision};
use crate::domain::rollout::history::{self, HistoryEntry};
use chrono::{DateTime, Utc};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

/// The InferenceService API resource.
pub fn isvc_resource() -> ApiResource {
    super::watch::api_resource(Kind::InferenceService.spec())
}

/// Why a write (or the read before it) failed: the HTTP code (0: no answer) and the
/// message in the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WriteError {
    pub code: u16,
    pub message: String,
}

impl WriteError {
    pub fn is_conflict(&self) -> bool {
        self.code == 409
    }

    pub fn is_forbidden(&self) -> bool {
        self.code == 403
    }

    pub fn is_invalid(&self) -> bool {
        matches!(self.code, 400 | 422)
    }

    /// No answer within the request deadline (kdeck's own 408: the server said nothing).
    pub fn is_timed_out(&self) -> bool {
        self.code == TIMED_OUT
    }

    /// Whether the API server answered with a refusal (4xx): then nothing was changed.
    pub fn is_refusal(&self) -> bool {
        (400..500).contains(&self.code) && !self.is_timed_out()
    }
}

/// Why a permission check, the spec history or the audit trail could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    TimedOut(#[from] super::deadline::TimedOut),
    /// The API server or the connection said no; `reason` is in the user's words.
    #[error("cannot {doing}: {reason}")]
    Failed { doing: &'static str, reason: String },
    #[error("cannot build {what}: {source}")]
    Build {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    File(#[from] crate::sources::files::FileError),
    /// The older ReplicaSets of a Standard-mode predictor could not be listed.
    #[error("cannot read the ReplicaSets of {name}'s Deployment: {}", describe(.source))]
    ReplicaSets {
        name: String,
        #[source]
        source: kube::Error,
    },
}

fn failed(doing: &'static str, e: &kube::Error) -> CallError {
    CallError::Failed {
        doing,
        reason: describe(e),
    }
}

/// The code of a `WriteError` whose request ran into its deadline.
pub const TIMED_OUT: u16 = 408;

impl From<super::deadline::TimedOut> for WriteError {
    fn from(t: super::deadline::TimedOut) -> Self {
        WriteError {
            code: TIMED_OUT,
            message: t.to_string(),
        }
    }
}

pub(super) fn write_error(e: &kube::Error) -> WriteError {
    let code = match e {
        kube::Error::Api(status) => status.code,
        _ if super::deadline::timed_out(e).is_some() => TIMED_OUT,
        _ => 0,
    };
    WriteError {
        code,
        message: describe(e),
    }
}

/// Asks the API server whether the current user may `verb` the `resource` object.
/// Returns (allowed, reason).
pub async fn can_i(
    client: &kube::Client,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: &str,
    name: &str,
) -> Result<(bool, String), CallError> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.to_string()),
                group: Some(group.to_string()),
                resource: Some(resource.to_string()),
                namespace: Some(namespace.to_string()),
                name: Some(name.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = within(
        "the permission check",
        api.create(&PostParams::default(), &review),
    )
    .await?
    .map_err(|e| failed("check permissions", &e))?;
    let status = answer.status.unwrap_or_default();
    let reason = if status.allowed {
        status.reason.unwrap_or_default()
    } else {
        status
            .reason
            .filter(|r| !r.is_empty())
            .or(status.evaluation_error)
            .unwrap_or_else(|| {
                format!("RBAC does not allow {verb} on {resource} in namespace {namespace}")
            })
    };
    Ok((status.allowed, reason))
}

/// Sends a merge patch to a namespaced object of `resource` as kdeck's field manager, as a
/// server-side dry run or for real, under the API deadline; returns the server's answer.
pub async fn merge_patch(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
    patch: &Value,
    dry_run: bool,
) -> Result<Value, WriteError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, resource);
    let params = PatchParams {
        dry_run,
        field_manager: Some("kdeck".to_string()),
        ..PatchParams::default()
    };
    let what = if dry_run {
        format!("the dry run of the patch of {namespace}/{name}")
    } else {
        format!("the patch of {namespace}/{name}")
    };
    let object = within(&what, api.patch(name, &params, &Patch::Merge(patch)))
        .await?
        .map_err(|e| write_error(&e))?;
    to_value(&object)
}

/// Reads the InferenceService as JSON.
pub async fn get_isvc(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Value, WriteError> {
    get_object(client, &isvc_resource(), namespace, name).await
}

/// Reads a namespaced object of `resource` as JSON, under the API deadline.
pub async fn get_object(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
) -> Result<Value, WriteError> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, resource);
    let object = within(&format!("reading {namespace}/{name}"), api.get(name))
        .await?
        .map_err(|e| write_error(&e))?;
    to_value(&object)
}

/// The server's answer as JSON.
pub(super) fn to_value(object: &DynamicObject) -> Result<Value, WriteError> {
    serde_json::to_value(object).map_err(|e| WriteError {
        code: 0,
        message: format!("unexpected answer: {e}"),
    })
}

/// kdeck's history of replaced specs for a service (empty when none was kept yet).
pub async fn load_history(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<(Vec<HistoryEntry>, Option<String>), CallError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let read = within(
        "reading kdeck's spec history",
        api.get_opt(history::CONFIGMAP),
    )
    .await?;
    match read {
        Ok(Some(cm)) => {
            let text = cm
                .data
                .as_ref()
                .and_then(|d| d.get(&history::key(name)))
                .cloned();
            Ok(text
                .map(|t| history::parse(&t))
                .unwrap_or((Vec::new(), None)))
        }
        Ok(None) => Ok((Vec::new(), None)),
        Err(e) => Err(failed("read kdeck's spec history", &e)),
    }
}

/// The ReplicaSets of the service's predictor Deployment, newest first (none in Knative mode).
pub async fn deployed_revisions(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<Vec<DeployedRevision>, CallError> {
    let api: Api<k8s_openapi::api::apps::v1::ReplicaSet> =
        Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(&deployed::predictor_selector(name));
    let what = format!("listing the ReplicaSets of {name}");
    let list =
        within(&what, api.list(&params))
            .await?
            .map_err(|source| CallError::ReplicaSets {
                name: name.to_string(),
                source,
            })?;
    let sets: Vec<Value> = list
        .items
        .iter()
        .filter_map(|rs| serde_json::to_value(rs).ok())
        .collect();
    Ok(deployed::revisions(&sets))
}

/// Records `entry` first in the service's history, creating the ConfigMap if needed.
pub async fn save_history(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    entry: HistoryEntry,
) -> Result<(), CallError> {
    let (entries, _) = load_history(client, namespace, name).await?;
    let data = history::render(&history::push(entries, entry));
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let patch = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": history::CONFIGMAP, "labels": {"app.kubernetes.io/managed-by": "kdeck"}},
        "data": {history::key(name): data}
    });
    let (params, merge) = (PatchParams::default(), Patch::Merge(&patch));
    let write = api.patch(history::CONFIGMAP, &params, &merge);
    let written = within("writing kdeck's spec history", write).await?;
    match written {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => {
            let cm: ConfigMap =
                serde_json::from_value(patch).map_err(|source| CallError::Build {
                    what: "the spec history ConfigMap",
                    source,
                })?;
            within(
                "creating kdeck's spec history",
                api.create(&PostParams::default(), &cm),
            )
            .await?
            .map(|_| ())
            .map_err(|e| failed("keep kdeck's spec history", &e))
        }
        Err(e) => Err(failed("keep kdeck's spec history", &e)),
    }
}

/// What an audit record says.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub user: String,
    pub context: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub reason: String,
    pub action: String,
    pub traffic_before: String,
    pub traffic_after: String,
    pub patch: Value,
    pub outcome: String,
}

impl AuditRecord {
    /// The Event message: who, what, and the traffic change.
    pub fn message(&self) -> String {
        format!(
            "kdeck {} by {}: traffic {} -> {}; {}",
            self.action, self.user, self.traffic_before, self.traffic_after, self.outcome
        )
    }

    /// The JSON line for the local audit log.
    pub fn json_line(&self) -> String {
        json!({
            "at": self.at.to_rfc3339(),
            "user": self.user,
            "context": self.context,
            "namespace": self.namespace,
            "name": self.name,
            "action": self.action,
            "reason": self.reason,
            "traffic_before": self.traffic_before,
            "traffic_after": self.traffic_after,
            "patch": self.patch,
            "outcome": self.outcome,
        })
        .to_string()
    }
}

/// Writes the audit Event on the InferenceService.
pub async fn emit_event(client: &kube::Client, record: &AuditRecord) -> Result<(), CallError> {
    emit_event_on(client, Kind::InferenceService, record).await
}

/// Writes the audit Event on the record's object, of kind `kind`.
pub async fn emit_event_on(
    client: &kube::Client,
    kind: Kind,
    record: &AuditRecord,
) -> Result<(), CallError> {
    let now = record.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let spec = kind.spec();
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
        serde_json::from_value(event).map_err(|source| CallError::Build {
            what: "the audit event",
            source,
        })?;
    let api: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(client.clone(), &record.namespace);
    within(
        "writing the audit event",
        api.create(&PostParams::default(), &event),
    )
    .await?
    .map(|_| ())
    .map_err(|e| failed("write the audit event", &e))
}

/// Appends the record to `audit.log` in the state directory (0600 in a 0700 directory);
/// returns the file path.
pub async fn append_audit_log(record: &AuditRecord) -> Result<String, CallError> {
    use crate::sources::files::FileError;
    let dir = crate::config::paths::state_dir().ok_or(FileError::NoStateDir)?;
    let path = dir.join("audit.log");
    let line = format!("{}\n", record.json_line());
    let target = path.clone();
    let appended = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        crate::sources::files::open_private(&target, true)?.write_all(line.as_bytes())
    })
    .await;
    match appended {
        Ok(Ok(())) => Ok(path.display().to_string()),
        Ok(Err(source)) => Err(FileError::Write { path, source }.into()),
        Err(e) => Err(FileError::Interrupted {
            path,
            reason: e.to_string(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_replica_set_list_names_the_deployment_and_the_refusal() {
        let status: kube::core::Status = serde_json::from_value(json!({
            "code": 403, "reason": "Forbidden",
            "message": "replicasets.apps is forbidden: User \"dev\" cannot list resource \"replicasets\"",
        }))
        .expect("a Status");
        let err = CallError::ReplicaSets {
            name: "fraud".into(),
            source: kube::Error::Api(Box::new(status)),
        };
        assert_eq!(
            err.to_string(),
            "cannot read the ReplicaSets of fraud's Deployment: forbidden (403): replicasets.apps \
             is forbidden: User \"dev\" cannot list resource \"replicasets\""
        );
        assert!(std::error::Error::source(&err).is_some());
        let shown = WriteError {
            code: 404,
            message: "not found (404): inferenceservices \"fraud\" not found".into(),
        };
        assert_eq!(shown.to_string(), shown.message);
    }
}
