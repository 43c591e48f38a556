//! The command line: global options for the console, and the headless subcommands.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// kdeck — a terminal operations console for model serving on Kubernetes with KServe.
#[derive(Debug, Parser)]
#[command(
    name = "kdeck",
    version,
    about = "A terminal operations console for model serving on Kubernetes with KServe",
    long_about = "A terminal operations console for model serving on Kubernetes with KServe.\n\n\
        Without a subcommand, kdeck opens the console on the InferenceServices of the current \
        kubeconfig context. Press ? inside for help and : for the command line.",
    after_help = "Files: config.toml, keymap.toml and themes/ in $XDG_CONFIG_HOME/kdeck \
        (override with KDECK_CONFIG_DIR); the log is kdeck.log in $XDG_STATE_HOME/kdeck \
        (KDECK_STATE_DIR), its level set by KDECK_LOG (e.g. debug).\n\
        Colours follow NO_COLOR, COLORTERM and TERM (KDECK_COLOR=none|16|256|truecolor forces \
        one); a non-UTF-8 locale gets ASCII borders (KDECK_UNICODE=0|1 forces it)."
)]
pub struct Cli {
    /// Path to a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Look at one namespace.
    #[arg(
        short = 'n',
        long,
        global = true,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Look at all namespaces (the default when -n is not given).
    #[arg(short = 'A', long, global = true)]
    pub all_namespaces: bool,

    /// Colour theme: dark, light, high-contrast, or a user theme name.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Disable every action that changes the cluster.
    #[arg(long, global = true)]
    pub readonly: bool,

    /// Run against an embedded simulated KServe cluster (traffic, GPUs, a bad canary).
    #[arg(long)]
    pub demo: bool,

    /// Read latency and GPU metrics from this Prometheus server instead of scraping pods.
    #[arg(long, global = true, value_name = "URL")]
    pub prometheus: Option<String>,

    /// Path to the config file (default: config.toml in the config directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless subcommands for scripts and runbooks.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the InferenceServices once and exit 0 if all are Ready, 1 if not, 2 on errors.
    Status(crate::commands::status::StatusArgs),
    /// Print the merged logs of a service's pods (stern-style prefixes), optionally following.
    Logs(crate::commands::logs::LogsArgs),
    /// Write an incident snapshot (Markdown) of a service and print its path.
    Snapshot(crate::commands::snapshot::SnapshotArgs),
    /// Roll a service back: canary traffic to the stable revision, or the previous spec.
    Rollback(crate::commands::rollout::RollbackArgs),
    /// Set the canary share of traffic of a service.
    Canary(crate::commands::rollout::CanaryArgs),
    /// Give the latest revision (or the Standard-mode canary) all traffic.
    Promote(crate::commands::rollout::PromoteArgs),
    /// Probe a model server: health checks and timed inferences (v2 REST, v1 REST, gRPC,
    /// OpenAI-compatible streaming with TTFT and inter-token latency);
    /// exit 0 all requests ok, 1 some failed, 2 usage or setup problems.
    Probe(crate::commands::probe::ProbeArgs),
    /// Show the local GPUs (NVML): utilisation, memory, power, clocks, MIG, processes.
    Gpu(crate::commands::gpu::GpuArgs),
    /// Check the user's files: `kdeck config check` prints every problem with its line.
    Config(crate::commands::config_check::ConfigArgs),
    /// Serve the simulated KServe cluster (for kubectl, kdeck and tests) until Ctrl-C.
    Sim(crate::commands::sim::SimArgs),
    /// Measure kdeck against kubectl on the simulated cluster at several sizes.
    Bench(crate::bench::BenchArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn namespace_flags_conflict() {
        assert!(Cli::try_parse_from(["kdeck", "-n", "a", "-A"]).is_err());
        let cli =
            Cli::try_parse_from(["kdeck", "-n", "ml", "--readonly", "--theme", "light"]).unwrap();
        assert_eq!(cli.namespace.as_deref(), Some("ml"));
        assert!(cli.readonly);
    }
}
