//! A rollout in progress in the console: the plan, where it stands in the safety sequence
//! (history → permission → dry run → confirmation → apply → follow), and how it ended.

use super::line::LineInput;
use crate::domain::key::ObjectKey;
use crate::domain::rollout::progress::Progress;
use crate::domain::rollout::{Plan, RolloutAction};
use chrono::{DateTime, Utc};

/// Where the flow stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    LoadingHistory,
    Permission,
    DryRun,
    /// Waiting for the user. `yes` is the highlighted button (destructive actions start on
    /// "no"); `typed` collects the service name in protected contexts.
    Confirm {
        yes: bool,
        typed: LineInput,
    },
    Applying,
    Following {
        generation: i64,
        deadline: DateTime<Utc>,
        progress: Option<Progress>,
    },
    Finished(Finish),
}

/// How the flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Done(String),
    Failed(String),
    Forbidden(String),
    Rejected(String),
    Conflict(String),
    Cancelled,
    TimedOut(String),
}

impl Finish {
    pub fn is_success(&self) -> bool {
        matches!(self, Finish::Done(_))
    }
}

/// The rollout shown in the dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutFlow {
    pub id: u64,
    pub key: ObjectKey,
    pub action: RolloutAction,
    pub plan: Option<Plan>,
    pub stage: Stage,
    pub started: DateTime<Utc>,
    /// Typing the service name is required to confirm (protected context).
    pub protected: bool,
    /// The change sends more traffic to a revision known to be failing: said in red, and
    /// confirmed by typing the service name or "yes".
    pub warning: Option<String>,
    /// Started by the guard with auto-rollback on: no confirmation.
    pub automatic: bool,
    /// Steps done so far, for the dialog: (label, detail).
    pub done: Vec<(String, String)>,
    /// Notes that do not stop the flow (history not kept, audit failed).
    pub notes: Vec<String>,
    pub hidden: bool,
}

/// What the prompt line is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    CanaryPercent,
    NewVersionUri,
    NewVersionPercent {
        storage_uri: String,
    },
    Scale,
    /// The proportional weight of an LLMInferenceService routing-group member.
    GroupWeight,
}

impl PromptKind {
    pub fn question(&self) -> &'static str {
        match self {
            PromptKind::CanaryPercent => "canary % (0-100): ",
            PromptKind::NewVersionUri => "new storageUri: ",
            PromptKind::NewVersionPercent { .. } => "canary % for the new version (0-100): ",
            PromptKind::Scale => "replicas MIN MAX (- keeps one): ",
            PromptKind::GroupWeight => "group weight (0 or more; KServe advises 1 to start): ",
        }
    }
}

/// A question on the status line for a rollout action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub key: ObjectKey,
    pub input: LineInput,
}
