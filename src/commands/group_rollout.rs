//! `kdeck rollback|canary|promote NAME` on a member of an LLMInferenceService routing group:
//! the same checks in the same order as for InferenceServices — permission for every member
//! the plan changes, server-side dry run of every step, the exact diff, the failing-member
//! guard (exit 9 without --force), confirmation — then each step with its audit trail, and
//! progress followed until `status.router.group` shows it (and a restarted stable member is
//! Ready) before the next step.

use super::change::{self, Followed, Seen, Verdict, fail, read_failure};
use super::figures::MeasureError;
use super::out::{Paint, Styled, errln, outln};
use super::rollout::{Common, exit};
use crate::domain::canary::CanaryThresholds;
use crate::domain::rollout::RolloutAction;
use crate::domain::rollout::group::{
    GroupAction, GroupPlan, GroupStep, evaluate_step, plan_group, rebase,
};
use crate::domain::rollout::group_guard::failing_member;
use crate::sources::kube::connect::Connection;
use crate::sources::kube::llm_write;
use crate::sources::kube::write::Written;
use serde_json::Value;
use std::process::ExitCode;

/// What the group commands take beyond the InferenceService ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupOptions {
    /// `canary --weight W`: the member's proportional weight.
    pub weight: Option<i64>,
    /// `rollback --stop`: stop the member instead of setting its weight to 0.
    pub stop: bool,
}

/// Why a rollout command has no meaning on a routing group member.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupCommandError {
    #[error(
        "members of an LLM routing group take a proportional weight, not a percentage: kdeck \
         canary NAME --weight W (KServe advises starting a canary at 1)"
    )]
    NeedsWeight,
    /// The command's verb (`rollback`, `scale` …).
    #[error("{0} is not available for LLMInferenceService group members")]
    NotForGroups(String),
}

/// The group action a rollout command means on a group member.
pub fn group_action(
    action: &RolloutAction,
    options: GroupOptions,
) -> Result<GroupAction, GroupCommandError> {
    match (action, options.weight) {
        (RolloutAction::Rollback, _) => Ok(GroupAction::Rollback { stop: options.stop }),
        (RolloutAction::Promote, _) => Ok(GroupAction::Promote),
        (RolloutAction::SetCanary { .. }, Some(weight)) => Ok(GroupAction::SetWeight { weight }),
        (RolloutAction::SetCanary { .. }, None) => Err(GroupCommandError::NeedsWeight),
        (other, _) => Err(GroupCommandError::NotForGroups(other.verb())),
    }
}

/// The plan as the confirmation shows it; cluster text made inert by `Styled`.
pub fn plan_lines(plan: &GroupPlan, context: &str, colour: bool) -> Vec<Styled> {
    let line = || Styled::new(colour);
    let mut lines = vec![
        line()
            .paint(Paint::Bold, plan.action.verb())
            .plain(format!(
                " LLMInferenceService {}/{} (routing group {}) in context ",
                plan.namespace, plan.target, plan.group
            ))
            .paint(Paint::Bold, context),
        line()
            .plain(format!("weights: {} -> ", plan.weights_before))
            .paint(Paint::Bold, &plan.weights_after),
    ];
    for w in &plan.warnings {
        lines.push(line().paint(Paint::Red, "warning:").plain(format!(" {w}")));
    }
    for (i, step) in plan.steps.iter().enumerate() {
        lines.push(line().plain(format!(
            "step {}/{}: {}: {}",
            i + 1,
            plan.steps.len(),
            step.member,
            step.explanation
        )));
        lines.extend(change::diff_lines(&step.before, &step.after, 1, colour));
    }
    lines
}

/// Runs a rollout command whose NAME is no InferenceService: on an LLMInferenceService
/// group member it is a group action; otherwise nothing of that name exists.
pub async fn run_for_member(
    connection: &Connection,
    namespace: &str,
    common: &Common,
    action: (&RolloutAction, GroupOptions),
    protected: bool,
    deadline: tokio::time::Instant,
    thresholds: &CanaryThresholds,
) -> ExitCode {
    let checks = (protected, deadline, thresholds);
    match execute(connection, namespace, common, action, checks).await {
        Some(code) => code,
        None => fail(
            exit::FAILED,
            &format!(
                "no InferenceService or LLMInferenceService {namespace}/{}",
                common.name
            ),
        ),
    }
}

