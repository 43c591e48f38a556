//! Headless subcommands for scripts and runbooks. Each returns the process exit code.
//! Everything they print goes through [`out`], the output boundary that makes cluster text
//! inert; the `std` print macros are refused here by clippy (`disallowed_macros`).
#![deny(clippy::disallowed_macros)]

pub mod bench;
pub mod change;
pub mod config_check;
pub mod figures;
pub mod gpu;
pub mod group_rollout;
#[cfg(test)]
mod inert_tests;
pub mod logs;
pub mod out;
pub mod probe;
pub mod rollout;
pub mod sim;
pub mod snapshot;
pub mod status;
pub mod status_llm;
pub mod status_trained;

use crate::cli::Cli;
use crate::sources::kube::connect::{Connection, KubeconfigSource, connect};
use out::errln;
use std::process::ExitCode;

/// Output format of headless commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Wide,
    Json,
}

/// The kubeconfig the global flags name.
pub fn kubeconfig_source(cli: &Cli) -> KubeconfigSource {
    match &cli.kubeconfig {
        Some(path) => KubeconfigSource::File(path.clone()),
        None => KubeconfigSource::Default,
    }
}

/// Exit code of every headless command whose API server, credential plugin or `--timeout`
/// deadline ran out (nothing was changed unless the command says otherwise).
pub const EXIT_TIMED_OUT: u8 = 7;

/// What the exit codes help says about deadlines.
pub const TIMEOUT_HELP: &str = "7 timed out: the API server or a credential plugin did not \
    answer within its deadline ([api] request_timeout, [api] exec_timeout in config.toml), or \
    --timeout passed";

/// Connects as the global flags say; on failure prints why and returns exit code 2 (7 when
/// the API server or the credential plugin did not answer in time). When the config's safety
/// settings cannot be trusted, says so on stderr first (kdeck is read-only).
pub async fn connect_or_exit(cli: &Cli, command: &str) -> Result<Connection, ExitCode> {
    if let Some(lock) = crate::config::load(cli.config.as_deref())
        .config
        .safety_lock
    {
        errln!("kdeck {command}: {}", lock.message());
    }
    connect(&kubeconfig_source(cli), cli.context.as_deref())
        .await
        .map_err(|e| {
            errln!("kdeck {command}: {}", e.message);
            ExitCode::from(if e.timed_out { EXIT_TIMED_OUT } else { 2 })
        })
}

/// Prints a failed read's error; exit code 7 when it ran into its deadline, else 2.
pub fn api_failure(command: &str, err: &kube::Error) -> ExitCode {
    errln!(
        "kdeck {command}: {}",
        crate::sources::kube::errors::describe(err)
    );
    let timed_out = crate::sources::kube::deadline::timed_out(err).is_some();
    ExitCode::from(if timed_out { EXIT_TIMED_OUT } else { 2 })
}

/// Runs a whole headless command under `limit` (its `--timeout`); when the time is up it
/// says so and returns exit code 7.
pub async fn bounded(
    command: &str,
    limit: Option<std::time::Duration>,
    run: impl std::future::Future<Output = ExitCode>,
) -> ExitCode {
    let Some(limit) = limit else {
        return run.await;
    };
    match tokio::time::timeout(limit, run).await {
        Ok(code) => code,
        Err(_) => {
            errln!(
                "kdeck {command}: did not finish within {} (--timeout); stopped waiting",
                humantime::format_duration(limit)
            );
            ExitCode::from(EXIT_TIMED_OUT)
        }
    }
}

/// The namespace of a single-service command: `-n`, else the one namespace holding an
/// InferenceService called `name`. A name found in several namespaces is refused with their
/// list (exit code 2); found nowhere, or not allowed to list across namespaces, it is the
/// context's default namespace (whose own answer then says what is wrong).
pub async fn target_namespace(
    cli: &Cli,
    connection: &Connection,
    name: &str,
    command: &str,
) -> Result<String, ExitCode> {
    if let Some(ns) = &cli.namespace {
        return Ok(ns.clone());
    }
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::all_with(
        connection.client.clone(),
        &crate::sources::kube::watch::api_resource(
            crate::domain::kind::Kind::InferenceService.spec(),
        ),
    );
    let params = kube::api::ListParams::default().fields(&format!("metadata.name={name}"));
    let found = match api.list(&params).await {
        Ok(list) => list.items,
        Err(e) => {
            tracing::info!(
                "{command}: cannot search all namespaces for {name} ({e}); using the default"
            );
            return Ok(connection.default_namespace.clone());
        }
    };
    let mut namespaces: Vec<String> = found
        .iter()
        .filter(|o| o.metadata.name.as_deref() == Some(name))
        .filter_map(|o| o.metadata.namespace.clone())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    match namespaces.as_slice() {
        [] => Ok(connection.default_namespace.clone()),
        [one] => Ok(one.clone()),
        many => {
            errln!(
                "kdeck {command}: InferenceService {name} exists in {} namespaces: {}; say which \
                 with -n NAMESPACE",
                many.len(),
                many.join(", ")
            );
            Err(ExitCode::from(2))
        }
    }
}

/// Whether stdout is a terminal and colour is allowed (`NO_COLOR` unset).
pub fn colour_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The console's state for a headless command: the keymap, the user's config (so the
/// `[canary]` thresholds `status` and `snapshot` judge by are the user's) and the scope.
pub fn headless_state(
    cli: &Cli,
    namespace: crate::domain::scope::NamespaceScope,
    context: Option<String>,
) -> crate::state::State {
    let (keymap, _) = crate::config::keymap::Keymap::load(None);
    let session = crate::state::session::Session {
        namespace,
        context,
        ..crate::state::session::Session::default()
    };
    crate::state::State::new(
        keymap,
        crate::config::load(cli.config.as_deref()).config,
        session,
        chrono::Utc::now(),
    )
}
