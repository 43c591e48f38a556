//! `kdeck bench`: kdeck measured against kubectl on the same simulated cluster, at several
//! sizes, so growth is visible. Figures are printed, never asserted.
//!
//! For each size: start `kdeck sim --scenario scale --services N`; time `kubectl get isvc -A`
//! (median of 3); time kdeck in a pseudo-terminal from start until the complete list is
//! drawn (median of 3); then, with kdeck left running, its RSS after load, its CPU and the
//! bytes it wrote to the terminal over an idle window; and in-process, the time to draw the
//! list and the log ingest rate into a bounded ring. `--only micro` runs the last alone
//! (no cluster, kubectl or terminal), with the process's memory over a longer flood.

pub mod micro;
pub mod procs;

use crate::commands::Output;
use procs::{Console, SimProcess, cpu_seconds, kubectl_list, rss_mb};
use serde::Serialize;
use std::process::ExitCode;
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
    /// How long to watch the console idle.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub idle: Duration,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
}

/// The figures for one size (JSON field names are stable).
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub services: usize,
    pub pods: usize,
    pub kdeck_list_s: f64,
    pub kubectl_list_s: f64,
    pub list_ratio_vs_kubectl: f64,
    pub rss_mb: f64,
    pub idle_cpu_pct: f64,
    pub idle_tty_bytes: u64,
    pub frame_ms: f64,
    pub log_lines_per_s: f64,
    pub log_ring_lines_held: usize,
    pub log_ring_capacity: usize,
    pub sim_rss_mb: f64,
    pub cores: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn measure(
    exe: &std::path::Path,
    dir: &std::path::Path,
    services: usize,
    idle: Duration,
) -> Result<BenchResult, String> {
    eprintln!("bench: {services} services: starting the simulated cluster…");
    let sim = SimProcess::start(exe, dir, services)?;
    let mut kubectl_runs = Vec::new();
    for _ in 0..3 {
        let (secs, rows) = kubectl_list(&sim.kubeconfig)?;
        if rows != services {
            return Err(format!("kubectl printed {rows} rows, expected {services}"));
        }
        kubectl_runs.push(secs);
    }
    eprintln!(
        "bench: kubectl get isvc -A: {:.3}s (median of 3)",
        median(kubectl_runs.clone())
    );
    let timeout = Duration::from_secs(120);
    let mut kdeck_runs = Vec::new();
    for _ in 0..2 {
        let console = Console::start(exe, &sim.kubeconfig, dir)?;
        kdeck_runs.push(console.wait_for_full_list(services, timeout)?);
    }
    // The third run stays up for the idle measurements.
    let console = Console::start(exe, &sim.kubeconfig, dir)?;
    kdeck_runs.push(console.wait_for_full_list(services, timeout)?);
    let kdeck_list_s = median(kdeck_runs);
    eprintln!("bench: kdeck complete list drawn: {kdeck_list_s:.3}s (median of 3)");
    let pid = console.pid().ok_or("kdeck has no pid")?;
    // Let the first scrapes and the first frame settle, then watch it idle.
    std::thread::sleep(Duration::from_secs(3));
    let rss = rss_mb(pid).unwrap_or(f64::NAN);
    let cpu_before = cpu_seconds(pid).unwrap_or(0.0);
    let bytes_before = console.bytes_written();
    std::thread::sleep(idle);
    let cpu_after = cpu_seconds(pid).unwrap_or(0.0);
    let idle_tty_bytes = console.bytes_written() - bytes_before;
    let idle_cpu_pct = (cpu_after - cpu_before) / idle.as_secs_f64() * 100.0;
    drop(console);
    eprintln!("bench: loading the list in-process for the frame measurement…");
    let cluster = load_cluster(&sim)?;
    let pods = cluster.pods.len();
    let frame_ms = micro::frame_ms(cluster, 300);
    let ingest = micro::log_ingest(1_000_000, 20_000);
    let sim_rss_mb = rss_mb(sim.pid()).unwrap_or(f64::NAN);
    let kubectl_list_s = median(kubectl_runs);
    Ok(BenchResult {
        services,
        pods,
        kdeck_list_s,
        kubectl_list_s,
        list_ratio_vs_kubectl: kdeck_list_s / kubectl_list_s,
        rss_mb: rss,
        idle_cpu_pct,
        idle_tty_bytes,
        frame_ms,
        log_lines_per_s: ingest.lines_per_s,
        log_ring_lines_held: ingest.lines_held,
        log_ring_capacity: ingest.capacity,
        sim_rss_mb,
        cores: std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1),
    })
}

/// Lists the sim's services, pods and nodes through the real client, as the console does.
fn load_cluster(sim: &SimProcess) -> Result<crate::state::cluster::ClusterState, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let source = crate::sources::kube::connect::KubeconfigSource::File(sim.kubeconfig.clone());
        let conn = crate::sources::kube::connect::connect(&source, None)
            .await
            .map_err(|e| e.message)?;
        crate::sources::kube::listing::load_services(
            &conn.client,
            &crate::domain::scope::NamespaceScope::All,
        )
        .await
        .map_err(|e| crate::sources::kube::errors::describe(&e))
    })
}

fn print_table(results: &[BenchResult]) {
    println!(
        "{:>8} {:>6} {:>10} {:>11} {:>7} {:>8} {:>9} {:>9} {:>9} {:>12} {:>8}",
        "services",
        "pods",
        "kdeck s",
        "kubectl s",
        "ratio",
        "RSS MB",
        "idle CPU",
        "idle B",
        "frame ms",
        "log lines/s",
        "sim MB"
    );
    for r in results {
        println!(
            "{:>8} {:>6} {:>10.3} {:>11.3} {:>7.2} {:>8.1} {:>8.2}% {:>9} {:>9.3} {:>12.0} {:>8.1}",
            r.services,
            r.pods,
            r.kdeck_list_s,
            r.kubectl_list_s,
            r.list_ratio_vs_kubectl,
            r.rss_mb,
            r.idle_cpu_pct,
            r.idle_tty_bytes,
            r.frame_ms,
            r.log_lines_per_s,
            r.sim_rss_mb
        );
    }
    if let Some(r) = results.first() {
        println!(
            "goals: ratio <= 1.0, RSS < 60 MB (150 MB at 10k), idle CPU < 1%, idle bytes 0, frame well under 1 ms, >= 200k log lines/s (ring held {}/{})",
            r.log_ring_lines_held, r.log_ring_capacity
        );
    }
}

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
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("kdeck bench: cannot find its own binary: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("kdeck bench: {e}");
            return ExitCode::from(2);
        }
    };
    let mut results = Vec::new();
    for &n in &args.services {
        match measure(&exe, &dir, n, args.idle) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("kdeck bench: {n} services: {e}");
                let _ = std::fs::remove_dir_all(&dir);
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    match args.output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&results).unwrap_or_default()
        ),
        _ => print_table(&results),
    }
    ExitCode::SUCCESS
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("kdeck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}
