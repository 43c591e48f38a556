//! The `kdeck` binary (for now only the headless `kdeck gpu`; the console's CLI joins here).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// kdeck — a terminal operations console for model serving on Kubernetes with KServe.
#[derive(Debug, Parser)]
#[command(name = "kdeck", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the local GPUs (NVML): utilisation, memory, power, clocks, MIG, processes.
    Gpu(kdeck::commands::gpu::GpuArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = color_eyre::install();
    match cli.command {
        Command::Gpu(args) => match kdeck::commands::gpu::run(args) {
            Ok(code) => code,
            Err(err) => {
                eprintln!("kdeck gpu: {err}");
                ExitCode::FAILURE
            }
        },
    }
}
