//! Headless subcommands for scripts and runbooks. Each returns the process exit code.

pub mod gpu;
pub mod logs;
pub mod probe;
pub mod rollout;
pub mod sim;
pub mod snapshot;
pub mod status;

use crate::cli::Cli;
use crate::sources::kube::connect::{Connection, KubeconfigSource, connect};
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

/// Connects as the global flags say; on failure prints why and returns exit code 2.
pub async fn connect_or_exit(cli: &Cli, command: &str) -> Result<Connection, ExitCode> {
    connect(&kubeconfig_source(cli), cli.context.as_deref())
        .await
        .map_err(|e| {
            eprintln!("kdeck {command}: {}", e.message);
            ExitCode::from(2)
        })
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
            eprintln!(
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
