//! `kdeck rollback|canary|promote NAME` on a member of an LLMInferenceService routing group:
//! the same checks in the same order as for InferenceServices — permission for every member
//! the plan changes, server-side dry run of every step, the exact diff, the failing-member
//! guard (exit 9 without --force), confirmation — then each step with its audit trail, and
//! progress followed until `status.router.group` shows it (and a restarted stable member is
//! Ready) before the next step.

use super::out::{self, Paint, Styled, errln, outln};
use super::rollout::{Common, exit};
use crate::domain::canary::CanaryThresholds;
use crate::domain::rollout::RolloutAction;
use crate::domain::rollout::diff;
use crate::domain::rollout::group::{
    GroupAction, GroupPlan, GroupStep, evaluate_step, plan_group, rebase,
};
use crate::domain::rollout::group_guard::failing_member;
use crate::domain::rollout::history::HistoryEntry;
use crate::sources::kube::actions::{self, AuditRecord};
use crate::sources::kube::connect::Connection;
use crate::sources::kube::llm_write;
use crate::sources::kube::write::WriteOutcome;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use serde_json::{Value, json};
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

/// What the group commands take beyond the InferenceService ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupOptions {
    /// `canary --weight W`: the member's proportional weight.
    pub weight: Option<i64>,
    /// `rollback --stop`: stop the member instead of setting its weight to 0.
    pub stop: bool,
}

