//! `kdeck snapshot NAME`: writes the incident snapshot of a service (the same Markdown the
//! console's snapshot key writes) and prints its path.

use super::out::{errln, outln};
use crate::app::update::incident::request;
use crate::cli::Cli;
use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::WatchEvent;
use crate::sources::kube::listing::{list_all, load_services};
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags of `kdeck snapshot`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 written; 1 no such service or the file could not be written; \
    2 connection or permission error; 7 timed out: the API server or a credential plugin did \
    not answer within its deadline, or --timeout passed."
)]
pub struct SnapshotArgs {
    /// The InferenceService.
    pub name: String,
    #[command(flatten)]
    pub target: crate::cli::ServiceFlags,
    /// Where to write the Markdown (default: the state directory).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Give up after this long (e.g. 30s, 2m) with exit code 7; without it each API request
    /// still has its own deadline ([api] request_timeout).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Option<std::time::Duration>,
}

/// Runs `kdeck snapshot`.
pub async fn run(cli: &Cli, args: &SnapshotArgs) -> ExitCode {
    let connection = match super::connect_or_exit(cli, "snapshot").await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let namespace = match super::target_namespace(cli, &connection, &args.name, "snapshot").await {
        Ok(ns) => ns,
        Err(code) => return code,
    };
    let scope = NamespaceScope::One(namespace.clone());
    let mut cluster = match load_services(&connection.client, &scope).await {
        Ok(c) => c,
        Err(e) => return super::api_failure("snapshot", &e),
    };
    if let Ok(events) = list_all(&connection.client, Kind::Event, &scope, None).await {
        let events = events
            .iter()
            .map(|o| {
                WatchEvent::Upsert(crate::domain::kind::parse(
                    Kind::Event,
                    &serde_json::to_value(o).unwrap_or_default(),
                ))
            })
            .collect();
        cluster.apply(Kind::Event, events);
    }
    let mut state = super::headless_state(cli, scope, connection.context.clone());
    state.cluster = cluster;
    let key = ObjectKey::new(&namespace, &args.name);
    super::figures::measure_once(&connection.client, &mut state, std::slice::from_ref(&key)).await;
    let Some(mut req) = request(&state, &key) else {
        errln!("kdeck snapshot: no InferenceService {key}");
        return ExitCode::from(1);
    };
    req.path = args.output.clone();
    match crate::sources::incident::write(&connection.client, req).await {
        Ok(path) => {
            outln!("{path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("kdeck snapshot: {e}");
            ExitCode::from(1)
        }
    }
}