/// Checks, confirms and applies a group action on member `name`. Returns None when
/// `name` is no LLMInferenceService of the namespace.
async fn execute(
    connection: &Connection,
    namespace: &str,
    common: &Common,
    action: (&RolloutAction, GroupOptions),
    (protected, deadline, thresholds): (bool, tokio::time::Instant, &CanaryThresholds),
) -> Option<ExitCode> {
    let client = &connection.client;
    let name = &common.name;
    let all = match llm_write::list_llms(client, namespace).await {
        Ok(all) => all,
        Err(e) if e.code == 404 => return None,
        Err(e) => {
            return Some(fail(
                read_failure(&e),
                &format!("{}; nothing was changed", e.message),
            ));
        }
    };
    if !all
        .iter()
        .any(|v| v.pointer("/metadata/name").and_then(Value::as_str) == Some(name.as_str()))
    {
        return None;
    }
    let action = match group_action(action.0, action.1) {
        Ok(a) => a,
        Err(e) => return Some(fail(exit::INVALID, &e.to_string())),
    };
    let plan = match plan_group(&all, name, action) {
        Ok(p) => p,
        Err(e) => return Some(fail(exit::INVALID, &e.to_string())),
    };
    if let Some(code) = check(client, &plan).await {
        return Some(code);
    }
    outln!("dry run: accepted by the API server");
    for line in plan_lines(
        &plan,
        connection.context.as_deref().unwrap_or(""),
        super::colour_stdout(),
    ) {
        line.print();
    }
    let failing = match &plan.raises_failing {
        Some(f) => Some(f.clone()),
        None => measured_failing(client, &plan, thresholds).await,
    };
    if let Some((member, why)) = &failing {
        if common.force {
            errln!(
                "kdeck: warning: {member} is failing ({why}) and gets more traffic (going ahead: --force)"
            );
        } else {
            return Some(fail(
                exit::FAILING_REVISION,
                &format!(
                    "refused: the change sends more traffic to {member}, which is failing ({why}). Roll it back with `kdeck rollback {member}`, or add --force to send it traffic anyway."
                ),
            ));
        }
    }
    let question = change::Question {
        verb: plan.action.verb(),
        noun: "member",
        namespace: &plan.namespace,
        name: &plan.target,
    };
    if let Some(code) = change::confirmed_or_stop(common, &question, protected) {
        return Some(code);
    }
    Some(apply(connection, &plan, deadline).await)
}

/// The vLLM pages of the member's ready model-server pods, each read under the API deadline.
async fn scrape(
    client: &kube::Client,
    namespace: &str,
    member: &str,
) -> Result<Vec<String>, MeasureError> {
    use crate::domain::llm::{POD_NAME_LABEL, POD_PART_OF_LABEL, POD_PART_OF_VALUE};
    let selector = format!("{POD_NAME_LABEL}={member},{POD_PART_OF_LABEL}={POD_PART_OF_VALUE}");
    let scope = crate::domain::scope::NamespaceScope::One(namespace.to_string());
    let list = crate::sources::kube::listing::list_all(
        client,
        crate::domain::kind::Kind::Pod,
        &scope,
        Some(&selector),
    );
    let pods =
        crate::sources::kube::deadline::within(&format!("listing the pods of {member}"), list)
            .await?
            .map_err(|e| MeasureError::listing(&e))?;
    let mut pages = Vec::new();
    for pod in pods.iter().filter_map(|o| serde_json::to_value(o).ok()) {
        let pod = crate::domain::pod::Pod::parse(&pod);
        let Some(target) = crate::domain::llm::pods::vllm_target(&pod) else {
            continue;
        };
        let what = format!("reading the metrics of {}", target.pod.name);
        let read = crate::sources::pod_proxy::get_text(
            client,
            namespace,
            &target.pod.name,
            target.port,
            &target.path,
        );
        match crate::sources::kube::deadline::within(&what, read).await {
            Ok(Ok(text)) => pages.push(text),
            Ok(Err(e)) => tracing::info!("{what}: {e}"),
            Err(e) => tracing::info!("{e}"),
        }
    }
    if pages.is_empty() {
        return Err(MeasureError::NoFigures(format!(
            "no metrics from {member}: none of its vLLM pods answered"
        )));
    }
    Ok(pages)
}

/// The first member the plan sends more traffic to whose figures (one scrape) are worse
/// than its stable member's, with why.
async fn measured_failing(
    client: &kube::Client,
    plan: &GroupPlan,
    thresholds: &CanaryThresholds,
) -> Option<(String, String)> {
    for member in &plan.raised {
        let pages = match scrape(client, &plan.namespace, member).await {
            Ok(p) => p,
            Err(e) => {
                errln!("kdeck: could not measure {member}, which gets more traffic: {e}");
                continue;
            }
        };
        let stable = match plan.stable_for(member) {
            Some(s) => scrape(client, &plan.namespace, s).await.ok(),
            None => None,
        };
        if let Some(why) = failing_member(thresholds, &pages, stable.as_deref()) {
            let against = plan
                .stable_for(member)
                .map(|s| format!(", measured against {s}"))
                .unwrap_or_default();
            return Some((
                member.clone(),
                format!("{why}{against}, from one scrape of its pods"),
            ));
        }
    }
    None
}

