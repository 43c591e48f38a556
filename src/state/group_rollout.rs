//! A group change in progress in the console on an LLMInferenceService routing group: the
//! plan (domain/rollout/group.rs), where it stands (confirmation → each step applied and
//! followed until `status.router.group` agrees), and how it ended.

use super::line::LineInput;
use super::rollout::Finish;
use crate::domain::rollout::group::GroupPlan;
use chrono::{DateTime, Utc};

/// Where the group flow stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupStage {
    /// Permission for every member the plan changes, then the server's dry run of every
    /// step (sources), before anything is asked.
    Checking,
    /// Waiting for the user; `yes` is the highlighted button (starts on "no").
    Confirm {
        yes: bool,
    },
    /// Step `step` (0-based) was sent; waiting for the server's answer.
    Applying {
        step: usize,
    },
    /// Step `step` applied with `generation`; waiting for the watched status to agree.
    Following {
        step: usize,
        generation: i64,
        deadline: DateTime<Utc>,
    },
    Finished(Finish),
}

/// The group change shown in the dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFlow {
    pub id: u64,
    pub plan: GroupPlan,
    pub stage: GroupStage,
    /// What is done so far, for the dialog.
    pub done: Vec<String>,
    /// The member's name as typed, when confirming needs it (protected context, or the
    /// change sends traffic to a failing member).
    pub typed: LineInput,
    pub protected: bool,
}

impl GroupFlow {
    /// Whether confirming takes typing the member's name: a protected context, a failing
    /// (not Ready) member that gets more traffic, or the chosen member itself getting more
    /// traffic — the console has no verdict on an LLM member's figures (the headless
    /// commands measure them from one scrape), so sending it more is never one key.
    pub fn needs_typed_confirmation(&self) -> bool {
        self.protected
            || self.plan.raises_failing.is_some()
            || self.plan.raised.contains(&self.plan.target)
    }
}
