//! `kdeck gpu`: the local GPUs through NVML, headless. One sample with `--once`, otherwise a
//! table (or a JSON line) per interval until interrupted. Without NVML (no driver, no GPU,
//! no permission) it says which case it is and what to do, and exits with code 3.

mod render;

pub use render::{snapshot_json, snapshot_table, unavailable_json, unavailable_text};

use super::out::errln;
use crate::domain::inert::{inert, inert_json};
use crate::sources::gpu::{
    GpuReport, NvmlBackend, ProcInspector, SamplerConfig, spawn_nvml_sampler, take_snapshot,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code when local GPUs cannot be read.
pub const EXIT_UNAVAILABLE: u8 = 3;

/// Output format of `kdeck gpu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GpuOutput {
    Table,
    Json,
}

/// Flags of `kdeck gpu`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Exit codes: 0 the GPUs were read (without --once, sampling goes on \
    until Ctrl-C, which ends it as the signal does); 1 an unexpected error, e.g. the output could not be written; 2 invalid arguments; \
    3 local GPUs unavailable: no NVIDIA driver library, driver not loaded, no GPU, or no \
    permission (the message says which and what to do).\n\
    JSON output (-o json) is one object per line: {\"available\": true, \"taken_at\", \
    \"driver_version\", \"devices\": [...], \"error\"} or {\"available\": false, \
    \"unavailable\": {\"kind\", \"message\", \"what_to_do\"}}."
)]
pub struct GpuArgs {
    /// Print one sample and exit.
    #[arg(long)]
    pub once: bool,

    /// Time between samples, e.g. 500ms, 2s, 1m (at least 100ms).
    #[arg(long, value_name = "D", default_value = "1s", value_parser = parse_interval)]
    pub interval: Duration,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: GpuOutput,

    /// Load this libnvidia-ml library instead of the system's libnvidia-ml.so.1.
    #[arg(long, value_name = "PATH", env = "KDECK_NVML_LIB")]
    pub nvml_lib: Option<PathBuf>,
}

/// Why `--interval` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    #[error("`{0}` is not a duration; write e.g. 500ms, 2s or 1m")]
    NotADuration(String),
    #[error("`{0}` is too short; the interval must be at least 100ms")]
    TooShort(String),
    #[error("`{0}` is too long; the interval must be under a day")]
    TooLong(String),
}

/// Parses `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds.
pub fn parse_interval(text: &str) -> Result<Duration, IntervalError> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| IntervalError::NotADuration(text.to_string()))?;
    let seconds = value * scale;
    if !seconds.is_finite() || seconds < 0.1 {
        return Err(IntervalError::TooShort(text.to_string()));
    }
    if seconds > 24.0 * 3600.0 {
        return Err(IntervalError::TooLong(text.to_string()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs `kdeck gpu`.
pub fn run(args: GpuArgs) -> color_eyre::Result<ExitCode> {
    if args.once {
        return run_once(&args);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let config = SamplerConfig {
        interval: args.interval,
        procs: ProcInspector::default(),
    };
    let handle = spawn_nvml_sampler(args.nvml_lib.clone().map(Into::into), config, tx)?;
    let mut first = true;
    for report in rx {
        let text = match &report {
            GpuReport::Unavailable(u) => return report_unavailable(&args, u),
            GpuReport::Snapshot(s) => match args.output {
                GpuOutput::Json => format!("{}\n", inert_json(&snapshot_json(s)?)),
                GpuOutput::Table if first => snapshot_table(s),
                GpuOutput::Table => format!("\n{}", snapshot_table(s)),
            },
        };
        first = false;
        if !write_stdout(&text)? {
            break;
        }
    }
    handle.stop();
    Ok(ExitCode::SUCCESS)
}

fn run_once(args: &GpuArgs) -> color_eyre::Result<ExitCode> {
    let mut backend = match NvmlBackend::open(args.nvml_lib.as_deref().map(|p| p.as_os_str())) {
        Ok(backend) => backend,
        Err(u) => return report_unavailable(args, &u),
    };
    let snapshot = take_snapshot(&mut backend, &ProcInspector::default());
    let text = match args.output {
        GpuOutput::Json => format!("{}\n", inert_json(&snapshot_json(&snapshot)?)),
        GpuOutput::Table => snapshot_table(&snapshot),
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn report_unavailable(
    args: &GpuArgs,
    unavailable: &crate::domain::gpu::NvmlUnavailable,
) -> color_eyre::Result<ExitCode> {
    match args.output {
        GpuOutput::Json => {
            write_stdout(&format!(
                "{}\n",
                inert_json(&unavailable_json(unavailable)?)
            ))?;
        }
        GpuOutput::Table => errln!("{}", unavailable_text(unavailable).trim_end()),
    }
    Ok(ExitCode::from(EXIT_UNAVAILABLE))
}

/// Writes to stdout, made inert (process names come from other users); `false` when the reader has gone (a closed pipe), which ends quietly.
fn write_stdout(text: &str) -> color_eyre::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out
        .write_all(inert(text).as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(color_eyre::eyre::eyre!(
            "cannot write the GPU readings to standard output: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_interval("3"), Ok(Duration::from_secs(3)));
        assert_eq!(
            parse_interval("10ms"),
            Err(IntervalError::TooShort("10ms".into()))
        );
        assert_eq!(
            parse_interval("soon"),
            Err(IntervalError::NotADuration("soon".into()))
        );
        assert_eq!(
            parse_interval("0"),
            Err(IntervalError::TooShort("0".into()))
        );
        assert_eq!(
            parse_interval("2d"),
            Err(IntervalError::NotADuration("2d".into()))
        );
        assert_eq!(
            parse_interval("25h").map_err(|e| e.to_string()),
            Err("`25h` is not a duration; write e.g. 500ms, 2s or 1m".to_string())
        );
        assert_eq!(
            parse_interval("1441m"),
            Err(IntervalError::TooLong("1441m".into()))
        );
    }

    #[test]
    fn interval_errors_say_what_to_write() {
        assert_eq!(
            IntervalError::NotADuration("soon".into()).to_string(),
            "`soon` is not a duration; write e.g. 500ms, 2s or 1m"
        );
        assert_eq!(
            IntervalError::TooShort("10ms".into()).to_string(),
            "`10ms` is too short; the interval must be at least 100ms"
        );
        assert_eq!(
            IntervalError::TooLong("2000m".into()).to_string(),
            "`2000m` is too long; the interval must be under a day"
        );
    }
}
