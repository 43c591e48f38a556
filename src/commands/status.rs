//! `kdeck status`: the services list, printed once, for scripts and runbooks. The rows are
//! the console's rows (same parsing, same cell text). Exit codes: 0 all listed services
//! Ready, 1 any not Ready, 2 connection or permission error, 7 timed out.

use super::Output;
use super::out;
use crate::cli::Cli;
use crate::domain::inert::inert;
use crate::domain::isvc::Readiness;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crate::state::session::{NamespaceScope, Session};
use crate::ui::symbols::Symbols;
use crate::ui::views::services::cell;
use serde_json::json;
use std::process::ExitCode;

/// Flags of `kdeck status`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 every listed service is Ready; 1 at least one is not Ready; \
    2 the cluster could not be reached or the listing was refused; 7 timed out: the API server \
    or a credential plugin did not answer within its deadline ([api] request_timeout, \
    [api] exec_timeout in config.toml), or --timeout passed."
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: crate::cli::ListFlags,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
    /// Give up after this long (e.g. 30s, 2m) with exit code 7; without it each API request
    /// still has its own deadline ([api] request_timeout).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Option<std::time::Duration>,
}

/// Runs `kdeck status`.
pub async fn run(cli: &Cli, args: &StatusArgs) -> ExitCode {
    let connection = match super::connect_or_exit(cli, "status").await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let namespace = match &cli.namespace {
        Some(ns) => NamespaceScope::One(ns.clone()),
        None => NamespaceScope::All,
    };
    let cluster =
        match crate::sources::kube::listing::load_services(&connection.client, &namespace).await {
            Ok(c) => c,
            Err(e) => return super::api_failure("status", &e),
        };
    let (keymap, _) = crate::config::keymap::Keymap::load(None);
    let session = Session {
        namespace: namespace.clone(),
        context: connection.context.clone(),
        ..Session::default()
    };
    let mut state = State::new(
        keymap,
        crate::config::Config::default(),
        session,
        chrono::Utc::now(),
    );
    state.cluster = cluster;
    state.derived.dirty = true;
    state.refresh_derived();
    let sym = if std::env::var("LANG")
        .unwrap_or_default()
        .to_lowercase()
        .contains("utf")
    {
        Symbols::UNICODE
    } else {
        Symbols::ASCII
    };
    let text = match args.output {
        Output::Json => render_json(&state),
        Output::Table | Output::Wide => render_table(
            &state,
            &sym,
            args.output == Output::Wide,
            namespace == NamespaceScope::All,
        ),
    };
    match args.output {
        Output::Json => out::json(&text),
        Output::Table | Output::Wide => out::line(&text),
    };
    let all_ready = state.derived.services.iter().all(|k| {
        state
            .cluster
            .isvcs
            .items
            .get(k)
            .is_some_and(|i| i.readiness() == Readiness::Ready && !i.stopped())
    });
    if all_ready {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The columns printed for table and wide output.
pub fn columns(wide: bool, all_namespaces: bool) -> Vec<ServiceColumn> {
    let mut cols = vec![ServiceColumn::Name];
    if all_namespaces {
        cols.push(ServiceColumn::Namespace);
    }
    cols.extend([
        ServiceColumn::Ready,
        ServiceColumn::Traffic,
        ServiceColumn::Replicas,
    ]);
    if wide {
        cols.extend([
            ServiceColumn::Mode,
            ServiceColumn::Runtime,
            ServiceColumn::Gpus,
        ]);
    }
    cols.push(ServiceColumn::Age);
    cols
}

/// Plain aligned columns, like kubectl prints.
pub fn render_table(state: &State, sym: &Symbols, wide: bool, all_namespaces: bool) -> String {
    let cols = columns(wide, all_namespaces);
    let mut rows: Vec<Vec<String>> = vec![cols.iter().map(|c| c.title().to_string()).collect()];
    for key in &state.derived.services {
        rows.push(
            cols.iter()
                // Inert before measuring, so hostile text cannot skew the columns.
                .map(|c| inert(&cell(state, sym, key, *c).text).into_owned())
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..cols.len())
        .map(|i| {
            rows.iter()
                .map(|r| crate::ui::text::width(&r[i]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(i, v)| {
                    if i + 1 == r.len() {
                        v.clone()
                    } else {
                        crate::ui::text::pad(v, widths[i] + 2, "")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One JSON object per service, with stable field names.
pub fn render_json(state: &State) -> String {
    let items: Vec<serde_json::Value> = state
        .derived
        .services
        .iter()
        .filter_map(|k| state.cluster.isvcs.items.get(k).map(|i| (k, i)))
        .map(|(key, isvc)| {
            let (ready, total, gpus) = crate::state::services::replica_counts(state, key);
            let (is_ready, reason) = match isvc.readiness() {
                Readiness::Ready => (true, String::new()),
                Readiness::NotReady(r) | Readiness::Progressing(r) => (false, r),
                Readiness::Unknown => (false, "NoStatus".to_string()),
            };
            let traffic: Vec<serde_json::Value> = isvc
                .predictor_status()
                .map(|s| {
                    s.traffic
                        .iter()
                        .map(|t| json!({"revision": t.revision, "percent": t.percent, "latest": t.latest, "tag": t.tag}))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "name": key.name,
                "namespace": key.namespace,
                "ready": is_ready,
                "reason": reason,
                "mode": isvc.mode.map(|m| m.label()),
                "runtime": isvc.runtime_label(),
                "url": isvc.url,
                "traffic": traffic,
                "replicas": {"ready": ready, "total": total},
                "gpus": gpus,
                "created": isvc.meta.created,
                "problems": isvc.problems.0,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}
