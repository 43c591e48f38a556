//! Building the incident snapshot of a service from what the console knows: its status,
//! pods, events and live figures; the effect runner adds the log tails and writes the file.

use crate::app::effect::Effect;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::domain::snapshot::header;
use crate::domain::units as format;
use crate::sources::incident::IncidentRequest;
use crate::state::State;
use crate::state::ui::Route;
use std::collections::BTreeSet;

/// Log lines per container in a snapshot.
pub const SNAPSHOT_TAIL: i64 = 50;

/// The snapshot request for `key`, or `None` if the service is unknown.
pub fn request(state: &State, key: &ObjectKey) -> Option<IncidentRequest> {
    let isvc = state.cluster.isvcs.items.get(key)?;
    let mut pods: Vec<_> = state.cluster.pods_of(key).collect();
    pods.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
    let mut names: BTreeSet<String> = pods.iter().map(|p| p.meta.name.clone()).collect();
    names.insert(key.name.clone());
    let events = state.cluster.events_for(&key.namespace, &names);
    let mut figures = Vec::new();
    if let Some(f) = state.figures.service(key) {
        let stale = if f.stale {
            " (stale)"
        } else if f.cumulative {
            " (cumulative since pod start)"
        } else {
            ""
        };
        let mut add = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                figures.push((name.to_string(), format!("{v}{stale}")));
            }
        };
        add("p50 latency", f.p50_ms.map(format::millis));
        add("p99 latency", f.p99_ms.map(format::millis));
        add("requests/s", f.rps.map(format::rate));
        add(
            "error rate",
            f.error_ratio.map(|r| format::percent(r * 100.0)),
        );
        add("GPU utilisation", f.gpu_util_pct.map(format::percent));
        add(
            "cost (list-price estimate)",
            f.usd_per_hour.map(|c| format!("${c:.2}/h")),
        );
    }
    figures.extend(revision_figures(state, key));
    let context = state
        .session
        .context
        .clone()
        .unwrap_or_else(|| "unknown".to_string());
    let streams = pods
        .iter()
        .flat_map(|p| {
            let key = ObjectKey::new(&p.meta.namespace, &p.meta.name);
            p.init_containers
                .iter()
                .chain(&p.containers)
                .filter(|c| {
                    c.restarts > 0 || !matches!(c.state, crate::domain::pod::RunState::Unknown)
                })
                .map(move |c| (key.clone(), c.name.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    Some(IncidentRequest {
        file_name: format!(
            "incident-{}-{}-{}.md",
            key.namespace,
            key.name,
            state.now.format("%Y%m%d-%H%M%S")
        ),
        path: None,
        header: header(isvc, &pods, &events, &figures, &context, state.now),
        object: key.clone(),
        streams,
        tail: SNAPSHOT_TAIL,
    })
}

/// Per revision: p50, p99, rate and errors with the window they cover; then the canary's
/// verdict against its stable revision.
fn revision_figures(state: &State, key: &ObjectKey) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let window = format!(
        "last {}",
        crate::domain::latency::window::window_label(crate::domain::latency::window::window_for(
            state.config.metrics_interval
        ))
    );
    for (revision, f) in state.figures.revisions.get(key).into_iter().flatten() {
        let show =
            |v: Option<f64>, fmt: fn(f64) -> String| v.map(fmt).unwrap_or_else(|| "–".into());
        let covers = if f.cumulative {
            "cumulative since pod start"
        } else {
            window.as_str()
        };
        let stale = if f.stale { ", stale" } else { "" };
        out.push((
            format!(
                "revision {} ({revision})",
                crate::domain::isvc::short_revision(revision)
            ),
            format!(
                "p50 {} · p99 {} · {} req/s · errors {} ({covers}{stale})",
                show(f.p50_ms, format::millis),
                show(f.p99_ms, format::millis),
                show(f.rps, format::rate),
                show(f.error_ratio, crate::domain::canary::percent),
            ),
        ));
    }
    if let Some(b) = crate::state::canary::breach(state, key) {
        out.push((
            "canary".to_string(),
            format!(
                "FAILING: {} ({})",
                b.summary(),
                state.config.canary.describe()
            ),
        ));
    }
    out
}

/// The snapshot action: of the selected service, or the one in view.
pub fn action(state: &mut State) -> Vec<Effect> {
    let key = match state.ui.route().clone() {
        Route::Services => state.selected_service().cloned(),
        Route::Detail(key) | Route::Yaml(key) => Some(key),
        Route::Logs => match state.logs.as_ref().map(|v| v.target.clone()) {
            Some(crate::state::logs::LogTarget::Service(key)) => Some(key),
            _ => None,
        },
        _ => None,
    };
    let Some(request) = key.as_ref().and_then(|k| request(state, k)) else {
        state.notify(
            NoticeLevel::Error,
            "select an InferenceService to snapshot".to_string(),
        );
        return Vec::new();
    };
    state.notify(
        NoticeLevel::Info,
        format!("writing incident snapshot {}…", request.file_name),
    );
    vec![Effect::WriteIncident(Box::new(request))]
}
