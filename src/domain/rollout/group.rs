//! Group canaries of LLMInferenceServices as data: the members of a routing group read from
//! their raw objects, and the plan for a change to one member — set its weight, promote it
//! (stop the old members), roll it back (weight 0, or stopped by choice; a stopped stable
//! member restarted and Ready first), or undo kdeck's last change — as ordered steps, each
//! a JSON merge patch on one member plus what the watched status must show before the next.
//!
//! KServe semantics (kserve/website, llmisvc/canary-rollout.md): members share
//! `spec.router.route.group` (the webhook labels them `serving.kserve.io/routing-group`) and
//! split traffic by proportional `spec.router.route.weight`; the annotation
//! `serving.kserve.io/stop: "true"` scales a member to zero while it stays in the group
//! (`status.router.group.members[].stopped`). Raising a member from weight 0 can cause
//! transient connection failures, so KServe advises starting canaries at 1.

use crate::domain::isvc::STOP_ANNOTATION;
use serde_json::{Value, json};

/// The label the webhook puts on every member of a routing group.
pub const GROUP_LABEL: &str = "serving.kserve.io/routing-group";

/// One member of a routing group as its own object says.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub resource_version: String,
    pub generation: i64,
    pub group: Option<String>,
    /// `spec.router.route.weight` (KServe's default when unset is 1... we keep None).
    pub weight: Option<i64>,
    pub stopped: bool,
    /// Ready condition: `Ok(())` when True, else the reason and message.
    pub ready: Result<(), NotReady>,
}

impl Member {
    /// Reads a member from its LLMInferenceService JSON.
    pub fn parse(raw: &Value) -> Member {
        let s = |p: &str| raw.pointer(p).and_then(Value::as_str).unwrap_or_default();
        let group = raw
            .pointer("/spec/router/route/group")
            .and_then(Value::as_str)
            .or_else(|| {
                raw.pointer("/metadata/labels")
                    .and_then(|l| l.get(GROUP_LABEL))
                    .and_then(Value::as_str)
            })
            .map(str::to_string);
        let stopped = raw
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(STOP_ANNOTATION))
            .and_then(Value::as_str)
            == Some("true");
        Member {
            name: s("/metadata/name").to_string(),
            namespace: s("/metadata/namespace").to_string(),
            uid: s("/metadata/uid").to_string(),
            resource_version: s("/metadata/resourceVersion").to_string(),
            generation: raw
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            group,
            weight: raw
                .pointer("/spec/router/route/weight")
                .and_then(Value::as_i64),
            stopped,
            ready: readiness(raw),
        }
    }

    /// The weight that counts for traffic: 0 when stopped or unset.
    pub fn serving_weight(&self) -> i64 {
        if self.stopped {
            0
        } else {
            self.weight.unwrap_or(0).max(0)
        }
    }
}

/// Why an LLMInferenceService is not Ready, as its Ready condition says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    #[error("no Ready condition yet")]
    NoCondition,
    #[error("not Ready{}", condition_words(reason, message))]
    Condition { reason: String, message: String },
}

/// ` (reason): message`, leaving out what the condition does not say.
fn condition_words(reason: &str, message: &str) -> String {
    match (reason, message) {
        ("", "") => String::new(),
        (r, "") => format!(" ({r})"),
        ("", m) => format!(": {m}"),
        (r, m) => format!(" ({r}): {m}"),
    }
}

/// The Ready condition of an LLMInferenceService: Ok when True, else why not.
pub fn readiness(raw: &Value) -> Result<(), NotReady> {
    let ready = raw
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| {
            c.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        });
    let Some(ready) = ready else {
        return Err(NotReady::NoCondition);
    };
    if ready.get("status").and_then(Value::as_str) == Some("True") {
        return Ok(());
    }
    let field = |k: &str| {
        ready
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Err(NotReady::Condition {
        reason: field("reason"),
        message: field("message"),
    })
}

/// The objects among `all` that belong to `group`, in name order.
pub fn members_of<'a>(all: &'a [Value], group: &str) -> Vec<&'a Value> {
    let mut out: Vec<&Value> = all
        .iter()
        .filter(|v| Member::parse(v).group.as_deref() == Some(group))
        .collect();
    out.sort_by_key(|v| Member::parse(v).name);
    out
}

/// A change the user can ask for on one member of a group.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupAction {
    /// Set the member's weight (a stopped member is started again).
    SetWeight { weight: i64 },
    /// The member takes all traffic: the other members get the stop annotation.
    Promote,
    /// The member takes no more traffic: weight 0, or stopped when `stop`.
    Rollback { stop: bool },
    /// Put back the members' weights and stop annotations recorded before a change.
    Restore {
        before: Vec<MemberState>,
        label: String,
    },
}

