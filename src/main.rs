//! The `kdeck` binary: parse the command line, install the error and panic hooks, start
//! logging and the runtime, then run the console or a headless subcommand.

use clap::Parser;
use kdeck::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = kdeck::errors::install_hooks() {
        eprintln!("kdeck: cannot install error hooks: {err}");
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
    let result = match &cli.command {
        None => runtime.block_on(kdeck::console::run_console(cli, log)),
        Some(Command::Status(args)) => {
            return runtime.block_on(kdeck::commands::status::run(&cli, args));
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            kdeck::tui::restore();
            eprintln!("kdeck: {err:?}");
            ExitCode::FAILURE
        }
    }
}
