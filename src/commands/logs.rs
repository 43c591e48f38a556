//! `kdeck logs NAME`: the merged log stream of a service's pods on stdout, each line
//! prefixed by the full pod name and container as stern does; coloured only on a terminal.
//! New pods join while following (`-f`).

use super::out::{self, Paint, Styled, errln};
use crate::app::effect::LogStreamSpec;
use crate::app::msg::{LogMsg, Msg};
use crate::app::update::logs::wanted;
use crate::cli::Cli;
use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::WatchEvent;
use crate::sources::kube::listing::list_all;
use crate::state::cluster::ClusterState;
use crate::state::logs::{ContainerChoice, LogTarget, LogView, Since};
use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Flags of `kdeck logs`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 done (or interrupted while following); 1 the service has no pods \
    to read; 2 connection or permission error; 7 timed out: the API server or a credential plugin \
    did not answer within its deadline, or --timeout passed (with --follow, it ends following)."
)]
pub struct LogsArgs {
    /// The InferenceService.
    pub name: String,
    #[command(flatten)]
    pub target: crate::cli::ServiceFlags,
    /// Container: kserve-container (default), queue-proxy, storage-initializer, transformer, agent, all.
    #[arg(short = 'c', long, default_value = "kserve-container")]
    pub container: String,
    /// Keep following; pods that start later join.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only lines newer than this (e.g. 30s, 10m, 1h).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub since: Option<Duration>,
    /// Lines from the end of each container's log to start with.
    #[arg(long, default_value_t = 200)]
    pub tail: i64,
    /// The previous (crashed) container instance (it has ended, so this implies no -f).
    #[arg(short = 'p', long)]
    pub previous: bool,
    /// Give up (or, with --follow, stop following) after this long, with exit code 7.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

const COLOURS: [u8; 6] = [36, 32, 35, 33, 34, 31];

fn colour_of(name: &str) -> u8 {
    let hash = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    COLOURS[(hash as usize) % COLOURS.len()]
}

/// Loads the pods of the service into a cluster state.
async fn load(
    client: &kube::Client,
    namespace: &str,
    name: &str,
) -> Result<ClusterState, kube::Error> {
    let mut cluster = ClusterState::default();
    let selector = format!("{}={name}", crate::domain::pod::ISVC_LABEL);
    let scope = NamespaceScope::One(namespace.to_string());
    for kind in [Kind::InferenceService, Kind::Pod] {
        let sel = if kind == Kind::Pod {
            Some(selector.as_str())
        } else {
            None
        };
        let objects = list_all(client, kind, &scope, sel).await?;
        let events = objects
            .iter()
            .map(|o| {
                WatchEvent::Upsert(crate::domain::kind::parse(
                    kind,
                    &serde_json::to_value(o).unwrap_or_default(),
                ))
            })
            .collect();
        cluster.apply(kind, events);
    }
    Ok(cluster)
}

/// Runs `kdeck logs`.
pub async fn run(cli: &Cli, args: &LogsArgs) -> ExitCode {
    let Some(choice) = ContainerChoice::parse(&args.container) else {
        errln!(
            "kdeck logs: unknown container '{}' (kserve-container, queue-proxy, storage-initializer, transformer, agent, all)",
            args.container
        );
        return ExitCode::from(2);
    };
    let connection = match super::connect_or_exit(cli, "logs").await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let namespace = match super::target_namespace(cli, &connection, &args.name, "logs").await {
        Ok(ns) => ns,
        Err(code) => return code,
    };
    let key = ObjectKey::new(&namespace, &args.name);
    // A previous instance has ended: there is nothing to follow (kubectl ends too).
    let follow = args.follow && !args.previous;
    let mut view = LogView::new(LogTarget::Service(key.clone()), 100, 1);
    view.container = choice;
    view.previous = args.previous;
    view.since = Since::All;
    let colour = super::colour_stdout();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(256);
    let cancel = CancellationToken::new();
    let mut started: HashSet<(ObjectKey, String)> = HashSet::new();
    let mut sender = Some(tx);
    loop {
        if let Some(tx) = &sender {
            let cluster = match load(&connection.client, &namespace, &args.name).await {
                Ok(c) => c,
                Err(e) => return super::api_failure("logs", &e),
            };
            if !cluster.isvcs.items.contains_key(&key) {
                errln!("kdeck logs: no InferenceService {key}");
                return ExitCode::from(1);
            }
            for w in wanted(&cluster, &view) {
                if started.insert((w.pod.clone(), w.container.clone())) {
                    let spec = LogStreamSpec {
                        session: 1,
                        pod: w.pod,
                        container: w.container,
                        previous: args.previous,
                        since_seconds: args.since.map(|d| d.as_secs() as i64),
                        tail_lines: Some(args.tail),
                        follow,
                    };
                    tokio::spawn(crate::sources::kube::logs::follow(
                        connection.client.clone(),
                        spec,
                        tx.clone(),
                        cancel.clone(),
                    ));
                }
            }
            if started.is_empty() && !follow {
                errln!(
                    "kdeck logs: no started {} containers in the pods of {key}",
                    choice.label()
                );
                return ExitCode::from(1);
            }
        }
        if !follow {
            // Without -f the streams end by themselves; the channel closes when they have.
            sender = None;
        }
        let rescan = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(rescan);
        loop {
            let msg = tokio::select! {
                _ = tokio::signal::ctrl_c() => { cancel.cancel(); return ExitCode::SUCCESS; }
                _ = &mut rescan, if follow => break,
                msg = rx.recv() => msg,
            };
            match msg {
                Some(Msg::Logs(LogMsg::Lines(batch))) => {
                    if !print(&batch, colour) {
                        cancel.cancel();
                        return ExitCode::SUCCESS;
                    }
                }
                Some(Msg::Logs(LogMsg::Ended {
                    pod,
                    container,
                    reason,
                    ..
                })) => {
                    errln!("kdeck logs: {} {container}: {reason}", pod.name);
                }
                Some(Msg::Logs(LogMsg::Reconnecting {
                    pod,
                    container,
                    error,
                    ..
                })) => {
                    errln!("kdeck logs: {} {container}: {error}", pod.name);
                }
                Some(_) => {}
                None => return ExitCode::SUCCESS,
            }
        }
    }
}

/// Prints a batch; false when stdout is closed (e.g. piped into `head`).
fn print(batch: &crate::app::msg::LogBatch, colour: bool) -> bool {
    let lines = batch.lines.iter().map(|(_, text, _)| {
        Styled::new(colour)
            .paint(Paint::Indexed(colour_of(&batch.pod.name)), &batch.pod.name)
            .plain(format_args!(" {} {}", batch.container, text.text))
    });
    out::print_all(lines)
}