impl GroupAction {
    /// A short verb for titles, audit lines and events.
    pub fn verb(&self) -> String {
        match self {
            GroupAction::SetWeight { weight } => format!("weight {weight}"),
            GroupAction::Promote => "promote".to_string(),
            GroupAction::Rollback { stop: false } => "rollback".to_string(),
            GroupAction::Rollback { stop: true } => "rollback (stop)".to_string(),
            GroupAction::Restore { label, .. } => format!("restore {label}"),
        }
    }

    /// The Kubernetes Event reason recorded for it.
    pub fn event_reason(&self) -> &'static str {
        match self {
            GroupAction::SetWeight { .. } => "KdeckGroupWeight",
            GroupAction::Promote => "KdeckGroupPromote",
            GroupAction::Rollback { .. } => "KdeckGroupRollback",
            GroupAction::Restore { .. } => "KdeckGroupRestore",
        }
    }
}

/// A member's routing settings: what a change replaces and an undo puts back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberState {
    pub name: String,
    pub weight: Option<i64>,
    pub stopped: bool,
}

impl MemberState {
    pub(super) fn of(m: &Member) -> MemberState {
        MemberState {
            name: m.name.clone(),
            weight: m.weight,
            stopped: m.stopped,
        }
    }

    pub(super) fn label(&self) -> String {
        let w = self.weight.map_or("–".to_string(), |w| w.to_string());
        if self.stopped {
            format!("{} {w} stopped", self.name)
        } else {
            format!("{} {w}", self.name)
        }
    }
}

/// What the watched status must show after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepGoal {
    pub member: String,
    /// `status.router.group.members[]` shows this weight (None: not checked).
    pub weight: Option<i64>,
    /// `status.router.group.members[]` shows stopped (or not).
    pub stopped: bool,
    /// The member itself must be Ready (a restarted stable member before traffic moves).
    pub ready: bool,
}

/// One write: a merge patch on one member, then a wait.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStep {
    pub member: String,
    pub uid: String,
    pub resource_version: String,
    pub patch: Value,
    /// The member's routing settings before and after, for the diff.
    pub before: Value,
    pub after: Value,
    pub goal: StepGoal,
    pub explanation: String,
}

/// Everything the confirmation shows and the apply steps send.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPlan {
    pub action: GroupAction,
    pub namespace: String,
    pub group: String,
    /// The member the user chose.
    pub target: String,
    pub steps: Vec<GroupStep>,
    pub weights_before: String,
    pub weights_after: String,
    /// Every member's settings before: the undo point.
    pub before: Vec<MemberState>,
    pub warnings: Vec<String>,
    /// A member whose share of traffic rises and that is failing (not Ready): the change
    /// needs typed confirmation (console) or --force (headless).
    pub raises_failing: Option<(String, String)>,
    /// Members whose share of traffic rises without a wait for Ready first: the ones whose
    /// figures the guard checks.
    pub raised: Vec<String>,
}

impl GroupPlan {
    /// The member `member` is compared with: the other member that served the most before.
    pub fn stable_for(&self, member: &str) -> Option<&str> {
        self.before
            .iter()
            .filter(|s| s.name != member && !s.stopped)
            .filter(|s| s.weight.unwrap_or(0) > 0)
            .max_by_key(|s| s.weight.unwrap_or(0))
            .map(|s| s.name.as_str())
    }
}

