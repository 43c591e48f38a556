//! `kdeck status`: the services list, printed once, for scripts and runbooks. The rows are
//! the console's rows (same parsing, same cell text), with one scrape of the model servers'
//! metrics: a one-shot has no window, so its figures are the cumulative counts since each
//! pod started (`window` in the JSON says so). Exit codes: 0 all listed services Ready and
//! no canary worse than its stable revision and no TrainedModel that failed to load, 1
//! otherwise, 2 connection or permission error,
//! 7 timed out.

use super::Output;
use super::out;
use crate::cli::Cli;
use crate::domain::inert::inert;
use crate::domain::isvc::Readiness;
use crate::domain::scope::NamespaceScope;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crate::ui::symbols::Symbols;
use crate::ui::views::services::Row;
use serde_json::json;
use std::process::ExitCode;

/// Flags of `kdeck status`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Figures (P50, P99, ERR%, RPS; -o wide and -o json) come from one scrape of each \
    pod's metrics through the API server: cumulative counts since the pod started, marked ~. \
    A canary is failing when its error rate or p99 is past the [canary] thresholds of \
    config.toml against its stable revision (default: errors > 1% and > 2x stable, or p99 > \
    1.5x stable and > 100 ms).\n\n\
    Exit codes: 0 every listed service is Ready and no canary is failing; 1 at least one is \
    not Ready, has a failing canary or a TrainedModel that failed to load; 2 the cluster could not be reached or the listing was \
    refused; 7 timed out: the API server \
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
    let mut state = super::headless_state(cli, namespace.clone(), connection.context.clone());
    state.cluster = cluster;
    state.derived.dirty = true;
    state.refresh_derived();
    let keys = state.derived.services.clone();
    super::figures::measure_once(&connection.client, &mut state, &keys).await;
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
    for problem in &state.figures.problems {
        out::errln!("kdeck status: figures: {problem}");
    }
    let all_ready = state.derived.services.iter().all(|k| {
        match state.cluster.isvcs.items.get(k) {
            Some(i) => i.readiness() == Readiness::Ready && !i.stopped(),
            // LLM services are judged below, with their reasons.
            None => state.cluster.llm_isvcs.items.contains_key(k),
        }
    });
    let llm_failing = super::status_llm::failures(&state);
    for line in &llm_failing {
        out::errln!("kdeck status: failing: {line}");
    }
    let failing: Vec<String> = state
        .derived
        .services
        .iter()
        .filter_map(|k| {
            crate::state::canary::breach(&state, k)
                .map(|b| format!("{}/{} canary {}", k.namespace, k.name, b.summary()))
        })
        .collect();
    for line in &failing {
        out::errln!("kdeck status: failing: {line}");
    }
    let trained_failing = super::status_trained::failures(&state);
    for line in &trained_failing {
        out::errln!("kdeck status: failing: {line}");
    }
    if all_ready && failing.is_empty() && llm_failing.is_empty() && trained_failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The JSON `window` of one-shot figures.
pub const ONE_SHOT_WINDOW: &str = "cumulative since pod start";

/// The columns printed for table and wide output.
pub fn columns(wide: bool, all_namespaces: bool, llm: bool) -> Vec<ServiceColumn> {
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
            ServiceColumn::P50,
            ServiceColumn::P99,
            ServiceColumn::Err,
            ServiceColumn::Rps,
        ]);
        if llm {
            cols.extend([
                ServiceColumn::Ttft99,
                ServiceColumn::TokPerS,
                ServiceColumn::Waiting,
                ServiceColumn::KvCache,
            ]);
        }
    }
    cols.push(ServiceColumn::Age);
    cols
}

