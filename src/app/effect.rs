//! Effects: what `update` asks the outside world to do. The app loop handles the terminal
//! ones (quit, suspend, clear); the effect runner spawns the I/O ones, whose results come
//! back as messages.

use crate::domain::key::ObjectKey;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::scope::NamespaceScope;
use crate::sources::kube::actions::AuditRecord;

/// A side effect requested by `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Leave the console and restore the terminal.
    Quit,
    /// Restore the terminal and stop the process (Ctrl-Z); redraw on resume.
    Suspend,
    /// Clear and fully redraw the terminal.
    ClearScreen,
    /// (Re)connect to the cluster and start the watchers for `namespace`. `context: None`
    /// is the kubeconfig's current context. A new `epoch` replaces the previous connection.
    Connect {
        epoch: u64,
        context: Option<String>,
        namespace: NamespaceScope,
    },
    /// Read the latency of these pods from now on (the services on screen and the canaries).
    LatencyTargets(crate::domain::latency::TargetSet),
    /// Follow the logs of one container of one pod as part of log session `session`.
    StartLogStream(LogStreamSpec),
    /// Stop every stream of log session `session`.
    StopLogs { session: u64 },
    /// Write text to a file in the state directory (`name` is the file name).
    SaveLogs {
        name: String,
        content: String,
        lines: usize,
    },
    /// Read a service from the API server for the YAML view (`kind`: InferenceService or
    /// LLMInferenceService); the answer comes back as `Msg::YamlFetched`.
    FetchYaml {
        key: ObjectKey,
        kind: crate::domain::kind::Kind,
    },
    /// Read kdeck's spec history of a service.
    LoadHistory { id: u64, key: ObjectKey },
    /// SelfSubjectAccessReview: may the user patch this InferenceService?
    CheckPermission { id: u64, key: ObjectKey },
    /// Server-side dry run of the patch.
    DryRunPatch {
        id: u64,
        key: ObjectKey,
        patch: serde_json::Value,
    },
    /// Record the replaced spec, then apply the patch for real.
    ApplyPatch {
        id: u64,
        key: ObjectKey,
        patch: serde_json::Value,
        history: Box<HistoryEntry>,
        /// The audit record of the change (the local log gets it before the write).
        intent: Box<AuditRecord>,
    },
    /// Write the audit Event and the local audit log line.
    Audit { id: u64, record: Box<AuditRecord> },
    /// Before a group change is asked: permission to patch every member the plan changes,
    /// then the server's dry run of every step.
    CheckGroupPlan {
        id: u64,
        plan: Box<crate::domain::rollout::group::GroupPlan>,
    },
    /// One step of an LLM routing-group change: read the member again and rebase the step
    /// on it (`rebase`, every step after the first), then apply it with its audit trail
    /// (sources/kube/llm_write.rs); the undo point goes with the first step.
    ApplyGroupStep {
        id: u64,
        step: usize,
        planned: Box<crate::domain::rollout::group::GroupStep>,
        rebase: bool,
        intent: Box<AuditRecord>,
        undo: Option<Box<(String, HistoryEntry)>>,
    },
    /// Fetch log tails and write an incident snapshot.
    WriteIncident(Box<crate::sources::incident::IncidentRequest>),
    /// Probe a model server (a service URL or a revision's tag URL); the summary comes back
    /// as `Msg::Probe`.
    Probe(ProbeRequest),
}

/// One console probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRequest {
    pub key: ObjectKey,
    /// The revision probed (through one of its pods, or its tag URL), or `None` for the
    /// service as a whole.
    pub revision: Option<String>,
    /// A URL, or with `via_api` the API server's pod-proxy base path of one pod.
    pub url: String,
    /// Through the Kubernetes API server's pod proxy (works from a bastion).
    pub via_api: bool,
    pub model: String,
    pub protocol: crate::domain::probe::Protocol,
    pub count: usize,
    pub concurrency: usize,
    /// V1 `:explain` (the service's explainer) instead of `:predict`.
    pub explain: bool,
}

impl ProbeRequest {
    /// `name`, `name r2` or `name :explain`, for notices.
    pub fn label(&self) -> String {
        match (&self.revision, self.explain) {
            (_, true) => format!("{} :explain", self.key.name),
            (Some(r), false) => format!(
                "{} {}",
                self.key.name,
                crate::domain::isvc::short_revision(r)
            ),
            (None, false) => self.key.name.clone(),
        }
    }
}

/// One log stream to start: the log source's own request type.
pub use crate::sources::kube::logs::LogStreamSpec;
