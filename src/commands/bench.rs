//! The command line of `kdeck bench`: which parts to run, at which sizes, for how long. The
//! benchmark itself lives in the bench module; the command line belongs with the others.

use crate::commands::Output;
use std::time::Duration;

/// A part of the benchmark to run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// In-process only, no cluster, kubectl or terminal: log ingest into the logs view's
    /// bounded ring under a flood, and the process's memory as the flood goes on.
    Micro,
}

/// Flags of `kdeck bench`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without --only: for each size, a simulated cluster, kubectl and kdeck in a \
    pseudo-terminal (needs kubectl on PATH). `kdeck bench --only micro` runs just the \
    in-process log ingest: --log-lines lines, three times over, into a ring of --ring lines, \
    printing lines/s, the lines the ring holds and the RSS after each round (flat once the \
    ring is full: memory is bounded). Build with --release for meaningful figures."
)]
pub struct BenchArgs {
    /// Run only this part.
    #[arg(long, value_enum)]
    pub only: Option<Part>,
    /// Lines per flood round of the log ingest measurement (--only micro).
    #[arg(long, default_value_t = 1_000_000)]
    pub log_lines: usize,
    /// Ring capacity of the flooded logs view (--only micro; the console's default).
    #[arg(long, default_value_t = crate::config::Config::default().log_buffer_lines)]
    pub ring: usize,
    /// Cluster sizes to measure (InferenceServices; the scale scenario has 3 pods each).
    #[arg(long = "services", value_delimiter = ',', default_value = "2000")]
    pub services: Vec<usize>,
    /// Scenarios of the simulated cluster to measure each size with.
    #[arg(
        long = "scenario",
        value_delimiter = ',',
        default_value = "scale,scale-quiet"
    )]
    pub scenarios: Vec<String>,
    /// After the measurements, keep the simulated cluster running this many minutes more
    /// and print its RSS 10 minutes in and then (flat over time: within 10 % of the RSS
    /// after start-up).
    #[arg(long, default_value_t = 0, value_name = "MINUTES")]
    pub soak: u64,
    /// Measure this kdeck binary's console instead of this one's (an older build, say),
    /// against the same simulated cluster.
    #[arg(long, value_name = "PATH")]
    pub console: Option<std::path::PathBuf>,
    /// How long to watch the console idle.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub idle: Duration,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
}
