//! The services list as the user sees it: rows derived from the InferenceService and pod
//! stores plus live figures, filtered and sorted. The order is recomputed in `update` when
//! something it depends on changes, so drawing only builds the visible rows.

use super::State;
use super::figures::ServiceFigures;
use super::ui::ObjectKey;
use crate::config::keymap::Scope;
use crate::domain::isvc::{Isvc, Readiness};
use crate::domain::selector::{Selector, looks_like_selector};
use std::cmp::Ordering;

/// A column of the services list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceColumn {
    Name,
    Namespace,
    Ready,
    Mode,
    Runtime,
    Traffic,
    Replicas,
    Gpus,
    Age,
    P50,
    P99,
    Rps,
    GpuPct,
    /// The worst revision's error rate; sorting by it puts the unhealthy first.
    Err,
}

impl ServiceColumn {
    pub const ALL: [ServiceColumn; 14] = [
        ServiceColumn::Name,
        ServiceColumn::Namespace,
        ServiceColumn::Ready,
        ServiceColumn::Mode,
        ServiceColumn::Runtime,
        ServiceColumn::Traffic,
        ServiceColumn::Replicas,
        ServiceColumn::Gpus,
        ServiceColumn::Age,
        ServiceColumn::P50,
        ServiceColumn::P99,
        ServiceColumn::Rps,
        ServiceColumn::GpuPct,
        ServiceColumn::Err,
    ];

    /// The services list's default sort: the unhealthy first.
    pub const DEFAULT_SORT: ServiceColumn = ServiceColumn::Err;

    /// The index of `column` in `ALL` (what the list's sort setting stores).
    pub fn index(column: ServiceColumn) -> usize {
        ServiceColumn::ALL
            .iter()
            .position(|c| *c == column)
            .unwrap_or(0)
    }

    pub fn title(self) -> &'static str {
        match self {
            ServiceColumn::Name => "NAME",
            ServiceColumn::Namespace => "NAMESPACE",
            ServiceColumn::Ready => "READY",
            ServiceColumn::Mode => "MODE",
            ServiceColumn::Runtime => "RUNTIME",
            ServiceColumn::Traffic => "TRAFFIC",
            ServiceColumn::Replicas => "REPLICAS",
            ServiceColumn::Gpus => "GPUS",
            ServiceColumn::Age => "AGE",
            ServiceColumn::P50 => "P50",
            ServiceColumn::P99 => "P99",
            ServiceColumn::Rps => "RPS",
            ServiceColumn::GpuPct => "GPU%",
            ServiceColumn::Err => "ERR%",
        }
    }
}

/// Pods behind a service: (ready, total, GPUs requested), counting pods not being deleted.
pub fn replica_counts(state: &State, key: &ObjectKey) -> (usize, usize, f64) {
    let mut ready = 0;
    let mut total = 0;
    let mut gpus = 0.0;
    for pod in state.cluster.pods_of(key).filter(|p| !p.meta.deleting) {
        total += 1;
        if pod.is_ready() {
            ready += 1;
        }
        gpus += pod.gpus();
    }
    (ready, total, gpus)
}

/// Orders readiness: failed first, then progressing, unknown, ready.
fn readiness_rank(r: &Readiness) -> u8 {
    match r {
        Readiness::NotReady(_) => 0,
        Readiness::Progressing(_) => 1,
        Readiness::Unknown => 2,
        Readiness::Ready => 3,
    }
}

/// Orders health: a failing canary first, then the other canaries in progress (a change in
/// flight, judged once its figures arrive), then readiness (failed, progressing, unknown),
/// then the healthy.
fn health_rank(state: &State, key: &ObjectKey, isvc: &Isvc) -> u8 {
    if super::canary::breach(state, key).is_some() {
        0
    } else if isvc.canary_in_progress() {
        1
    } else {
        2 + readiness_rank(&isvc.readiness())
    }
}

fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn compare(
    state: &State,
    column: ServiceColumn,
    a: (&ObjectKey, &Isvc),
    b: (&ObjectKey, &Isvc),
) -> Ordering {
    let fig = |k: &ObjectKey| state.figures.service(k).cloned().unwrap_or_default();
    let by = |f: fn(&ServiceFigures) -> Option<f64>| cmp_opt(f(&fig(a.0)), f(&fig(b.0))).reverse();
    match column {
        ServiceColumn::Name => a.0.name.cmp(&b.0.name),
        ServiceColumn::Namespace => a.0.namespace.cmp(&b.0.namespace),
        ServiceColumn::Ready => {
            readiness_rank(&a.1.readiness()).cmp(&readiness_rank(&b.1.readiness()))
        }
        ServiceColumn::Mode => a.1.mode.cmp(&b.1.mode),
        ServiceColumn::Runtime => a.1.runtime_label().cmp(&b.1.runtime_label()),
        ServiceColumn::Traffic => b.1.canary_in_progress().cmp(&a.1.canary_in_progress()),
        ServiceColumn::Replicas => replica_counts(state, b.0)
            .1
            .cmp(&replica_counts(state, a.0).1),
        ServiceColumn::Gpus => replica_counts(state, b.0)
            .2
            .total_cmp(&replica_counts(state, a.0).2),
        ServiceColumn::Age => b.1.meta.created.cmp(&a.1.meta.created),
        ServiceColumn::P50 => by(|f| f.p50_ms),
        ServiceColumn::P99 => by(|f| f.p99_ms),
        ServiceColumn::Rps => by(|f| f.rps),
        ServiceColumn::GpuPct => by(|f| f.gpu_util_pct),
        ServiceColumn::Err => health_rank(state, a.0, a.1)
            .cmp(&health_rank(state, b.0, b.1))
            .then_with(|| {
                // Highest error rate first, unmeasured last.
                let worst = |k: &ObjectKey| super::canary::worst_error(state, k).map(|(e, _)| -e);
                cmp_opt(worst(a.0), worst(b.0))
            }),
    }
}

/// The filtered, sorted order of the services list, and the filter's error if it is a
/// selector that does not parse.
pub fn derive(state: &State) -> (Vec<ObjectKey>, Option<String>) {
    let view = state.ui.list_view(Scope::Services);
    let filter = view.filter.trim();
    let (selector, error) = if looks_like_selector(filter) {
        match Selector::parse(filter) {
            Ok(sel) => (Some(sel), None),
            Err(e) => (None, Some(e)),
        }
    } else {
        (None, None)
    };
    let needle = filter.to_lowercase();
    let mut rows: Vec<(&ObjectKey, &Isvc)> = state
        .cluster
        .isvcs
        .items
        .iter()
        .filter(|(k, _)| state.session.namespace.contains(&k.namespace))
        .filter(|(k, isvc)| match &selector {
            Some(sel) => sel.matches(&isvc.meta.labels),
            None if error.is_some() || needle.is_empty() => true,
            None => {
                k.name.to_lowercase().contains(&needle)
                    || k.namespace.to_lowercase().contains(&needle)
                    || format!("{}/{}", k.namespace, k.name).contains(&needle)
            }
        })
        .collect();
    let column = ServiceColumn::ALL
        .get(view.sort_column)
        .copied()
        .unwrap_or(ServiceColumn::Name);
    rows.sort_by(|a, b| {
        let primary = compare(state, column, *a, *b);
        let primary = if view.sort_reverse {
            primary.reverse()
        } else {
            primary
        };
        primary.then_with(|| a.0.cmp(b.0))
    });
    (rows.into_iter().map(|(k, _)| k.clone()).collect(), error)
}
