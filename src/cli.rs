//! The command line: the console's options, and the headless subcommands, each of which
//! lists only the options it uses (the flag groups below, flattened into its arguments).
//! [`Cli::resolved`] folds a subcommand's options into the top-level fields the commands
//! read, so `kdeck status -n ml` and `kdeck -n ml status` mean the same.

use clap::{Args, Parser, Subcommand};
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
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Look at one namespace.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,

    /// Look at all namespaces (the default when -n is not given).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Colour theme: dark, light, high-contrast, or a user theme name.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,

    /// Disable every action that changes the cluster.
    #[arg(long)]
    pub readonly: bool,

    /// Run against an embedded simulated KServe cluster (traffic, GPUs, a bad canary).
    #[arg(long)]
    pub demo: bool,

    /// Read latency and GPU metrics from this Prometheus server instead of scraping pods.
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,

    /// Path to the config file (default: config.toml in the config directory).
    #[arg(long, value_name = "PATH")]
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
    Bench(crate::commands::bench::BenchArgs),
}

/// Where a command connects: kubeconfig file and context.
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterFlags {
    /// Path to a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// The namespaces a listing command looks at.
#[derive(Debug, Clone, Default, Args)]
pub struct ListFlags {
    #[command(flatten)]
    pub cluster: ClusterFlags,
    /// Look at one namespace.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Look at all namespaces (the default when -n is not given).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

/// The namespace of a command on one service.
#[derive(Debug, Clone, Default, Args)]
pub struct ServiceFlags {
    #[command(flatten)]
    pub cluster: ClusterFlags,
    /// The service's namespace (default: search all namespaces; a name found in several
    /// is refused with the list, exit code 2).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
}

/// The safety settings of a command that changes the cluster.
#[derive(Debug, Clone, Default, Args)]
pub struct ChangeFlags {
    /// Refuse every change (as `readonly = true` in the config does).
    #[arg(long)]
    pub readonly: bool,
    /// Path to the config file (default: config.toml in the config directory).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl Cli {
    /// The options in effect for the subcommand: those given after it fill in (and win over)
    /// those given before it.
    pub fn resolved(mut self) -> Cli {
        let (list, service, change) = match &self.command {
            Some(Command::Status(a)) => (Some(a.target.clone()), None, None),
            Some(Command::Logs(a)) => (None, Some(a.target.clone()), None),
            Some(Command::Snapshot(a)) => (None, Some(a.target.clone()), None),
            Some(Command::Rollback(a)) => (
                None,
                Some(a.common.target.clone()),
                Some(a.common.change.clone()),
            ),
            Some(Command::Canary(a)) => (
                None,
                Some(a.common.target.clone()),
                Some(a.common.change.clone()),
            ),
            Some(Command::Promote(a)) => (
                None,
                Some(a.common.target.clone()),
                Some(a.common.change.clone()),
            ),
            _ => (None, None, None),
        };
        let cluster = list
            .as_ref()
            .map(|l| l.cluster.clone())
            .or_else(|| service.as_ref().map(|s| s.cluster.clone()));
        if let Some(cluster) = cluster {
            self.kubeconfig = cluster.kubeconfig.or(self.kubeconfig);
            self.context = cluster.context.or(self.context);
        }
        if let Some(list) = list {
            if list.all_namespaces {
                self.namespace = None;
                self.all_namespaces = true;
            }
            self.namespace = list.namespace.or(self.namespace);
        }
        if let Some(service) = service {
            self.namespace = service.namespace.or(self.namespace);
        }
        if let Some(change) = change {
            self.readonly |= change.readonly;
            self.config = change.config.or(self.config);
        }
        self
    }
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

    /// The long option names a subcommand's help lists.
    fn options_of(name: &str) -> Vec<String> {
        let command = Cli::command();
        let sub = command
            .get_subcommands()
            .find(|c| c.get_name() == name)
            .unwrap_or_else(|| panic!("no subcommand {name}"));
        sub.get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    }

    #[test]
    fn each_subcommand_lists_only_its_own_options() {
        let cluster_wide = [
            "readonly",
            "prometheus",
            "namespace",
            "all-namespaces",
            "context",
        ];
        for name in ["gpu", "sim", "probe"] {
            let options = options_of(name);
            for flag in cluster_wide {
                assert!(
                    !options.iter().any(|o| o == flag),
                    "{name} lists --{flag}: {options:?}"
                );
            }
        }
        for name in [
            "status", "logs", "snapshot", "rollback", "canary", "promote",
        ] {
            let options = options_of(name);
            assert!(
                !options.iter().any(|o| o == "prometheus"),
                "{name}: {options:?}"
            );
            assert!(
                options.iter().any(|o| o == "context"),
                "{name}: {options:?}"
            );
            assert!(
                options.iter().any(|o| o == "namespace"),
                "{name}: {options:?}"
            );
        }
        for name in ["status", "logs", "snapshot"] {
            assert!(!options_of(name).iter().any(|o| o == "readonly"), "{name}");
        }
        for name in ["rollback", "canary", "promote"] {
            assert!(options_of(name).iter().any(|o| o == "readonly"), "{name}");
            assert!(
                !options_of(name).iter().any(|o| o == "all-namespaces"),
                "{name}"
            );
        }
        assert!(options_of("status").iter().any(|o| o == "all-namespaces"));
    }

    #[test]
    fn options_before_or_after_the_subcommand_mean_the_same() {
        let after = Cli::try_parse_from(["kdeck", "rollback", "iris", "-n", "ml", "--readonly"])
            .unwrap()
            .resolved();
        let before = Cli::try_parse_from(["kdeck", "-n", "ml", "--readonly", "rollback", "iris"])
            .unwrap()
            .resolved();
        for cli in [after, before] {
            assert_eq!(cli.namespace.as_deref(), Some("ml"));
            assert!(cli.readonly);
        }
        let cli = Cli::try_parse_from(["kdeck", "-n", "ml", "status", "-A"])
            .unwrap()
            .resolved();
        assert_eq!((cli.namespace, cli.all_namespaces), (None, true));
        assert!(Cli::try_parse_from(["kdeck", "gpu", "-n", "ml"]).is_err());
        assert!(Cli::try_parse_from(["kdeck", "sim", "--readonly"]).is_err());
        let cli = Cli::try_parse_from(["kdeck", "--demo", "--readonly"]).unwrap();
        assert!(cli.demo && cli.readonly);
    }
}