/// Permission for every member changed, then the server's dry run of every step.
async fn check(client: &kube::Client, plan: &GroupPlan) -> Option<ExitCode> {
    let ns = plan.namespace.as_str();
    let written = Written::LlmInferenceService;
    for step in &plan.steps {
        if let Err(code) = change::check_permission(client, written, ns, &step.member).await {
            return Some(code);
        }
    }
    for step in &plan.steps {
        let member = step.member.as_str();
        let of = Some(member);
        if let Err(code) = change::dry_run(client, written, (ns, member), &step.patch, of).await {
            return Some(code);
        }
    }
    None
}

/// Applies the steps in order, each followed until the group status shows it.
async fn apply(
    connection: &Connection,
    plan: &GroupPlan,
    deadline: tokio::time::Instant,
) -> ExitCode {
    let client = &connection.client;
    let context = connection.context.clone().unwrap_or_default();
    let author = |at| llm_write::Author {
        at,
        user: &connection.user,
        context: &context,
    };
    let mut undo = Some(llm_write::undo_point(plan, &author(chrono::Utc::now())));
    for (i, planned) in plan.steps.iter().enumerate() {
        let earlier = if i > 0 {
            format!(" (steps 1-{i} were applied)")
        } else {
            String::new()
        };
        let step = if i == 0 {
            planned.clone()
        } else {
            match llm_write::get_llm(client, &plan.namespace, &planned.member).await {
                Ok(raw) => match rebase(planned, &raw) {
                    Ok(step) => step,
                    Err(e) => return fail(exit::CONFLICT, &format!("{e}{earlier}")),
                },
                Err(e) => {
                    return fail(
                        read_failure(&e),
                        &format!("{}; the remaining steps were not sent{earlier}", e.message),
                    );
                }
            }
        };
        let step = &step;
        let intent = llm_write::step_intent(plan, i, step, &author(chrono::Utc::now()));
        let report = llm_write::apply_step(client, &step.patch, &intent, undo.take()).await;
        let steps = plan.steps.len();
        let told = change::Told {
            name: &step.member,
            resource_version: &step.resource_version,
            earlier: &earlier,
            applied: &|generation| {
                format!(
                    "applied step {}/{steps} on {}: generation {generation}",
                    i + 1,
                    step.member
                )
            },
            audit: &format!("audit: event written on {}", step.member),
        };
        let (generation, object) = match change::written(report, &told) {
            Ok(applied) => applied,
            Err(code) => return code,
        };
        if let Err(code) = follow(client, &plan.namespace, step, generation, object, deadline).await
        {
            return code;
        }
    }
    outln!("done: weights {}", plan.weights_after);
    ExitCode::SUCCESS
}

/// Follows the member until the step's goal shows in its status, or the deadline passes
/// (exit 1: applied, not done).
async fn follow(
    client: &kube::Client,
    namespace: &str,
    step: &GroupStep,
    generation: i64,
    object: Value,
    deadline: tokio::time::Instant,
) -> Result<(), ExitCode> {
    let followed = Followed {
        written: Written::LlmInferenceService,
        namespace,
        name: &step.member,
        object,
        deadline,
    };
    let late = |last: &str| {
        format!(
            "applied, but {} did not show it before the deadline; last step done: {last}",
            step.member
        )
    };
    change::follow(client, followed, late, |value| {
        let progress = evaluate_step(&step.goal, value, generation);
        Seen {
            steps: progress.steps,
            verdict: if progress.done {
                Verdict::Done(None)
            } else {
                Verdict::Pending
            },
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollout_commands_map_to_group_actions() {
        let opts = GroupOptions {
            weight: None,
            stop: true,
        };
        assert_eq!(
            group_action(&RolloutAction::Rollback, opts),
            Ok(GroupAction::Rollback { stop: true })
        );
        assert_eq!(
            group_action(
                &RolloutAction::SetCanary { percent: 10 },
                GroupOptions::default()
            ),
            Err(GroupCommandError::NeedsWeight)
        );
        assert_eq!(
            group_action(
                &RolloutAction::Scale {
                    min: Some(1),
                    max: None
                },
                GroupOptions::default()
            ),
            Err(GroupCommandError::NotForGroups(
                RolloutAction::Scale {
                    min: Some(1),
                    max: None
                }
                .verb()
            ))
        );
        let opts = GroupOptions {
            weight: Some(1),
            stop: false,
        };
        assert_eq!(
            group_action(&RolloutAction::SetCanary { percent: 0 }, opts),
            Ok(GroupAction::SetWeight { weight: 1 })
        );
    }

    #[test]
    fn group_command_errors_say_what_to_type_instead() {
        assert_eq!(
            GroupCommandError::NeedsWeight.to_string(),
            "members of an LLM routing group take a proportional weight, not a percentage: \
             kdeck canary NAME --weight W (KServe advises starting a canary at 1)"
        );
        assert_eq!(
            GroupCommandError::NotForGroups("scale".into()).to_string(),
            "scale is not available for LLMInferenceService group members"
        );
    }
}