/// Plain aligned columns, like kubectl prints.
pub fn render_table(state: &State, sym: &Symbols, wide: bool, all_namespaces: bool) -> String {
    let cols = columns(wide, all_namespaces, !state.cluster.llm_isvcs.is_empty());
    let mut rows: Vec<Vec<String>> = vec![cols.iter().map(|c| c.title().to_string()).collect()];
    for key in &state.derived.services {
        let row = Row::new(state, key);
        rows.push(
            cols.iter()
                // Inert before measuring, so hostile text cannot skew the columns.
                .map(|c| inert(&row.cell(sym, *c).text).into_owned())
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
        .filter_map(|k| match state.cluster.isvcs.items.get(k) {
            Some(i) => {
                let mut entry = isvc_entry(state, k, i);
                if let Some(models) = super::status_trained::entries(state, k) {
                    entry["trained_models"] = models;
                }
                Some(entry)
            }
            None => state
                .cluster
                .llm_isvcs
                .items
                .get(k)
                .map(|l| super::status_llm::entry(state, k, l)),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

/// One InferenceService's entry.
fn isvc_entry(
    state: &State,
    key: &crate::domain::key::ObjectKey,
    isvc: &crate::domain::isvc::Isvc,
) -> serde_json::Value {
    let (ready, total, gpus) = crate::state::services::replica_counts(state, key);
    let (is_ready, reason) = match isvc.readiness() {
        Readiness::Ready => (true, String::new()),
        Readiness::NotReady(r) | Readiness::Progressing(r) => (false, r),
        Readiness::Unknown => (false, "NoStatus".to_string()),
    };
    let revision_figures = state.figures.revisions.get(key);
    let traffic: Vec<serde_json::Value> = isvc
                .predictor_status()
                .map(|s| {
                    s.traffic
                        .iter()
                        .map(|t| {
                            let f = revision_figures.and_then(|r| r.get(&t.revision));
                            let mut entry = json!({"revision": t.revision, "percent": t.percent, "latest": t.latest, "tag": t.tag});
                            if let (Some(entry), serde_json::Value::Object(figures)) =
                                (entry.as_object_mut(), figures_json(f))
                            {
                                entry.extend(figures);
                            }
                            entry
                        })
                        .collect()
                })
                .unwrap_or_default();
    let canary = crate::state::canary::breach(state, key).map(|b| {
                json!({"failing": true, "revision": b.canary, "stable": b.stable, "reasons": b.reasons})
            });
    let mut out = json!({
        "kind": "InferenceService",
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
        "figures": figures_json(state.figures.service(key).map(|f| crate::domain::figures::RevisionFigures {
            p50_ms: f.p50_ms,
            p99_ms: f.p99_ms,
            rps: f.rps,
            error_ratio: f.error_ratio,
            cumulative: f.cumulative,
            ..Default::default()
        }).as_ref()),
        "canary": canary.unwrap_or_else(|| json!({"failing": false})),
    });
    if isvc
        .component(crate::domain::isvc::ComponentKind::Transformer)
        .is_some()
    {
        out["chain"] = chain_json(state.figures.chains.get(key));
    }
    out
}

/// A transformer chain's split for `-o json`: p50 and p99 of each stage and the hop's p50,
/// in ms (nulls when not measured).
fn chain_json(f: Option<&crate::domain::latency::chain_window::ChainFigures>) -> serde_json::Value {
    let f = f.copied().unwrap_or_default();
    json!({
        "preprocess_p50_ms": f.preprocess.p50_ms,
        "preprocess_p99_ms": f.preprocess.p99_ms,
        "predict_p50_ms": f.predict.p50_ms,
        "predict_p99_ms": f.predict.p99_ms,
        "postprocess_p50_ms": f.postprocess.p50_ms,
        "postprocess_p99_ms": f.postprocess.p99_ms,
        "hop_p50_ms": f.hop_p50_ms,
    })
}

/// A revision's (or service's) figures for `-o json`: `rps`, `p50_ms`, `p99_ms`,
/// `error_rate` (0–1) and the `window` they cover; nulls when not measured.
fn figures_json(f: Option<&crate::domain::figures::RevisionFigures>) -> serde_json::Value {
    let Some(f) = f else {
        return json!({"rps": null, "p50_ms": null, "p99_ms": null, "error_rate": null, "window": null});
    };
    let window = if f.cumulative {
        ONE_SHOT_WINDOW.to_string()
    } else {
        format!(
            "last {}",
            crate::domain::latency::window::window_label(
                crate::domain::latency::window::DEFAULT_WINDOW
            )
        )
    };
    json!({
        "rps": f.rps,
        "p50_ms": f.p50_ms,
        "p99_ms": f.p99_ms,
        "error_rate": f.error_ratio,
        "window": window,
    })
}
