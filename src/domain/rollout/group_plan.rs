//! The plan for a change to one member of an LLMInferenceService routing group, made by
//! action: set its weight, promote it, roll it back, or restore kdeck's recorded weights.
//! Each action adds its steps (one JSON merge patch on one member each) to a draft that
//! keeps the group's states before and after; the plan then says which members' share
//! of traffic rises (the ones the failing-member guard checks).

use super::group::{
    GroupAction, GroupPlan, GroupPlanError, GroupStep, Member, MemberState, StepGoal, members_of,
    routing_view, weights_label,
};
use crate::domain::isvc::STOP_ANNOTATION;
use serde_json::{Value, json};

/// Builds the plan for `action` on member `target` of its group; `all` holds the
/// LLMInferenceServices of the namespace (the group's members are picked from them).
pub fn plan_group(
    all: &[Value],
    target: &str,
    action: GroupAction,
) -> Result<GroupPlan, GroupPlanError> {
    let raw = all
        .iter()
        .find(|v| v.pointer("/metadata/name").and_then(Value::as_str) == Some(target))
        .ok_or_else(|| GroupPlanError::NoSuchService(target.to_string()))?;
    let me = Member::parse(raw);
    let group = me
        .group
        .clone()
        .ok_or_else(|| GroupPlanError::NotInGroup(target.to_string()))?;
    let members: Vec<Member> = members_of(all, &group)
        .into_iter()
        .map(Member::parse)
        .collect();
    let mut draft = Draft::new(&members, &group);
    match &action {
        GroupAction::SetWeight { weight } => draft.set_weight(&me, *weight)?,
        GroupAction::Promote => draft.promote(&me)?,
        GroupAction::Rollback { stop } => draft.roll_back(&me, *stop)?,
        GroupAction::Restore { before: wanted, .. } => draft.restore(wanted)?,
    }
    Ok(draft.finish(&me, target, action))
}

/// The plan as it is being made: the group before, the group after the steps so far.
struct Draft<'a> {
    members: &'a [Member],
    group: &'a str,
    before: Vec<MemberState>,
    after: Vec<MemberState>,
    steps: Vec<GroupStep>,
    warnings: Vec<String>,
}

