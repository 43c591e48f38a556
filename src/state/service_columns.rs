//! Which columns the services list shows, and how wide: the column specs (titles, wanted
//! widths, priorities) and the words of the cells that size them. The view draws with these
//! and the sort key cycles through the same columns, so both agree on what is on screen.

use crate::domain::columns::{Column, layout};
use crate::domain::isvc::Readiness;
use crate::domain::key::ObjectKey;
use crate::domain::llm::Llm;
use crate::domain::scope::NamespaceScope;
use crate::state::State;
use crate::state::service_kind::{Svc, llm_breaches};
use crate::state::services::ServiceColumn;
use unicode_width::UnicodeWidthStr;

/// Shown after the name of a service whose canary is guarded.
pub const GUARD_BADGE: &str = " [guard]";

/// Shown after the name of an LLMInferenceService.
pub const LLM_BADGE: &str = " [LLM]";

/// Whether the guard watches `key`'s canary (switched on for it, or for all canaries).
pub fn guarded(state: &State, key: &ObjectKey) -> bool {
    state.guarded.contains(key)
        || (state.config.guard_all
            && state
                .cluster
                .isvcs
                .items
                .get(key)
                .is_some_and(|i| i.canary_in_progress()))
}

/// The readiness the READY cell shows (a stopped InferenceService reads `Stopped`).
pub fn readiness(state: &State, key: &ObjectKey) -> Option<Readiness> {
    if let Some(isvc) = state.cluster.isvcs.items.get(key) {
        return Some(if isvc.stopped() {
            Readiness::NotReady("Stopped".to_string())
        } else {
            isvc.readiness()
        });
    }
    let llm = state.cluster.llm_isvcs.items.get(key)?;
    Some(Svc::Llm(llm).readiness())
}

/// What the TRAFFIC cell says: the split (`sep` between revisions), whether the canary breaches
/// its thresholds (drawn as failing), and whether a canary is in progress.
pub struct Traffic {
    pub label: String,
    pub breaching: bool,
    pub canary: bool,
}

/// The TRAFFIC cell of `key`'s row; None for a key that is not in the list.
pub fn traffic(state: &State, key: &ObjectKey, sep: &str) -> Option<Traffic> {
    if let Some(isvc) = state.cluster.isvcs.items.get(key) {
        return Some(Traffic {
            label: isvc.traffic_label(sep),
            breaching: crate::state::canary::breach(state, key).is_some(),
            canary: isvc.canary_in_progress(),
        });
    }
    let llm = state.cluster.llm_isvcs.items.get(key)?;
    Some(Traffic {
        label: group_label(llm),
        breaching: !llm_breaches(state, key).is_empty(),
        canary: Svc::Llm(llm).canary_in_progress(),
    })
}

/// The routing group's split as seen by this member: `chat 90%`, `chat stopped`, or empty.
pub fn group_label(llm: &Llm) -> String {
    let Some(group) = llm.group() else {
        return String::new();
    };
    let stopped = llm.stopped()
        || llm
            .status
            .router
            .group
            .as_ref()
            .and_then(|g| g.members.iter().find(|m| m.name == llm.meta.name))
            .is_some_and(|m| m.stopped);
    if stopped {
        return format!("{group} stopped");
    }
    match llm
        .status
        .router
        .group
        .as_ref()
        .and_then(|g| g.share_percent(&llm.meta.name))
    {
        Some(share) => format!("{group} {share:.0}%"),
        None => match llm.spec.weight() {
            Some(w) => format!("{group} w{w}"),
            None => group.to_string(),
        },
    }
}

/// Cells taken by a mark (✓, ✗, …, or their ASCII forms: every one is one cell wide) and the
/// space after it.
const MARK: usize = 2;

/// The width of the READY cell: a mark, then the readiness in words.
fn ready_width(state: &State, key: &ObjectKey) -> usize {
    readiness(state, key).map_or(0, |r| MARK + r.word().width())
}

/// The width of the TRAFFIC cell: the split (a one-cell dash when empty), after a mark when
/// the canary breaches.
fn traffic_width(state: &State, key: &ObjectKey) -> usize {
    let Some(t) = traffic(state, key, "·") else {
        return 0;
    };
    match t.label.width() {
        0 => 1,
        w if t.breaching => MARK + w,
        w => w,
    }
}

