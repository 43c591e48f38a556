//! The `kdeck` binary: parse the command line, install the error and panic hooks, start
//! logging and the runtime, then run the console or a headless subcommand.

use clap::Parser;
use kdeck::cli::{Cli, Command};
use kdeck::commands;
use kdeck::domain::rollout::RolloutAction;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    kdeck::allocator::limit_arenas();
    let cli = Cli::parse().resolved();
    if cli.command.is_none() {
        // Still before any thread starts.
        kdeck::allocator::tune_for_console();
    }
    if let Err(err) = kdeck::errors::install_hooks() {
        eprintln!("kdeck: cannot install error hooks: {err}");
    }
    // The benchmark drives other processes and runs its own runtime.
    if let Some(Command::Bench(args)) = &cli.command {
        return kdeck::bench::run(args);
    }
    let log = kdeck::logging::init();
    kdeck::sources::tls::ensure_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("kdeck: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    kdeck::sources::kube::deadline::configure(
        kdeck::config::load(cli.config.as_deref()).config.api,
    );
    if cli.command.is_none() {
        kdeck::allocator::trim_every(TRIM_EVERY);
    }
    let code = match &cli.command {
        None => match runtime.block_on(kdeck::console::run_console(&cli, log)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                kdeck::tui::restore();
                kdeck::commands::out::err_line(format_args!("kdeck: {err:?}"));
                ExitCode::FAILURE
            }
        },
        Some(command) => runtime.block_on(headless(&cli, command)),
    };
    // A request or credential plugin that hangs must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(300));
    code
}

/// How often the console hands freed memory back to the system (kdeck::allocator).
const TRIM_EVERY: Duration = Duration::from_secs(30);

/// A rollout command ends itself at its `--timeout` with a precise message; this is the
/// backstop after it.
const GRACE: Duration = Duration::from_secs(1);

/// Runs one headless subcommand, bounded by its `--timeout`.
async fn headless(cli: &Cli, command: &Command) -> ExitCode {
    use commands::bounded;
    {
        match command {
            Command::Status(args) => {
                bounded("status", args.timeout, commands::status::run(cli, args)).await
            }
            Command::Logs(args) => {
                bounded("logs", args.timeout, commands::logs::run(cli, args)).await
            }
            Command::Snapshot(args) => {
                bounded("snapshot", args.timeout, commands::snapshot::run(cli, args)).await
            }
            Command::Rollback(args) => {
                let group = commands::group_rollout::GroupOptions {
                    weight: None,
                    stop: args.stop,
                };
                let run = commands::rollout::run(cli, &args.common, RolloutAction::Rollback, group);
                bounded("rollback", Some(args.common.timeout + GRACE), run).await
            }
            Command::Canary(args) => {
                let action = RolloutAction::SetCanary {
                    percent: args.percent.unwrap_or(0),
                };
                let group = commands::group_rollout::GroupOptions {
                    weight: args.weight,
                    stop: false,
                };
                let run = commands::rollout::run(cli, &args.common, action, group);
                bounded("canary", Some(args.common.timeout + GRACE), run).await
            }
            Command::Promote(args) => {
                let group = commands::group_rollout::GroupOptions::default();
                let run = commands::rollout::run(cli, &args.common, RolloutAction::Promote, group);
                bounded("promote", Some(args.common.timeout + GRACE), run).await
            }
            Command::Config(args) => commands::config_check::run(cli, args),
            Command::Probe(args) => commands::probe::run(args).await,
            Command::Bench(_) => ExitCode::SUCCESS,
            Command::Sim(args) => commands::sim::run(args).await,
            // The local GPU view needs no cluster; it samples on its own thread.
            Command::Gpu(args) => commands::gpu::run(args.clone()).unwrap_or_else(|err| {
                eprintln!("kdeck gpu: {err}");
                ExitCode::FAILURE
            }),
        }
    }
}
