//! Messages: everything that can happen to the console arrives in the one inbox as an owned
//! `Msg` — terminal input, the tick, signals, and what sources and effects report.

use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::rollout::history::HistoryEntry;
use crate::sources::kube::actions::{CallError, WriteError};
/// What the cluster connection and the log streams report: the sources' own event types,
/// which the runner's sinks wrap into `Msg::Cluster` and `Msg::Logs`.
pub use crate::sources::kube::events::{ClusterMsg, LogBatch, LogMsg};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

/// A signal that ends the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermSignal {
    /// The terminal went away (an SSH session dropped).
    Hangup,
    /// Asked to stop (kill, systemd, container runtime).
    Terminate,
    /// Asked to suspend (SIGTSTP from outside; Ctrl-Z itself arrives as a key in raw mode).
    Stop,
}

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// The 1 Hz tick, with the wall-clock time.
    Tick(DateTime<Utc>),
    Signal(TermSignal),
    /// The process was continued after a Ctrl-Z suspend.
    Resumed,
    /// A message for the status bar from an effect or a source.
    Notice(NoticeLevel, String),
    Cluster(ClusterMsg),
    Logs(LogMsg),
    Rollout(RolloutMsg),
    /// The answer to one step of an LLM routing-group change.
    GroupStep(GroupStepMsg),
    /// The permission and dry-run checks of a group change: Ok, or the finish to show.
    GroupChecked {
        id: u64,
        result: Result<(), crate::state::rollout::Finish>,
    },
    Gpu(GpuMsg),
    /// The YAML view's object as read from the API server: (YAML text, resourceVersion), or
    /// what went wrong and what to do.
    YamlFetched {
        key: ObjectKey,
        result: Result<(String, String), crate::app::runner::YamlFetchError>,
    },
    /// One round of latency and rate measurements from the model servers.
    Metrics(Measurements),
    /// A console probe finished.
    Probe(
        Box<(
            crate::app::effect::ProbeRequest,
            crate::domain::probe::Summary,
        )>,
    ),
}

/// One round of latency figures (the latency source's own type, re-exported for `Msg`).
pub use crate::domain::latency::Measurements;

/// GPU readings.
#[derive(Debug, Clone)]
pub enum GpuMsg {
    /// From the local NVML sampler thread.
    Local(crate::sources::gpu::GpuReport),
    /// One round of the cluster's DCGM exporters.
    Cluster(crate::domain::dcgm::DcgmBatch),
}

/// How one step of a group change went, tagged with the flow id and the step.
#[derive(Debug, Clone)]
pub struct GroupStepMsg {
    pub id: u64,
    pub step: usize,
    /// Applied: the generation it produced and the object the server returned. Not:
    /// the finish to show (refused, conflict, unknown outcome).
    pub result: Result<(i64, serde_json::Value), crate::state::rollout::Finish>,
    /// Notes that do not stop the flow (audit or history problems, a lost answer).
    pub notes: Vec<String>,
}

/// What the rollout effects report, tagged with the flow id.
#[derive(Debug, Clone)]
pub enum RolloutMsg {
    History {
        id: u64,
        key: ObjectKey,
        entries: Vec<HistoryEntry>,
        problem: Option<String>,
        /// Older ReplicaSets of the predictor's Deployment (Standard mode), newest first;
        /// a rollback kdeck has no record for restores the model of one of them.
        /// (The source's `CallError` is not `Clone` and a message is: it travels in an `Arc`.)
        deployed: Result<
            Vec<crate::domain::rollout::deployed::DeployedRevision>,
            std::sync::Arc<CallError>,
        >,
        /// The InferenceService as the API server has it now (the plan is made from it,
        /// and its resourceVersion is the write's precondition), or why it could not be read.
        object: Result<serde_json::Value, WriteError>,
    },
    /// Whether the user may patch the service (and the reason the API server gives), or
    /// why the access review could not be made.
    Permission {
        id: u64,
        result: Result<(bool, String), std::sync::Arc<CallError>>,
    },
    DryRun {
        id: u64,
        result: Result<(), WriteError>,
    },
    Applied {
        id: u64,
        result: Result<i64, WriteError>,
        history_problem: Option<String>,
        /// How the outcome was known when the write's answer was lost.
        note: Option<String>,
    },
    Audited {
        id: u64,
        problems: Vec<String>,
    },
}
