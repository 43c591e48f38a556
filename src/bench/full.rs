//! `kdeck bench` without `--only micro` (feature `bench`): for each size and scenario, a
//! simulated cluster, kubectl and kdeck in a pseudo-terminal, and the figures side by side.

use super::error::BenchError;
use super::proc_stat::{cpu_seconds, rss_mb, rss_peak_mb};
use super::procs::{Console, SimProcess, kubectl_list, sim_requests};
use super::{BenchArgs, micro};
use crate::commands::Output;
use serde::Serialize;
use std::process::ExitCode;
use std::time::Duration;

/// Frames drawn for the frame time: about a second of CPU, enough for /proc's 10 ms steps.
const FRAMES: u32 = 2_000;

/// The figures for one size (JSON field names are stable).
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub scenario: String,
    pub services: usize,
    pub pods: usize,
    pub first_rows_s: f64,
    pub first_rows_ratio_vs_kubectl: f64,
    pub kdeck_list_s: f64,
    pub kubectl_list_s: f64,
    pub list_ratio_vs_kubectl: f64,
    /// Resident memory at the end of the idle window, once everything is loaded.
    pub rss_mb: f64,
    /// The most the console's RSS reached (VmHWM), start-up included.
    pub rss_peak_mb: f64,
    /// RSS divided by the services (and by the pods): everything included.
    pub rss_bytes_per_service: f64,
    pub rss_bytes_per_pod: f64,
    /// From the complete list drawn until the console settled (a 5 s window under
    /// [`SETTLED_PCT`] of a core): the rest of start-up, e.g. the pods still listing.
    pub settle_s: f64,
    pub settle_cpu_pct: f64,
    /// Whether it settled within [`SETTLE_MAX`]; when not, the idle window starts then.
    pub settled: bool,
    /// CPU over the idle window, which starts once the console has settled.
    pub idle_cpu_pct: f64,
    pub idle_tty_bytes: u64,
    pub idle_tty_bytes_per_s: f64,
    /// Requests the console made to the API server while idle, per minute per 1,000 services.
    pub idle_api_requests_per_min_per_1000: f64,
    /// CPU to draw the list after a key that scrolls it (200×50).
    pub frame_ms: f64,
    /// CPU for that key's `update` (the rows on screen, the latency targets).
    pub key_ms: f64,
    pub log_lines_per_s: f64,
    pub log_ring_lines_held: usize,
    pub log_ring_capacity: usize,
    pub sim_rss_mb: f64,
    pub sim_rss_start_mb: f64,
    /// The sim's RSS 10 minutes into the soak, when `--soak` is at least that long.
    pub sim_rss_soak_10min_mb: Option<f64>,
    /// The sim's RSS after `--soak` minutes more, when asked.
    pub sim_rss_soak_mb: Option<f64>,
    pub soak_minutes: u64,
    pub cores: usize,
}

/// A 5 s window under this share of a core ends start-up.
const SETTLED_PCT: f64 = 10.0;
/// The longest start-up waited for before the idle window starts anyway.
const SETTLE_MAX: Duration = Duration::from_secs(120);
/// One window of the settling check: one round of the latency scrapes.
const SETTLE_WINDOW: Duration = Duration::from_secs(5);

