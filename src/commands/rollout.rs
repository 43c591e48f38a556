//! `kdeck rollback`, `kdeck canary`, `kdeck promote`: the console's rollout actions for
//! runbooks, with the same safety checks in the same order — permission, server-side dry
//! run, the exact diff, confirmation — then the change, the audit trail, and progress
//! followed until done, failed or timed out.

mod follow;

use super::change::{self, fail, read_failure};
use super::out::{Paint, Styled, errln, outln};
use crate::cli::Cli;
use crate::domain::isvc::Isvc;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::{Plan, RolloutAction, plan};
use crate::sources::kube::actions::{self, AuditRecord};
use crate::sources::kube::connect::Connection;
use crate::sources::kube::write::{self, Written};
use follow::follow;
use std::process::ExitCode;
use std::time::Duration;

/// Exit codes of the rollout commands.
pub mod exit {
    pub const DONE: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const ERROR: u8 = 2;
    pub const FORBIDDEN: u8 = 3;
    pub const INVALID: u8 = 4;
    pub const CONFLICT: u8 = 5;
    pub const READONLY: u8 = 6;
    pub const TIMED_OUT: u8 = super::super::EXIT_TIMED_OUT;
    pub const UNKNOWN: u8 = 8;
    pub const FAILING_REVISION: u8 = 9;
}

const EXIT_HELP: &str = "Exit codes: 0 done; 1 failed, not confirmed, or applied but not done within --timeout; 2 connection or \
    API error; 3 forbidden (RBAC); 4 rejected (nothing to do, or the server's dry run refused it); \
    5 conflict (the service changed meanwhile; nothing was overwritten); 6 read-only mode; 7 timed \
    out before the change was sent (the API server or a credential plugin did not answer within \
    its deadline, [api] request_timeout in config.toml; nothing was changed), or --timeout \
    passed; 8 the change was sent but its answer was lost and reading the service again could \
    not tell whether it applied (check with kdeck status). A change whose answer was lost is \
    read again: applied continues as usual, not applied exits 2. 9 refused: the change sends more \
    traffic to a revision that is failing (errors or p99 past the [canary] thresholds against its \
    stable revision, from one scrape of its pods); --force sends it anyway.";

/// Options shared by the rollout commands.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// The InferenceService.
    pub name: String,
    #[command(flatten)]
    pub target: crate::cli::ServiceFlags,
    #[command(flatten)]
    pub change: crate::cli::ChangeFlags,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Check permission and validity and print the diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send more traffic to a revision even when it is failing (exit code 9 without it).
    #[arg(long)]
    pub force: bool,
    /// How long the whole command may take (checks, change and following the rollout)
    /// before giving up with exit code 7 (1 when the change was applied and only
    /// following it ran out of time).
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// `kdeck rollback NAME`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub common: Common,
    /// On an LLMInferenceService group member: stop it (annotation serving.kserve.io/stop)
    /// instead of setting its weight to 0.
    #[arg(long)]
    pub stop: bool,
}

/// `kdeck canary NAME --percent P`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct CanaryArgs {
    #[command(flatten)]
    pub common: Common,
    /// Share of traffic for the latest revision (0-100).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=100), required_unless_present = "weight", conflicts_with = "weight")]
    pub percent: Option<i64>,
    /// The proportional weight of an LLMInferenceService routing-group member (0 or more;
    /// KServe advises starting a canary at 1).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    pub weight: Option<i64>,
}

/// `kdeck promote NAME`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub common: Common,
}

/// The plan as the console's confirmation shows it, one styled line each; every piece
/// of cluster text in it is made inert.
pub fn plan_lines(plan: &Plan, context: &str, colour: bool) -> Vec<Styled> {
    let line = || Styled::new(colour);
    let mut lines = vec![
        line()
            .paint(Paint::Bold, plan.action.verb())
            .plain(format!(
                " InferenceService {}/{} in context ",
                plan.namespace, plan.name
            ))
            .paint(Paint::Bold, context),
        line()
            .plain(format!("traffic: {} -> ", plan.traffic_before))
            .paint(Paint::Bold, &plan.traffic_after),
    ];
    lines.extend(
        plan.explanation
            .iter()
            .map(|l| line().plain(format!("  {l}"))),
    );
    lines.extend(
        plan.warnings
            .iter()
            .map(|w| line().paint(Paint::Red, "warning:").plain(format!(" {w}"))),
    );
    lines.push(line().plain("spec diff:"));
    lines.extend(change::diff_lines(
        &plan.spec_before,
        &plan.spec_after,
        2,
        colour,
    ));
    lines
}

