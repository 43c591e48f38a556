//! `kdeck bench`: kdeck measured against kubectl on the same simulated cluster, at several
//! sizes, so growth is visible. Figures are printed, never asserted.
//!
//! For each size and scenario (`scale`, which churns, and `scale-quiet`, where nothing
//! changes): start `kdeck sim --scenario S --services N`; time `kubectl get isvc -A`
//! (median of 3); time kdeck in a pseudo-terminal from start until the first service rows
//! and until the complete list are drawn (median of 3); then, with kdeck left running, its
//! RSS after load, its CPU, the bytes it wrote to the terminal and the requests it made to
//! the API server (the sim's statistics) over an idle window; in-process, the time to draw
//! the list and the log ingest rate into a bounded ring; and the sim's RSS after start-up
//! and at the end (after `--soak` minutes more when asked, and 10 minutes into it). `--only micro` runs the last alone
//! (no cluster, kubectl or terminal), with the process's memory over a longer flood.

#[cfg(feature = "bench")]
pub mod error;
#[cfg(feature = "bench")]
mod full;
pub mod micro;
pub mod proc_stat;
#[cfg(feature = "bench")]
pub mod procs;

use crate::commands::Output;
use proc_stat::rss_mb;
use serde::Serialize;
use std::process::ExitCode;

pub use crate::commands::bench::{BenchArgs, Part};

/// The figures of `--only micro` (JSON field names are stable).
#[derive(Debug, Clone, Serialize)]
pub struct MicroResult {
    pub log_lines_sent: usize,
    pub log_lines_per_s: f64,
    /// Lines per second of each round.
    pub rounds_lines_per_s: Vec<f64>,
    pub log_ring_capacity: usize,
    pub log_ring_lines_held: usize,
    pub rss_mb_before: f64,
    /// RSS after each round of the flood.
    pub rss_mb_after_rounds: Vec<f64>,
}

/// The log ingest flood: three rounds of `lines` into one view with a ring of `ring`.
pub fn micro(lines: usize, ring: usize) -> MicroResult {
    let pid = std::process::id();
    let rss_mb_before = rss_mb(pid).unwrap_or(f64::NAN);
    let mut flood = micro::LogFlood::new(ring);
    let mut secs = 0.0;
    let mut rounds_lines_per_s = Vec::new();
    let mut rss_mb_after_rounds = Vec::new();
    for _ in 0..3 {
        let s = flood.feed(lines);
        secs += s;
        rounds_lines_per_s.push(lines as f64 / s.max(1e-9));
        rss_mb_after_rounds.push(rss_mb(pid).unwrap_or(f64::NAN));
    }
    MicroResult {
        log_lines_sent: flood.sent(),
        log_lines_per_s: flood.sent() as f64 / f64::max(secs, 1e-9),
        rounds_lines_per_s,
        log_ring_capacity: flood.capacity(),
        log_ring_lines_held: flood.held(),
        rss_mb_before,
        rss_mb_after_rounds,
    }
}

fn print_micro(r: &MicroResult) {
    let rounds: Vec<String> = r
        .rounds_lines_per_s
        .iter()
        .map(|v| format!("{v:.0}"))
        .collect();
    let rss: Vec<String> = r
        .rss_mb_after_rounds
        .iter()
        .map(|v| format!("{v:.1}"))
        .collect();
    println!(
        "log ingest: {} lines into a ring of {}: {:.0} lines/s (rounds: {})",
        r.log_lines_sent,
        r.log_ring_capacity,
        r.log_lines_per_s,
        rounds.join(", ")
    );
    println!(
        "ring holds {}/{} lines; RSS {:.1} MB before, after each round: {} MB",
        r.log_ring_lines_held,
        r.log_ring_capacity,
        r.rss_mb_before,
        rss.join(", ")
    );
    println!("goals: >= 200k lines/s; the ring full and RSS flat from round to round (bounded)");
}

/// Runs the benchmark and prints the figures.
pub fn run(args: &BenchArgs) -> ExitCode {
    if args.only == Some(Part::Micro) {
        let r = micro(args.log_lines, args.ring);
        match args.output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default()),
            _ => print_micro(&r),
        }
        return ExitCode::SUCCESS;
    }
    run_against_kubectl(args)
}

#[cfg(feature = "bench")]
fn run_against_kubectl(args: &BenchArgs) -> ExitCode {
    full::run(args)
}

#[cfg(not(feature = "bench"))]
fn run_against_kubectl(_args: &BenchArgs) -> ExitCode {
    eprintln!(
        "kdeck bench: this kdeck was built without the `bench` feature, which drives kdeck in a \
         pseudo-terminal against kubectl; rebuild with `cargo build --release --features bench`, \
         or run `kdeck bench --only micro` (in-process, needs no feature)"
    );
    ExitCode::from(2)
}