/// Waits until `pid` uses under [`SETTLED_PCT`] of a core over one [`SETTLE_WINDOW`] (after
/// at least one): (seconds waited, CPU % over them, whether it settled).
fn settle(pid: u32) -> (f64, f64, bool) {
    let started = std::time::Instant::now();
    let cpu_start = cpu_seconds(pid).unwrap_or(0.0);
    let mut cpu_before = cpu_start;
    let settled = loop {
        std::thread::sleep(SETTLE_WINDOW);
        let cpu_now = cpu_seconds(pid).unwrap_or(0.0);
        let pct = (cpu_now - cpu_before) / SETTLE_WINDOW.as_secs_f64() * 100.0;
        cpu_before = cpu_now;
        if pct < SETTLED_PCT {
            break true;
        }
        if started.elapsed() >= SETTLE_MAX {
            break false;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    (secs, (cpu_before - cpu_start) / secs * 100.0, settled)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// What to measure once: a scenario at a size.
struct Case<'a> {
    exe: &'a std::path::Path,
    console: &'a std::path::Path,
    dir: &'a std::path::Path,
    scenario: &'a str,
    services: usize,
    idle: Duration,
    soak: u64,
}

fn measure(case: &Case) -> Result<BenchResult, BenchError> {
    let (services, idle) = (case.services, case.idle);
    eprintln!(
        "bench: {services} services, {}: starting the simulated cluster…",
        case.scenario
    );
    let sim = SimProcess::start(case.exe, case.dir, case.scenario, services)?;
    let sim_rss_start_mb = rss_mb(sim.pid()).unwrap_or(f64::NAN);
    let mut kubectl_runs = Vec::new();
    for _ in 0..3 {
        let (secs, rows) = kubectl_list(&sim.kubeconfig)?;
        if rows != services {
            return Err(BenchError::KubectlRows {
                rows,
                expected: services,
            });
        }
        kubectl_runs.push(secs);
    }
    eprintln!(
        "bench: kubectl get isvc -A: {:.3}s (median of 3)",
        median(kubectl_runs.clone())
    );
    let timeout = Duration::from_secs(120);
    let (mut first_runs, mut kdeck_runs) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        let console = Console::start(case.console, &sim.kubeconfig, case.dir)?;
        let (first, full) = console.wait_for_full_list(services, timeout)?;
        first_runs.push(first);
        kdeck_runs.push(full);
    }
    // The third run stays up for the idle measurements.
    let console = Console::start(case.console, &sim.kubeconfig, case.dir)?;
    let (first, full) = console.wait_for_full_list(services, timeout)?;
    first_runs.push(first);
    kdeck_runs.push(full);
    let (first_rows_s, kdeck_list_s) = (median(first_runs), median(kdeck_runs));
    eprintln!(
        "bench: kdeck first rows {first_rows_s:.3}s, complete list drawn: {kdeck_list_s:.3}s (medians of 3)"
    );
    let pid = console.pid().ok_or(BenchError::NoPid)?;
    // The rest of start-up (at 10,000 services the pods are still listing), then idle.
    let (settle_s, settle_cpu_pct, settled) = settle(pid);
    eprintln!(
        "bench: settled {settle_s:.0}s after the list at {settle_cpu_pct:.1}% of a core{}",
        if settled {
            ""
        } else {
            " (not under the threshold: idle measured anyway)"
        }
    );
    let cpu_before = cpu_seconds(pid).unwrap_or(0.0);
    let bytes_before = console.bytes_written();
    let requests_before = sim_requests(&sim.kubeconfig)?;
    std::thread::sleep(idle);
    let cpu_after = cpu_seconds(pid).unwrap_or(0.0);
    let idle_tty_bytes = console.bytes_written() - bytes_before;
    // The statistics request itself is one of them.
    let idle_requests = sim_requests(&sim.kubeconfig)?.saturating_sub(requests_before + 1);
    let idle_cpu_pct = (cpu_after - cpu_before) / idle.as_secs_f64() * 100.0;
    let rss = rss_mb(pid).unwrap_or(f64::NAN);
    let rss_peak_mb = rss_peak_mb(pid).unwrap_or(f64::NAN);
    drop(console);
    eprintln!("bench: loading the list in-process for the frame measurement…");
    let cluster = load_cluster(&sim)?;
    let pods = cluster.pods.len();
    let frame = micro::frame_cost(cluster, FRAMES);
    let ingest = micro::log_ingest(1_000_000, 20_000);
    let sim_rss_mb = rss_mb(sim.pid()).unwrap_or(f64::NAN);
    let (sim_rss_soak_10min_mb, sim_rss_soak_mb) = soak(sim.pid(), case.soak);
    let kubectl_list_s = median(kubectl_runs);
    let minutes = idle.as_secs_f64() / 60.0;
    Ok(BenchResult {
        scenario: case.scenario.to_string(),
        services,
        pods,
        first_rows_s,
        first_rows_ratio_vs_kubectl: first_rows_s / kubectl_list_s,
        kdeck_list_s,
        kubectl_list_s,
        list_ratio_vs_kubectl: kdeck_list_s / kubectl_list_s,
        rss_mb: rss,
        rss_peak_mb,
        rss_bytes_per_service: rss * 1048576.0 / services.max(1) as f64,
        rss_bytes_per_pod: rss * 1048576.0 / pods.max(1) as f64,
        settle_s,
        settle_cpu_pct,
        settled,
        idle_cpu_pct,
        idle_tty_bytes,
        idle_tty_bytes_per_s: idle_tty_bytes as f64 / idle.as_secs_f64(),
        idle_api_requests_per_min_per_1000: idle_requests as f64
            / minutes
            / (services.max(1) as f64 / 1000.0),
        frame_ms: frame.frame_ms,
        key_ms: frame.key_ms,
        log_lines_per_s: ingest.lines_per_s,
        log_ring_lines_held: ingest.lines_held,
        log_ring_capacity: ingest.capacity,
        sim_rss_mb,
        sim_rss_start_mb,
        sim_rss_soak_10min_mb,
        sim_rss_soak_mb,
        soak_minutes: case.soak,
        cores: std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1),
    })
}