/// The split as "a 9 (90%) · b 1 (10%)"; stopped members say so.
pub fn weights_label(states: &[MemberState]) -> String {
    let total: i64 = states
        .iter()
        .filter(|s| !s.stopped)
        .map(|s| s.weight.unwrap_or(0).max(0))
        .sum();
    states
        .iter()
        .map(|s| {
            let w = if s.stopped {
                0
            } else {
                s.weight.unwrap_or(0).max(0)
            };
            let share = if total > 0 { w * 100 / total } else { 0 };
            if s.stopped {
                format!("{} (stopped)", s.label())
            } else {
                format!("{} ({share}%)", s.label())
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What a member's routing looks like in its object (the diff's before and after).
pub(super) fn routing_view(state: &MemberState) -> Value {
    let route = json!({"router": {"route": {"weight": state.weight}}});
    if state.stopped {
        json!({"metadata": {"annotations": {STOP_ANNOTATION: "true"}}, "spec": route})
    } else {
        json!({"spec": route})
    }
}

/// Why a group change cannot be planned (or a later step no longer fits), in the user's
/// words: what stands in the way and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupPlanError {
    #[error("no LLMInferenceService {0}")]
    NoSuchService(String),
    #[error(
        "{0} is in no routing group (spec.router.route.group is not set): there is no canary to change"
    )]
    NotInGroup(String),
    #[error("a weight is 0 or more, not {0}")]
    NegativeWeight(i64),
    #[error("{target} already has weight {weight}")]
    AlreadyThatWeight { target: String, weight: i64 },
    #[error("weight {weight} would leave group {group} with no member taking traffic")]
    NoneWouldServe { weight: i64, group: String },
    #[error("{0} takes no traffic (weight 0 or stopped): give it a weight first, then promote")]
    PromoteWithoutTraffic(String),
    #[error("nothing to promote: {target} is the only running member of group {group}")]
    OnlyRunningMember { target: String, group: String },
    #[error("already rolled back: {target} takes no traffic (weight {weight}{stopped})")]
    AlreadyRolledBack {
        target: String,
        weight: i64,
        /// ", stopped" when the member is stopped too.
        stopped: &'static str,
    },
    #[error(
        "no other member of group {0} could take the traffic (none has a weight above 0): set one's weight first"
    )]
    NoStableMember(String),
    #[error("this would change nothing: the group already shows the recorded weights")]
    AlreadyRestored,
    /// A later step's member no longer shows what the plan saw.
    #[error(
        "{member} changed since the plan was made (now {now}); the remaining steps were not sent — run again to see the new state"
    )]
    ChangedSincePlanned { member: String, now: String },
}

/// A later step of a plan, made again against the member as read just before it is sent:
/// the controller rewrites a member's status (and so its resourceVersion) while an earlier
/// step is waited for, so the precondition moves to the resourceVersion read now — but
/// only when the member's weight and stop annotation are still as planned. Otherwise
/// someone else changed them meanwhile, and the step is refused (Err says what changed).
pub fn rebase(step: &GroupStep, raw: &Value) -> Result<GroupStep, GroupPlanError> {
    let now = Member::parse(raw);
    let shown = routing_view(&MemberState::of(&now));
    if shown != step.before {
        return Err(GroupPlanError::ChangedSincePlanned {
            member: step.member.clone(),
            now: MemberState::of(&now).label(),
        });
    }
    let mut rebased = step.clone();
    rebased.patch["metadata"]["resourceVersion"] = json!(now.resource_version);
    rebased.resource_version = now.resource_version;
    Ok(rebased)
}

pub use super::group_plan::plan_group;

/// How far a step has got, from the member as watched now and the group status it (or
/// any member) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepProgress {
    pub steps: Vec<(String, bool)>,
    pub done: bool,
}

/// Evaluates a step's goal against the member's object as watched now. `applied_generation`
/// is the generation its patch produced.
pub fn evaluate_step(goal: &StepGoal, raw: &Value, applied_generation: i64) -> StepProgress {
    let observed = raw
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64)
        .is_some_and(|g| g >= applied_generation);
    let entry = raw
        .pointer("/status/router/group/members")
        .and_then(Value::as_array)
        .and_then(|ms| {
            ms.iter()
                .find(|m| m.get("name").and_then(Value::as_str) == Some(goal.member.as_str()))
        });
    let shown_weight = entry.and_then(|e| e.get("weight")).and_then(Value::as_i64);
    let shown_stopped = entry
        .and_then(|e| e.get("stopped"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let weight_ok = goal.weight.is_none() || shown_weight == goal.weight;
    let group_ok = entry.is_some() && weight_ok && shown_stopped == goal.stopped;
    let now = match (entry, shown_weight) {
        (None, _) => "not listed yet".to_string(),
        (Some(_), w) => format!(
            "weight {}{}",
            w.map_or("–".to_string(), |w| w.to_string()),
            if shown_stopped { ", stopped" } else { "" }
        ),
    };
    let want = format!(
        "weight {}{}",
        goal.weight.map_or("–".to_string(), |w| w.to_string()),
        if goal.stopped { ", stopped" } else { "" }
    );
    let mut steps = vec![
        ("controller saw the change".to_string(), observed),
        (
            format!("group status shows {} at {want} (now {now})", goal.member),
            observed && group_ok,
        ),
    ];
    let mut done = observed && group_ok;
    if goal.ready {
        let ready = readiness(raw).is_ok();
        steps.push((format!("{} is Ready", goal.member), observed && ready));
        done = done && ready;
    }
    StepProgress { steps, done }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
