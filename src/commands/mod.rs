//! Headless subcommands for scripts and runbooks. Each returns the process exit code.

pub mod status;

/// Output format of headless commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Wide,
    Json,
}
