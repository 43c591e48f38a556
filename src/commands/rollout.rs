//! `kdeck rollback`, `kdeck canary`, `kdeck promote`: the console's rollout actions for
//! runbooks, with the same safety checks in the same order — permission, server-side dry
//! run, the exact diff, confirmation — then the change, the audit trail, and progress
//! followed until done, failed or timed out.

use crate::cli::Cli;
use crate::domain::isvc::Isvc;
use crate::domain::rollout::history::HistoryEntry;
use crate::domain::rollout::progress::{Outcome, evaluate};
use crate::domain::rollout::{Plan, RolloutAction, diff, plan};
use crate::sources::kube::actions::{self, AuditRecord};
use crate::sources::kube::connect::Connection;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use std::io::{BufRead, IsTerminal, Write};
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
    pub const FAILING_REVISION: u8 = 7;
}

const EXIT_HELP: &str = "Exit codes: 0 done; 1 failed, timed out, or not confirmed; 2 connection or \
    API error; 3 forbidden (RBAC); 4 rejected (nothing to do, or the server's dry run refused it); \
    5 conflict (the service changed meanwhile; nothing was overwritten); 6 read-only mode; \
    7 refused: the change sends more traffic to a revision that is failing (errors or p99 past the \
    [canary] thresholds against its stable revision, from one scrape of its pods); --force sends it anyway.";

/// Options shared by the rollout commands.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// The InferenceService.
    pub name: String,
    /// Apply without asking (required when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Check permission and validity and print the diff; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send more traffic to a revision even when it is failing (exit code 7 without it).
    #[arg(long)]
    pub force: bool,
    /// How long to follow the rollout before giving up.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// `kdeck rollback NAME`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub common: Common,
}

/// `kdeck canary NAME --percent P`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct CanaryArgs {
    #[command(flatten)]
    pub common: Common,
    /// Share of traffic for the latest revision (0-100).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=100))]
    pub percent: i64,
}

/// `kdeck promote NAME`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub common: Common,
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("kdeck: {message}");
    ExitCode::from(code)
}