/// Prints the plan the way the console's confirmation shows it.
pub fn print_plan(plan: &Plan, context: &str, colour: bool) {
    for line in plan_lines(plan, context, colour) {
        line.print();
    }
}

/// Runs one rollout action end to end.
pub async fn run(
    cli: &Cli,
    common: &Common,
    action: RolloutAction,
    group: super::group_rollout::GroupOptions,
) -> ExitCode {
    let started = tokio::time::Instant::now();
    let config = crate::config::load(cli.config.as_deref()).config;
    if let Some(lock) = &config.safety_lock {
        return fail(exit::READONLY, &lock.message());
    }
    if cli.readonly || config.readonly {
        return fail(
            exit::READONLY,
            "read-only mode: rollout commands are disabled (--readonly or readonly = true in the config)",
        );
    }
    let connection =
        match super::connect_or_exit(cli, action.verb().split(' ').next().unwrap_or("rollout"))
            .await
        {
            Ok(c) => c,
            Err(code) => return code,
        };
    let context = connection.context.clone().unwrap_or_default();
    let settings = config.contexts.get(&context).cloned().unwrap_or_default();
    if settings.readonly {
        return fail(
            exit::READONLY,
            &format!("context {context} is read-only in the config"),
        );
    }
    let verb = action.verb();
    let verb = verb.split(' ').next().unwrap_or("rollout");
    let namespace = match super::target_namespace(cli, &connection, &common.name, verb).await {
        Ok(ns) => ns,
        Err(code) => return code,
    };
    let deadline = started + common.timeout;
    execute(
        &connection,
        &namespace,
        common,
        (action, group),
        settings.protected,
        deadline,
        &config.canary,
    )
    .await
}

async fn execute(
    connection: &Connection,
    namespace: &str,
    common: &Common,
    (action, group): (RolloutAction, super::group_rollout::GroupOptions),
    protected: bool,
    deadline: tokio::time::Instant,
    thresholds: &crate::domain::canary::CanaryThresholds,
) -> ExitCode {
    let client = &connection.client;
    let name = &common.name;
    let (raw, plan) = match read_and_plan(client, namespace, name, action.clone(), &group).await {
        Ok(Some(read)) => read,
        // Not an InferenceService: perhaps a member of an LLMInferenceService group.
        Ok(None) => {
            return super::group_rollout::run_for_member(
                connection,
                namespace,
                common,
                (&action, group),
                protected,
                deadline,
                thresholds,
            )
            .await;
        }
        Err(code) => return code,
    };
    if let Err(code) = check_allowed(client, namespace, name, &plan).await {
        return code;
    }
    outln!("dry run: accepted by the API server");
    print_plan(
        &plan,
        connection.context.as_deref().unwrap_or(""),
        super::colour_stdout(),
    );
    if let Some(code) = check_failing_revision(client, &raw, &plan, common.force, thresholds).await
    {
        return ExitCode::from(code);
    }
    let question = change::Question {
        verb: plan.action.verb(),
        noun: "service",
        namespace,
        name,
    };
    if let Some(code) = change::confirmed_or_stop(common, &question, protected) {
        return code;
    }
    // SIGTERM while the change is written waits until its outcome is recorded.
    let terminated = termination_flag();
    let applied = match write_change(connection, namespace, name, &raw, &plan).await {
        Ok(applied) => applied,
        Err(code) => return code,
    };
    if terminated.load(std::sync::atomic::Ordering::SeqCst) {
        return fail(
            TERMINATED,
            "terminated (SIGTERM) after the change was applied and audited; not following it",
        );
    }
    follow(client, namespace, name, &plan, applied, deadline).await
}

/// Reads the service, kdeck's history and the Deployment's revisions, and makes the plan;
/// `None` when there is no InferenceService of that name.
async fn read_and_plan(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    action: RolloutAction,
    group: &super::group_rollout::GroupOptions,
) -> Result<Option<(serde_json::Value, Plan)>, ExitCode> {
    let raw = match actions::get_isvc(client, namespace, name).await {
        Ok(_) if *group != super::group_rollout::GroupOptions::default() => {
            return Err(fail(
                exit::INVALID,
                "--weight and --stop are for LLMInferenceService group members; an InferenceService takes --percent",
            ));
        }
        Ok(raw) => raw,
        Err(e) if e.code == 404 => {
            return Ok(None);
        }
        Err(e) => {
            return Err(fail(
                read_failure(&e),
                &format!("{}; nothing was changed", e.message),
            ));
        }
    };
    let history = match actions::load_history(client, namespace, name).await {
        Ok((entries, problem)) => {
            if let Some(p) = problem {
                errln!("kdeck: {p}");
            }
            entries
        }
        Err(e) => {
            errln!("kdeck: {e}; continuing without it");
            Vec::new()
        }
    };
    let deployed = match actions::deployed_revisions(client, namespace, name).await {
        Ok(d) => d,
        Err(e) => {
            if action == RolloutAction::Rollback {
                errln!("kdeck: {e}");
            }
            Vec::new()
        }
    };
    let spec = raw.get("spec").cloned().unwrap_or_default();
    let history =
        crate::domain::rollout::deployed::history_for(&action, &history, &spec, &deployed);
    let plan = match plan(&raw, action.clone(), &history) {
        Ok(p) => p,
        Err(e) => return Err(fail(exit::INVALID, &e.to_string())),
    };
    Ok(Some((raw, plan)))
}