impl<'a> Draft<'a> {
    fn new(members: &'a [Member], group: &'a str) -> Self {
        let before: Vec<MemberState> = members.iter().map(MemberState::of).collect();
        Draft {
            members,
            group,
            after: before.clone(),
            before,
            steps: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Adds the step that takes `member` to `to` (waiting for Ready when `ready`).
    fn add(&mut self, member: &Member, to: &MemberState, ready: bool, explanation: String) {
        self.steps.push(step(member, to, ready, explanation));
        if let Some(s) = self.after.iter_mut().find(|s| s.name == to.name) {
            *s = to.clone();
        }
    }

    /// The members other than `me`.
    fn others(&self, me: &Member) -> Vec<&'a Member> {
        self.members.iter().filter(|m| m.name != me.name).collect()
    }

    /// `canary --weight W`: one step on the member (restarting it when stopped).
    fn set_weight(&mut self, me: &Member, weight: i64) -> Result<(), GroupPlanError> {
        let (target, group) = (me.name.as_str(), self.group);
        if weight < 0 {
            return Err(GroupPlanError::NegativeWeight(weight));
        }
        let to = MemberState {
            name: me.name.clone(),
            weight: Some(weight),
            stopped: false,
        };
        if to == MemberState::of(me) {
            return Err(GroupPlanError::AlreadyThatWeight {
                target: target.to_string(),
                weight,
            });
        }
        if me.serving_weight() == 0 && weight > 0 {
            self.warnings.push(format!(
                "raising {target} from weight 0 can cause transient connection failures while the route changes; KServe advises starting a canary at weight 1"
            ));
        }
        let restart = if me.stopped {
            format!(" and removes its stop annotation ({target} starts again and must be Ready)")
        } else {
            String::new()
        };
        let what = format!("Sets {target}'s weight to {weight}{restart}.");
        self.add(me, &to, me.stopped, what);
        if self
            .after
            .iter()
            .all(|s| s.stopped || s.weight.unwrap_or(0) <= 0)
        {
            return Err(GroupPlanError::NoneWouldServe {
                weight,
                group: group.to_string(),
            });
        }
        Ok(())
    }

    /// `promote`: stops every other running member.
    fn promote(&mut self, me: &Member) -> Result<(), GroupPlanError> {
        let (target, group) = (me.name.as_str(), self.group);
        if me.serving_weight() == 0 {
            return Err(GroupPlanError::PromoteWithoutTraffic(target.to_string()));
        }
        let running: Vec<&Member> = self.others(me).into_iter().filter(|m| !m.stopped).collect();
        if running.is_empty() {
            return Err(GroupPlanError::OnlyRunningMember {
                target: target.to_string(),
                group: group.to_string(),
            });
        }
        for m in running {
            let to = MemberState {
                stopped: true,
                ..MemberState::of(m)
            };
            let what = format!(
                "Stops {} (annotation {STOP_ANNOTATION}=true): it scales to zero and stays in group {group}, so a rollback can start it again.",
                m.name
            );
            self.add(m, &to, false, what);
        }
        Ok(())
    }

    /// `rollback [--stop]`: a stopped stable member started (and Ready) first when no other
    /// member serves, then the member's weight to 0 (or the member stopped).
    fn roll_back(&mut self, me: &Member, stop: bool) -> Result<(), GroupPlanError> {
        let target = me.name.as_str();
        if me.serving_weight() == 0 && (me.stopped || !stop) {
            return Err(GroupPlanError::AlreadyRolledBack {
                target: target.to_string(),
                weight: me.weight.unwrap_or(0),
                stopped: if me.stopped { ", stopped" } else { "" },
            });
        }
        if !self.others(me).iter().any(|m| m.serving_weight() > 0) {
            self.start_stable(me)?;
        }
        let (to, what) = if stop {
            let to = MemberState {
                stopped: true,
                ..MemberState::of(me)
            };
            (
                to,
                format!("Stops {target} (it scales to zero and stays in the group)."),
            )
        } else {
            let to = MemberState {
                weight: Some(0),
                ..MemberState::of(me)
            };
            (
                to,
                format!("Sets {target}'s weight to 0: it stays deployed and takes no traffic."),
            )
        };
        self.add(me, &to, false, what);
        Ok(())
    }

    /// Starts the stopped members with a weight, to take the traffic a rollback moves.
    fn start_stable(&mut self, me: &Member) -> Result<(), GroupPlanError> {
        let stable: Vec<&Member> = self
            .others(me)
            .into_iter()
            .filter(|m| m.stopped && m.weight.unwrap_or(0) > 0)
            .collect();
        if stable.is_empty() {
            return Err(GroupPlanError::NoStableMember(self.group.to_string()));
        }
        for m in stable {
            let to = MemberState {
                stopped: false,
                ..MemberState::of(m)
            };
            let what = format!(
                "First starts the stable member {} again (removes its stop annotation) and waits until it is Ready.",
                m.name
            );
            self.add(m, &to, true, what);
        }
        Ok(())
    }

    /// Undo: puts back the recorded states, starting members first.
    fn restore(&mut self, wanted: &[MemberState]) -> Result<(), GroupPlanError> {
        for want in wanted {
            let Some(m) = self.members.iter().find(|m| m.name == want.name) else {
                self.warnings.push(format!(
                    "{} is no longer in group {}: left as it is",
                    want.name, self.group
                ));
                continue;
            };
            if MemberState::of(m) == *want {
                continue;
            }
            let restart = m.stopped && !want.stopped;
            self.add(m, want, restart, format!("Puts back {}.", want.label()));
        }
        if self.steps.is_empty() {
            return Err(GroupPlanError::AlreadyRestored);
        }
        // Starting members first, so traffic never lands on a member still coming up.
        self.steps.sort_by_key(|s| !s.goal.ready);
        Ok(())
    }

    /// The plan: the draft's steps, and the members whose share rises without a wait for
    /// Ready (the first of them already failing, if any).
    fn finish(self, me: &Member, target: &str, action: GroupAction) -> GroupPlan {
        let raised: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| share(&self.after, &m.name) > share(&self.before, &m.name))
            .filter(|m| {
                !self
                    .steps
                    .iter()
                    .any(|s| s.member == m.name && s.goal.ready)
            })
            .collect();
        let raises_failing = raised.iter().find_map(|m| {
            m.ready
                .as_ref()
                .err()
                .map(|why| (m.name.clone(), why.to_string()))
        });
        let raised = raised.iter().map(|m| m.name.clone()).collect();
        GroupPlan {
            namespace: me.namespace.clone(),
            group: self.group.to_string(),
            target: target.to_string(),
            weights_before: weights_label(&self.before),
            weights_after: weights_label(&self.after),
            before: self.before,
            action,
            steps: self.steps,
            warnings: self.warnings,
            raises_failing,
            raised,
        }
    }
}

/// The member's share of the group's traffic.
fn share(states: &[MemberState], name: &str) -> f64 {
    let w = |s: &MemberState| {
        if s.stopped {
            0
        } else {
            s.weight.unwrap_or(0).max(0)
        }
    };
    let total: i64 = states.iter().map(w).sum();
    let mine = states.iter().find(|s| s.name == name).map(w).unwrap_or(0);
    if total == 0 {
        0.0
    } else {
        mine as f64 / total as f64
    }
}

/// The step that takes `member` from its state to `to`.
fn step(member: &Member, to: &MemberState, ready: bool, explanation: String) -> GroupStep {
    let from = MemberState::of(member);
    let mut patch = json!({"metadata": {"resourceVersion": member.resource_version}});
    if from.stopped != to.stopped {
        patch["metadata"]["annotations"] =
            json!({STOP_ANNOTATION: if to.stopped { json!("true") } else { Value::Null }});
    }
    if from.weight != to.weight {
        patch["spec"] = json!({"router": {"route": {"weight": to.weight}}});
    }
    GroupStep {
        member: member.name.clone(),
        uid: member.uid.clone(),
        resource_version: member.resource_version.clone(),
        patch,
        before: routing_view(&from),
        after: routing_view(to),
        goal: StepGoal {
            member: member.name.clone(),
            weight: to.weight,
            stopped: to.stopped,
            ready,
        },
        explanation,
    }
}