/// Prints the plan the way the console's confirmation shows it.
pub fn print_plan(plan: &Plan, context: &str, colour: bool) {
    let (red, green, bold, reset) = if colour {
        ("\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    println!(
        "{bold}{}{reset} InferenceService {}/{} in context {bold}{context}{reset}",
        plan.action.verb(),
        plan.namespace,
        plan.name
    );
    println!(
        "traffic: {} -> {bold}{}{reset}",
        plan.traffic_before, plan.traffic_after
    );
    for line in &plan.explanation {
        println!("  {line}");
    }
    for warning in &plan.warnings {
        println!("{red}warning:{reset} {warning}");
    }
    println!("spec diff:");
    for line in diff::yaml_diff(&plan.spec_before, &plan.spec_after, 2) {
        match line {
            diff::DiffLine::Same(t) => println!("  {t}"),
            diff::DiffLine::Added(t) => println!("{green}+ {t}{reset}"),
            diff::DiffLine::Removed(t) => println!("{red}- {t}{reset}"),
            diff::DiffLine::Gap(_) => println!("  …"),
        }
    }
}

/// Asks on the terminal; a protected context requires typing the service name.
fn confirm(plan: &Plan, protected: bool) -> bool {
    let question = if protected {
        format!(
            "Protected context: type the service name ({}) to apply, anything else cancels: ",
            plan.name
        )
    } else {
        format!(
            "Apply {} to {}/{}? [y/N] ",
            plan.action.verb(),
            plan.namespace,
            plan.name
        )
    };
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    let answer = answer.trim();
    if protected {
        answer == plan.name
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
}

/// Runs one rollout action end to end.
pub async fn run(cli: &Cli, common: &Common, action: RolloutAction) -> ExitCode {
    let config = crate::config::load(cli.config.as_deref()).config;
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
    let namespace = super::target_namespace(cli, &connection);
    execute(
        &connection,
        &namespace,
        common,
        action,
        settings.protected,
        &config.canary,
    )
    .await
}

async fn execute(
    connection: &Connection,
    namespace: &str,
    common: &Common,
    action: RolloutAction,
    protected: bool,
    thresholds: &crate::domain::canary::CanaryThresholds,
) -> ExitCode {
    let client = &connection.client;
    let name = &common.name;
    let raw = match actions::get_isvc(client, namespace, name).await {
        Ok(raw) => raw,
        Err(e) if e.code == 404 => {
            return fail(
                exit::FAILED,
                &format!("no InferenceService {namespace}/{name}"),
            );
        }
        Err(e) => return fail(exit::ERROR, &e.message),
    };
    let history = match actions::load_history(client, namespace, name).await {
        Ok((entries, problem)) => {
            if let Some(p) = problem {
                eprintln!("kdeck: {p}");
            }
            entries
        }
        Err(e) => {
            eprintln!("kdeck: {e}; continuing without it");
            Vec::new()
        }
    };
    let deployed = match actions::deployed_revisions(client, namespace, name).await {
        Ok(d) => d,
        Err(e) => {
            if action == RolloutAction::Rollback {
                eprintln!("kdeck: {e}");
            }
            Vec::new()
        }
    };
    let spec = raw.get("spec").cloned().unwrap_or_default();
    let history =
        crate::domain::rollout::deployed::history_for(&action, &history, &spec, &deployed);
    let plan = match plan(&raw, action.clone(), &history) {
        Ok(p) => p,
        Err(e) => return fail(exit::INVALID, &e),
    };
    match actions::can_i(
        client,
        "patch",
        "serving.kserve.io",
        "inferenceservices",
        namespace,
        name,
    )
    .await
    {
        Ok((true, _)) => {
            println!("permission: patch inferenceservices/{name} in {namespace} allowed")
        }
        Ok((false, reason)) => return fail(exit::FORBIDDEN, &format!("forbidden: {reason}")),
        Err(e) => return fail(exit::ERROR, &e),
    }
    if let Err(e) = actions::patch_isvc(client, namespace, name, &plan.patch, true).await {
        let code = if e.is_forbidden() {
            exit::FORBIDDEN
        } else if e.is_conflict() {
            exit::CONFLICT
        } else if e.is_invalid() {
            exit::INVALID
        } else {
            exit::ERROR
        };
        return fail(
            code,
            &format!("the server's dry run refused the change: {}", e.message),
        );
    }
    println!("dry run: accepted by the API server");
    print_plan(
        &plan,
        connection.context.as_deref().unwrap_or(""),
        super::colour_stdout(),
    );
    if let Some(code) = check_failing_revision(client, &raw, &plan, common.force, thresholds).await
    {
        return ExitCode::from(code);
    }
    if common.dry_run {
        println!("dry run only: nothing was changed");
        return ExitCode::SUCCESS;
    }
    if !common.yes {
        if !std::io::stdin().is_terminal() {
            return fail(
                exit::FAILED,
                "refusing to change the cluster without --yes when stdin is not a terminal",
            );
        }
        if !confirm(&plan, protected) {
            return fail(exit::FAILED, "not confirmed; nothing was changed");
        }
    }
    let isvc = Isvc::parse(&raw);
    let entry = HistoryEntry {
        at: chrono::Utc::now(),
        action: plan.action.verb(),
        revision: isvc.predictor_status().and_then(|s| s.latest_ready.clone()),
        by: connection.user.clone(),
        spec: plan.spec_before.clone(),
    };
    if let Err(e) = actions::save_history(client, namespace, name, entry).await {
        eprintln!("kdeck: {e}; the change goes ahead without a recorded undo point");
    }
    let applied = match actions::patch_isvc(client, namespace, name, &plan.patch, false).await {
        Ok(obj) => obj,
        Err(e) if e.is_conflict() => {
            return fail(
                exit::CONFLICT,
                &format!(
                    "{name} changed since it was read (resourceVersion {}); nothing was overwritten — run again to see the new state",
                    plan.resource_version
                ),
            );
        }
        Err(e) if e.is_forbidden() => return fail(exit::FORBIDDEN, &e.message),
        Err(e) => return fail(exit::ERROR, &e.message),
    };
    let generation = applied
        .pointer("/metadata/generation")
        .and_then(|g| g.as_i64())
        .unwrap_or(0);
    println!("applied: generation {generation}");
    let record = AuditRecord {
        at: chrono::Utc::now(),
        user: connection.user.clone(),
        context: connection.context.clone().unwrap_or_default(),
        namespace: namespace.to_string(),
        name: name.clone(),
        uid: isvc.meta.uid.clone(),
        reason: plan.action.event_reason().to_string(),
        action: plan.action.verb(),
        traffic_before: plan.traffic_before.clone(),
        traffic_after: plan.traffic_after.clone(),
        patch: plan.patch.clone(),
        outcome: "applied".to_string(),
    };
    if let Err(e) = actions::emit_event(client, &record).await {
        eprintln!("kdeck: {e}");
    }
    match actions::append_audit_log(&record).await {
        Ok(path) => println!("audit: event written; local record in {path}"),
        Err(e) => eprintln!("kdeck: {e}"),
    }
    follow(client, namespace, name, &plan, generation, common.timeout).await
}

/// When the plan raises the latest revision's share, scrapes its pods once and refuses
/// (exit code 7) if that revision is failing, unless `force`. Returns the exit code to stop
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
            eprintln!("kdeck: could not measure the revision that gets more traffic: {e}");
            None
        }
    };
    let warning = crate::domain::canary::more_traffic_warning(breach.as_ref(), &isvc, &plan.goal)?;
    if force {
        eprintln!("kdeck: warning: {warning} (going ahead: --force)");
        return None;
    }
    eprintln!(
        "kdeck: refused: {warning}. Figures from one scrape (cumulative since each pod started). \
         Roll back with `kdeck rollback {}`, or add --force to send it traffic anyway.",
        plan.name
    );
    Some(exit::FAILING_REVISION)
}

/// Watches the service until the plan's goal is reached, it fails, or time runs out.
async fn follow(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    plan: &Plan,
    generation: i64,
    timeout: Duration,
) -> ExitCode {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &actions::isvc_resource());
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher(api, config).boxed();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut printed: Vec<String> = Vec::new();
    loop {
        let next = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {
                return fail(exit::FAILED, &format!("timed out after {} waiting for: {}", humantime::format_duration(timeout), printed.last().cloned().unwrap_or_default()));
            }
            next = stream.next() => next,
        };
        let object = match next {
            Some(Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o))) => o,
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                eprintln!("kdeck: watching the rollout: {e}; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            None => return fail(exit::ERROR, "the watch ended"),
        };
        let isvc = Isvc::parse(&serde_json::to_value(&object).unwrap_or_default());
        let progress = evaluate(&plan.goal, &isvc, generation);
        for (label, done) in &progress.steps {
            if *done && !printed.contains(label) {
                println!("  ✓ {label}");
                printed.push(label.clone());
            }
        }
        match progress.outcome {
            Some(Outcome::Done) => {
                println!("done: traffic {}", isvc.traffic_label("·"));
                return ExitCode::SUCCESS;
            }
            Some(Outcome::Failed(reason)) => {
                return fail(exit::FAILED, &format!("rollout failed: {reason}"));
            }
            None => {}
        }
    }
}