/// Checks permission (SelfSubjectAccessReview) and has the server dry-run the exact patch.
async fn check_allowed(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    plan: &Plan,
) -> Result<(), ExitCode> {
    let written = Written::InferenceService;
    change::check_permission(client, written, namespace, name).await?;
    change::dry_run(client, written, (namespace, name), &plan.patch, None).await
}

/// Writes the change with its history entry and audit record; the generation and object
/// it produced, or the exit code when it was not applied.
async fn write_change(
    connection: &Connection,
    namespace: &str,
    name: &str,
    raw: &serde_json::Value,
    plan: &Plan,
) -> Result<(i64, serde_json::Value), ExitCode> {
    let client = &connection.client;
    let isvc = Isvc::parse(raw);
    let entry = HistoryEntry {
        at: chrono::Utc::now(),
        action: plan.action.verb(),
        revision: isvc.predictor_status().and_then(|s| s.latest_ready.clone()),
        by: connection.user.clone(),
        spec: plan.spec_before.clone(),
    };
    let intent = AuditRecord {
        at: chrono::Utc::now(),
        user: connection.user.clone(),
        context: connection.context.clone().unwrap_or_default(),
        namespace: namespace.to_string(),
        name: name.to_string(),
        uid: isvc.meta.uid.clone(),
        reason: plan.action.event_reason().to_string(),
        action: plan.action.verb(),
        traffic_before: plan.traffic_before.clone(),
        traffic_after: plan.traffic_after.clone(),
        patch: plan.patch.clone(),
        outcome: String::new(),
    };
    let report = write::apply_change(client, &plan.patch, entry, &intent).await;
    let told = change::Told {
        name,
        resource_version: &plan.resource_version,
        earlier: "",
        applied: &|generation| format!("applied: generation {generation}"),
        audit: "audit: event written",
    };
    change::written(report, &told)
}

/// Exit code after SIGTERM (128 + 15, as a shell reports it).
const TERMINATED: u8 = 143;

/// From now on SIGTERM no longer kills the process at once: it sets the flag (and the
/// command exits once its change is recorded); a second SIGTERM exits right away.
fn termination_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let flag = std::sync::Arc::new(AtomicBool::new(false));
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        let seen = flag.clone();
        tokio::spawn(async move {
            while term.recv().await.is_some() {
                if seen.swap(true, Ordering::SeqCst) || !write::changes_in_flight() {
                    std::process::exit(i32::from(TERMINATED));
                }
                errln!("kdeck: SIGTERM: finishing the change's audit record first");
            }
        });
    }
    flag
}

/// When the plan raises the latest revision's share, scrapes its pods once and refuses
/// (exit code 9) if that revision is failing, unless `force`. Returns the exit code to stop
/// with, if any.
async fn check_failing_revision(
    client: &kube::Client,
    raw: &serde_json::Value,
    plan: &Plan,
    force: bool,
    thresholds: &crate::domain::canary::CanaryThresholds,
) -> Option<u8> {
    let isvc = Isvc::parse(raw);
    crate::domain::canary::raises_latest(&isvc, &plan.goal)?;
    let breach = match super::figures::failing_canary(client, &isvc, thresholds).await {
        Ok(b) => b,
        Err(e) => {
            errln!("kdeck: could not measure the revision that gets more traffic: {e}");
            None
        }
    };
    let warning = crate::domain::canary::more_traffic_warning(breach.as_ref(), &isvc, &plan.goal)?;
    if force {
        errln!("kdeck: warning: {warning} (going ahead: --force)");
        return None;
    }
    errln!(
        "kdeck: refused: {warning}. Figures from one scrape (cumulative since each pod started). \
         Roll back with `kdeck rollback {}`, or add --force to send it traffic anyway.",
        plan.name
    );
    Some(exit::FAILING_REVISION)
}
