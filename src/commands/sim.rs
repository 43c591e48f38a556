//! `kdeck sim`: serve the simulated KServe cluster to other clients (kubectl, kdeck, tests)
//! until Ctrl-C or SIGTERM. Prints `listening on URL` once it accepts requests, and writes a
//! kubeconfig whose only context reaches it.

use super::out::{errln, outln};
use crate::sim::faults::FaultSpec;
use crate::sim::scenario::Scenario;
use crate::sim::{SimOptions, SimServer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `kdeck sim`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Faults (--fault, repeatable): drop-watches=DUR, drop-logs=DUR, gone-on-resume, \
    conflict-next-patch, reject-dry-run, forbid-namespace=NS, forbid-verb=VERB[:RESOURCE], latency=DUR, \
    error500=KIND|FRACTION, hang=KIND, lose-answer=KIND (KIND: get, list, watch, create, update, patch, delete, \
    log, proxy, all). They can also be changed while it runs: POST a spec to \
    /kdeck-sim/v1/faults, DELETE there clears them.\n\n\
    Exit codes: 0 stopped by Ctrl-C or SIGTERM; 2 bad flags or the address cannot be used."
)]
pub struct SimArgs {
    /// Address to listen on; port 0 picks a free port (the address is printed).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Write a kubeconfig for the simulated cluster here (kubectl --kubeconfig PATH …).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// What the cluster holds: demo (a dozen services), scale (--services N), scale-quiet (scale
    /// without traffic or failing models: nothing changes), empty.
    #[arg(long, default_value = "demo", value_name = "NAME")]
    pub scenario: Scenario,
    /// Number of InferenceServices of the scale scenario (3 pods each).
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub services: usize,
    /// Varies the traffic pattern.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Inject a fault (see below); repeatable.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<FaultSpec>,
    /// Run simulated delays this many times faster than real time.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub time_scale: f64,
}

/// Runs `kdeck sim` until interrupted.
pub async fn run(args: &SimArgs) -> ExitCode {
    let options = SimOptions {
        listen: args.listen,
        scenario: args.scenario,
        services: args.services,
        seed: args.seed,
        faults: args.faults.clone(),
        time_scale: args.time_scale,
    };
    let server = match SimServer::start(options).await {
        Ok(s) => s,
        Err(e) => {
            errln!("kdeck sim: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.kubeconfig_out
        && let Err(e) = server.write_kubeconfig(path)
    {
        errln!("kdeck sim: {e}");
        return ExitCode::from(2);
    }
    let services = crate::sim::resources::find("serving.kserve.io", "v1beta1", "inferenceservices")
        .map(|r| server.store.count(r))
        .unwrap_or(0);
    let pods = crate::sim::resources::find("", "v1", "pods")
        .map(|r| server.store.count(r))
        .unwrap_or(0);
    let kubeconfig = match &args.kubeconfig_out {
        Some(p) => format!("; kubeconfig: {}", p.display()),
        None => String::new(),
    };
    outln!(
        "kdeck sim: listening on {} ({} InferenceServices, {} pods{kubeconfig})",
        server.url(),
        services,
        pods
    );
    wait_for_stop().await;
    server.shutdown();
    ExitCode::SUCCESS
}

/// Waits for Ctrl-C or SIGTERM.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