/// Leaves the sim running `minutes` more; returns its RSS after 10 of them (when it runs
/// that long) and at the end (None when not asked).
fn soak(pid: u32, minutes: u64) -> (Option<f64>, Option<f64>) {
    if minutes == 0 {
        return (None, None);
    }
    eprintln!("bench: soaking the simulated cluster for {minutes} min…");
    let first = minutes.min(10);
    std::thread::sleep(Duration::from_secs(first * 60));
    let at_10 = (minutes >= 10).then(|| rss_mb(pid).unwrap_or(f64::NAN));
    if let Some(mb) = at_10 {
        eprintln!("bench: the simulated cluster after 10 min: {mb:.1} MB");
    }
    std::thread::sleep(Duration::from_secs((minutes - first) * 60));
    (at_10, Some(rss_mb(pid).unwrap_or(f64::NAN)))
}

/// Lists the sim's services, pods and nodes through the real client, as the console does.
fn load_cluster(sim: &SimProcess) -> Result<crate::state::cluster::ClusterState, BenchError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BenchError::Runtime)?;
    runtime.block_on(async {
        let source = crate::sources::kube::connect::KubeconfigSource::File(sim.kubeconfig.clone());
        let conn = crate::sources::kube::connect::connect(&source, None)
            .await
            .map_err(BenchError::Connect)?;
        crate::sources::kube::listing::load_services(
            &conn.client,
            &crate::domain::scope::NamespaceScope::All,
        )
        .await
        .map_err(BenchError::List)
    })
}

fn print_table(results: &[BenchResult]) {
    println!(
        "{:>11} {:>8} {:>6} {:>8} {:>7} {:>10} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7} {:>8} {:>9} {:>8} {:>6} {:>9} {:>11}",
        "scenario",
        "services",
        "pods",
        "first s",
        "ratio",
        "kubectl s",
        "list s",
        "ratio",
        "RSS MB",
        "peak MB",
        "B/svc",
        "B/pod",
        "settle s/%",
        "idle %",
        "idle B/s",
        "req/min/k",
        "frame ms",
        "key ms",
        "log l/s",
        "sim MB"
    );
    for r in results {
        let soak: String = [r.sim_rss_soak_10min_mb, r.sim_rss_soak_mb]
            .iter()
            .flatten()
            .map(|m| format!("→{m:.0}"))
            .collect();
        println!(
            "{:>11} {:>8} {:>6} {:>8.3} {:>7.2} {:>10.3} {:>7.3} {:>7.2} {:>7.1} {:>7.1} {:>7.0} {:>8.0} {:>9} {:>6.2}% {:>8.1} {:>9.1} {:>8.3} {:>6.3} {:>9.0} {:>5.0}→{:.0}{soak}",
            r.scenario,
            r.services,
            r.pods,
            r.first_rows_s,
            r.first_rows_ratio_vs_kubectl,
            r.kubectl_list_s,
            r.kdeck_list_s,
            r.list_ratio_vs_kubectl,
            r.rss_mb,
            r.rss_peak_mb,
            r.rss_bytes_per_service,
            r.rss_bytes_per_pod,
            format!(
                "{:.0}/{:.0}{}",
                r.settle_s,
                r.settle_cpu_pct,
                if r.settled { "" } else { "!" }
            ),
            r.idle_cpu_pct,
            r.idle_tty_bytes_per_s,
            r.idle_api_requests_per_min_per_1000,
            r.frame_ms,
            r.key_ms,
            r.log_lines_per_s,
            r.sim_rss_start_mb,
            r.sim_rss_mb,
        );
    }
    if let Some(r) = results.first() {
        println!(
            "goals: first rows <= 0.25x and list <= 0.8x kubectl, RSS < 60 MB at 2,000 (150 MB at 10,000), idle CPU < 1% (2% at 10,000) once settled (a 5 s window under 10%; ! = it did not within 120 s), RSS at the end of the idle window, idle output <= 1 KB/s (0 B/s quiet), frame < 0.5 ms (CPU to draw 200x50 after a key that scrolls; key = that key's update), >= 200k log lines/s (ring held {}/{}), sim MB (after start-up → end → 10 min into --soak → after it) flat",
            r.log_ring_lines_held, r.log_ring_capacity
        );
    }
}

/// Measures every size and scenario against kubectl and prints the figures.
pub fn run(args: &BenchArgs) -> ExitCode {
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
        for scenario in &args.scenarios {
            let case = Case {
                exe: &exe,
                console: args.console.as_deref().unwrap_or(&exe),
                dir: &dir,
                scenario,
                services: n,
                idle: args.idle,
                soak: args.soak,
            };
            match measure(&case) {
                Ok(r) => results.push(r),
                Err(e) => {
                    eprintln!("kdeck bench: {n} services, {scenario}: {e}");
                    let _ = std::fs::remove_dir_all(&dir);
                    return ExitCode::FAILURE;
                }
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

fn tempfile_dir() -> Result<std::path::PathBuf, BenchError> {
    let dir = std::env::temp_dir().join(format!("kdeck-bench-{}", std::process::id()));
    match std::fs::create_dir_all(&dir) {
        Ok(()) => Ok(dir),
        Err(source) => Err(BenchError::TempDir { path: dir, source }),
    }
}