/// The group action a rollout command means on a group member.
pub fn group_action(action: &RolloutAction, options: GroupOptions) -> Result<GroupAction, String> {
    match (action, options.weight) {
        (RolloutAction::Rollback, _) => Ok(GroupAction::Rollback { stop: options.stop }),
        (RolloutAction::Promote, _) => Ok(GroupAction::Promote),
        (RolloutAction::SetCanary { .. }, Some(weight)) => Ok(GroupAction::SetWeight { weight }),
        (RolloutAction::SetCanary { .. }, None) => Err(
            "members of an LLM routing group take a proportional weight, not a percentage: kdeck canary NAME --weight W (KServe advises starting a canary at 1)"
                .to_string(),
        ),
        (other, _) => Err(format!(
            "{} is not available for LLMInferenceService group members",
            other.verb()
        )),
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    errln!("kdeck: {message}");
    ExitCode::from(code)
}

fn read_failure(e: &actions::WriteError) -> u8 {
    if e.is_timed_out() {
        exit::TIMED_OUT
    } else {
        exit::ERROR
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
        for diff_line in diff::yaml_diff(&step.before, &step.after, 1) {
            lines.push(match diff_line {
                diff::DiffLine::Same(t) => line().plain(format!("  {t}")),
                diff::DiffLine::Added(t) => line().paint(Paint::Green, format!("+ {t}")),
                diff::DiffLine::Removed(t) => line().paint(Paint::Red, format!("- {t}")),
                diff::DiffLine::Gap(_) => line().plain("  …"),
            });
        }
    }
    lines
}

fn confirm(plan: &GroupPlan, protected: bool) -> bool {
    let question = if protected {
        format!(
            "Protected context: type the member name ({}) to apply, anything else cancels: ",
            plan.target
        )
    } else {
        format!(
            "Apply {} to {}/{}? [y/N] ",
            plan.action.verb(),
            plan.namespace,
            plan.target
        )
    };
    out::prompt(question);
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    let answer = answer.trim();
    if protected {
        answer == plan.target
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
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
        Err(e) => return Some(fail(exit::INVALID, &e)),
    };
    let plan = match plan_group(&all, name, action) {
        Ok(p) => p,
        Err(e) => return Some(fail(exit::INVALID, &e)),
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
    if common.dry_run {
        outln!("dry run only: nothing was changed");
        return Some(ExitCode::SUCCESS);
    }
    if !common.yes {
        if !std::io::stdin().is_terminal() {
            return Some(fail(
                exit::FAILED,
                "refusing to change the cluster without --yes when stdin is not a terminal",
            ));
        }
        if !confirm(&plan, protected) {
            return Some(fail(exit::FAILED, "not confirmed; nothing was changed"));
        }
    }
    Some(apply(connection, &plan, deadline).await)
}

/// The vLLM pages of the member's ready model-server pods, each read under the API deadline.
async fn scrape(
    client: &kube::Client,
    namespace: &str,
    member: &str,
) -> Result<Vec<String>, String> {
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
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| crate::sources::kube::errors::describe(&e))?;
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
        return Err(format!(
            "no metrics from {member}: none of its vLLM pods answered"
        ));
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
    for step in &plan.steps {
        let member = step.member.as_str();
        match actions::can_i(
            client,
            "patch",
            "serving.kserve.io",
            "llminferenceservices",
            ns,
            member,
        )
        .await
        {
            Ok((true, _)) => {
                outln!("permission: patch llminferenceservices/{member} in {ns} allowed")
            }
            Ok((false, reason)) => {
                return Some(fail(exit::FORBIDDEN, &format!("forbidden: {reason}")));
            }
            Err(e) => {
                let code = if matches!(e, actions::CallError::TimedOut(_)) {
                    exit::TIMED_OUT
                } else {
                    exit::ERROR
                };
                return Some(fail(code, &format!("{e}; nothing was changed")));
            }
        }
    }
    for step in &plan.steps {
        if let Err(e) = llm_write::patch_llm(client, ns, &step.member, &step.patch, true).await {
            let code = if e.is_forbidden() {
                exit::FORBIDDEN
            } else if e.is_conflict() {
                exit::CONFLICT
            } else if e.is_invalid() {
                exit::INVALID
            } else {
                read_failure(&e)
            };
            let why = if e.is_timed_out() {
                format!("{}; nothing was changed", e.message)
            } else {
                format!(
                    "the server's dry run refused the change of {}: {}",
                    step.member, e.message
                )
            };
            return Some(fail(code, &why));
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
    let mut undo = Some((
        llm_write::history_name(&plan.target),
        HistoryEntry {
            at: chrono::Utc::now(),
            action: plan.action.verb(),
            revision: None,
            by: connection.user.clone(),
            spec: json!({"group": plan.group, "members": plan.before}),
        },
    ));
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
        let intent = AuditRecord {
            at: chrono::Utc::now(),
            user: connection.user.clone(),
            context: connection.context.clone().unwrap_or_default(),
            namespace: plan.namespace.clone(),
            name: step.member.clone(),
            uid: step.uid.clone(),
            reason: plan.action.event_reason().to_string(),
            action: format!(
                "{} of {} (step {}/{} on {})",
                plan.action.verb(),
                plan.target,
                i + 1,
                plan.steps.len(),
                step.member
            ),
            traffic_before: plan.weights_before.clone(),
            traffic_after: plan.weights_after.clone(),
            patch: step.patch.clone(),
            outcome: String::new(),
        };
        let report = llm_write::apply_step(client, &step.patch, &intent, undo.take()).await;
        for problem in &report.audit_problems {
            errln!("kdeck: {problem}");
        }
        let (generation, object) = match report.outcome {
            WriteOutcome::Applied {
                generation,
                object,
                note,
            } => {
                if let Some(note) = note {
                    errln!("kdeck: {note}");
                }
                (generation, *object)
            }
            WriteOutcome::NotApplied(e) if e.is_conflict() => {
                return fail(
                    exit::CONFLICT,
                    &format!(
                        "{} changed since it was read (resourceVersion {}); nothing was overwritten{earlier} — run again to see the new state",
                        step.member, step.resource_version
                    ),
                );
            }
            WriteOutcome::NotApplied(e) if e.is_forbidden() => {
                return fail(exit::FORBIDDEN, &format!("{}{earlier}", e.message));
            }
            WriteOutcome::NotApplied(e) => {
                return fail(exit::ERROR, &format!("not applied: {}{earlier}", e.message));
            }
            WriteOutcome::Unknown(why) => {
                return fail(exit::UNKNOWN, &format!("outcome unknown: {why}{earlier}"));
            }
        };
        if let Some(problem) = &report.history_problem {
            errln!("kdeck: {problem}");
        }
        outln!(
            "applied step {}/{} on {}: generation {generation}",
            i + 1,
            plan.steps.len(),
            step.member
        );
        if report.audit_problems.is_empty() {
            let path = crate::config::paths::state_dir()
                .map(|d| d.join("audit.log").display().to_string())
                .unwrap_or_default();
            outln!(
                "audit: event written on {}; local record in {path}",
                step.member
            );
        }
        if let Err(code) = follow(client, &plan.namespace, step, generation, object, deadline).await
        {
            return code;
        }
    }
    outln!("done: weights {}", plan.weights_after);
    ExitCode::SUCCESS
}

/// Prints the steps newly reached; true once done.
fn report(step: &GroupStep, generation: i64, value: &Value, printed: &mut Vec<String>) -> bool {
    let progress = evaluate_step(&step.goal, value, generation);
    for (label, done) in &progress.steps {
        if *done && !printed.contains(label) {
            outln!("  ✓ {label}");
            printed.push(label.clone());
        }
    }
    progress.done
}

fn resource_version(value: &Value) -> String {
    value
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Watches the member from the change's own resourceVersion until the step's goal shows,
/// or the deadline passes (exit 1: applied, not done). A broken watch resumes from the last
/// resourceVersion seen; 410 Gone reads the member again.
async fn follow(
    client: &kube::Client,
    namespace: &str,
    step: &GroupStep,
    generation: i64,
    object: Value,
    deadline: tokio::time::Instant,
) -> Result<(), ExitCode> {
    let mut printed = Vec::new();
    if report(step, generation, &object, &mut printed) {
        return Ok(());
    }
    let mut rv = resource_version(&object);
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &llm_write::llm_resource());
    let params = WatchParams::default()
        .fields(&format!("metadata.name={}", step.member))
        .timeout(60);
    let timed_out = |printed: &Vec<String>| {
        fail(
            exit::FAILED,
            &format!(
                "applied, but {} did not show it before the deadline; last step done: {}",
                step.member,
                printed
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "none".to_string())
            ),
        )
    };
    loop {
        let opened = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Err(timed_out(&printed)),
            opened = api.watch(&params, &rv) => opened,
        };
        match opened {
            Ok(stream) => {
                let mut stream = stream.boxed();
                loop {
                    let next = tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => return Err(timed_out(&printed)),
                        next = stream.next() => next,
                    };
                    let value = match next {
                        Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                            serde_json::to_value(&o).unwrap_or_default()
                        }
                        Some(Ok(WatchEvent::Bookmark(b))) => {
                            rv = b.metadata.resource_version;
                            continue;
                        }
                        Some(Ok(WatchEvent::Deleted(_))) => {
                            return Err(fail(
                                exit::FAILED,
                                &format!("{} was deleted", step.member),
                            ));
                        }
                        Some(Ok(WatchEvent::Error(status))) if status.code == 410 => {
                            match llm_write::get_llm(client, namespace, &step.member).await {
                                Ok(value) => {
                                    if report(step, generation, &value, &mut printed) {
                                        return Ok(());
                                    }
                                    rv = resource_version(&value);
                                }
                                Err(e) => errln!("kdeck: reading the rollout: {}", e.message),
                            }
                            break;
                        }
                        Some(Ok(WatchEvent::Error(status))) => {
                            errln!("kdeck: watching the rollout: {}; retrying", status.message);
                            break;
                        }
                        Some(Err(e)) => {
                            let why = crate::sources::kube::errors::describe(&e);
                            errln!("kdeck: watching the rollout: {why}; retrying");
                            break;
                        }
                        None => break,
                    };
                    let seen = resource_version(&value);
                    if !seen.is_empty() {
                        rv = seen;
                    }
                    if report(step, generation, &value, &mut printed) {
                        return Ok(());
                    }
                }
            }
            Err(e) => {
                let why = crate::sources::kube::errors::describe(&e);
                errln!("kdeck: watching the rollout: {why}; retrying");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Err(timed_out(&printed)),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
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
        assert!(
            group_action(
                &RolloutAction::SetCanary { percent: 10 },
                GroupOptions::default()
            )
            .unwrap_err()
            .contains("--weight")
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
}