/// The services list's columns for the rows `visible` (names and cells on screen size the
/// NAME, NAMESPACE, READY and TRAFFIC columns), before the width decides which show.
pub fn columns(state: &State, visible: &[&ObjectKey]) -> Vec<(ServiceColumn, Column)> {
    let name_want = visible
        .iter()
        .map(|k| {
            k.name.chars().count()
                + if state.cluster.isvcs.items.contains_key(*k) {
                    0
                } else {
                    LLM_BADGE.len()
                }
                + if guarded(state, k) {
                    GUARD_BADGE.len()
                } else {
                    0
                }
        })
        .max()
        .unwrap_or(10)
        + 2;
    let ns_want = visible
        .iter()
        .map(|k| k.namespace.chars().count())
        .max()
        .unwrap_or(9);
    // READY and TRAFFIC are as wide as their widest cell on screen (within bounds), so a
    // list of short states leaves room for the figures at 80 columns.
    let content_want = |cell_width: fn(&State, &ObjectKey) -> usize, min: usize, max: usize| {
        visible
            .iter()
            .map(|k| cell_width(state, k))
            .max()
            .unwrap_or(min)
            .clamp(min, max)
    };
    let ready_want = content_want(ready_width, 8, 20);
    let traffic_want = content_want(traffic_width, 10, 21);
    let mut cols = vec![
        (
            ServiceColumn::Name,
            Column::new("NAME", name_want.clamp(12, 42), 10, 0),
        ),
        (
            ServiceColumn::Namespace,
            Column::new("NAMESPACE", ns_want.clamp(9, 20), 9, 2),
        ),
        (ServiceColumn::Ready, Column::new("READY", ready_want, 8, 1)),
        (ServiceColumn::Mode, Column::new("MODE", 9, 8, 9)),
        (ServiceColumn::Runtime, Column::new("RUNTIME", 22, 8, 10)),
        (
            ServiceColumn::Traffic,
            // After ERR%: at 80 columns a long split is cut before the error rate that
            // tells a failing canary is dropped.
            Column::new("TRAFFIC", traffic_want, 10, 3),
        ),
        (ServiceColumn::Replicas, Column::new("REPLICAS", 8, 8, 4)),
        (ServiceColumn::Gpus, Column::new("GPUS", 4, 4, 11)),
        (ServiceColumn::Age, Column::new("AGE", 4, 4, 12)),
        (ServiceColumn::P50, Column::new("P50", 7, 7, 8)),
        (ServiceColumn::P99, Column::new("P99", 7, 7, 4)),
        (ServiceColumn::Err, Column::new("ERR%", 6, 5, 2)),
        (ServiceColumn::Rps, Column::new("RPS", 6, 6, 5)),
        (ServiceColumn::GpuPct, Column::new("GPU%", 5, 5, 7)),
    ];
    // vLLM's figures, only while the list has LLM services.
    if !state.cluster.llm_isvcs.is_empty() {
        cols.extend([
            (ServiceColumn::Ttft99, Column::new("TTFT99", 7, 6, 5)),
            (ServiceColumn::TokPerS, Column::new("TOK/S", 6, 5, 6)),
            (ServiceColumn::Waiting, Column::new("WAIT", 4, 4, 7)),
            (ServiceColumn::KvCache, Column::new("KV%", 4, 4, 8)),
        ]);
    }
    // Multi-model serving, only while the cluster has TrainedModels; the first to drop.
    if !state.cluster.trained.is_empty() {
        cols.push((ServiceColumn::Models, Column::new("MODELS", 6, 6, 13)));
    }
    if state.session.namespace != NamespaceScope::All {
        cols.retain(|(c, _)| *c != ServiceColumn::Namespace);
    }
    cols
}

/// The columns the services list shows at the current terminal width, in display order
/// (the sort key cycles through these only).
pub fn visible_columns(state: &State) -> Vec<ServiceColumn> {
    let visible: Vec<&ObjectKey> = state.services_on_screen().iter().collect();
    let cols = columns(state, &visible);
    let specs: Vec<Column> = cols.iter().map(|(_, c)| c.clone()).collect();
    // The list sits inside a frame: two border cells.
    let width = usize::from(state.ui.width.saturating_sub(2));
    layout(&specs, width)
        .into_iter()
        .map(|(i, _)| cols[i].0)
        .collect()
}
