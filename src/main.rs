//! The `kdeck` binary: parse the command line, install the error and panic hooks, start
//! logging and the runtime, then run the console or a headless subcommand.

use clap::Parser;
use kdeck::cli::{Cli, Command};
use kdeck::commands;
use kdeck::domain::rollout::RolloutAction;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse().resolved();
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
    let Some(command) = &cli.command else {
        return match runtime.block_on(kdeck::console::run_console(&cli, log)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                kdeck::tui::restore();
                eprintln!("kdeck: {err:?}");
                ExitCode::FAILURE
            }
        };
    };
    runtime.block_on(async {
        match command {
            Command::Status(args) => commands::status::run(&cli, args).await,
            Command::Logs(args) => commands::logs::run(&cli, args).await,
            Command::Snapshot(args) => commands::snapshot::run(&cli, args).await,
            Command::Rollback(args) => {
                commands::rollout::run(&cli, &args.common, RolloutAction::Rollback).await
            }
            Command::Canary(args) => {
                commands::rollout::run(
                    &cli,
                    &args.common,
                    RolloutAction::SetCanary {
                        percent: args.percent,
                    },
                )
                .await
            }
            Command::Promote(args) => {
                commands::rollout::run(&cli, &args.common, RolloutAction::Promote).await
            }
            Command::Probe(args) => commands::probe::run(args).await,
            Command::Bench(_) => ExitCode::SUCCESS,
            Command::Sim(args) => commands::sim::run(args).await,
            // The local GPU view needs no cluster; it samples on its own thread.
            Command::Gpu(args) => commands::gpu::run(args.clone()).unwrap_or_else(|err| {
                eprintln!("kdeck gpu: {err}");
                ExitCode::FAILURE
            }),
        }
    })
}
