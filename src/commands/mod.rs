//! Headless subcommands for scripts and runbooks. Each returns the process exit code.

pub mod figures;
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

/// The namespace of a single-object command: `-n`, else the context's default.
pub fn target_namespace(cli: &Cli, connection: &Connection) -> String {
    cli.namespace
        .clone()
        .unwrap_or_else(|| connection.default_namespace.clone())
}

/// Whether stdout is a terminal and colour is allowed (`NO_COLOR` unset).
pub fn colour_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
