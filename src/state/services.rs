//! The services list as the user sees it: rows derived from the InferenceService and pod
//! stores plus live figures, filtered and sorted. The order is recomputed in `update` when
//! something it depends on changes, so drawing only builds the visible rows.

use super::State;
use super::service_kind::{Svc, llm_breaches};
use crate::domain::isvc::Readiness;
use crate::domain::key::ObjectKey;
use crate::domain::keymap::Scope;
use crate::domain::mode::DeploymentMode;
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
    /// LLM services: vLLM's time to first token, p99.
    Ttft99,
    /// LLM services: generated tokens per second.
    TokPerS,
    /// LLM services: requests waiting in vLLM's queue.
    Waiting,
    /// LLM services: KV-cache usage.
    KvCache,
    /// InferenceServices: TrainedModels loaded of those it holds (multi-model serving).
    Models,
}

impl ServiceColumn {
    pub const ALL: [ServiceColumn; 19] = [
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
        ServiceColumn::Ttft99,
        ServiceColumn::TokPerS,
        ServiceColumn::Waiting,
        ServiceColumn::KvCache,
        ServiceColumn::Models,
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
            ServiceColumn::Ttft99 => "TTFT99",
            ServiceColumn::TokPerS => "TOK/S",
            ServiceColumn::Waiting => "WAIT",
            ServiceColumn::KvCache => "KV%",
            ServiceColumn::Models => "MODELS",
        }
    }

    /// Columns whose usual order is largest first: the figures (worst latency, busiest),
    /// replicas and GPUs, and canaries in progress first.
    pub fn descending_by_default(self) -> bool {
        matches!(
            self,
            ServiceColumn::Traffic
                | ServiceColumn::Replicas
                | ServiceColumn::Gpus
                | ServiceColumn::P50
                | ServiceColumn::P99
                | ServiceColumn::Rps
                | ServiceColumn::GpuPct
                | ServiceColumn::Ttft99
                | ServiceColumn::TokPerS
                | ServiceColumn::Waiting
                | ServiceColumn::KvCache
                | ServiceColumn::Models
        )
    }

    /// Columns counted from the services' pods: only a list sorted by one of them is
    /// reordered by a pod change.
    pub fn counts_pods(self) -> bool {
        matches!(self, ServiceColumn::Replicas | ServiceColumn::Gpus)
    }

    /// Columns whose cells can be blank (`–`).
    pub fn has_blanks(self) -> bool {
        matches!(
            self,
            ServiceColumn::Gpus
                | ServiceColumn::P50
                | ServiceColumn::P99
                | ServiceColumn::Rps
                | ServiceColumn::GpuPct
                | ServiceColumn::Ttft99
                | ServiceColumn::TokPerS
                | ServiceColumn::Waiting
                | ServiceColumn::KvCache
                | ServiceColumn::Models
        )
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

/// A figure column's value, `None` when the cell shows a blank (`–`).
pub fn figure(state: &State, column: ServiceColumn, key: &ObjectKey) -> Option<f64> {
    let f = state.figures.service(key);
    let llm = state.figures.llm.get(key);
    match column {
        ServiceColumn::P50 => f.and_then(|f| f.p50_ms),
        ServiceColumn::P99 => f.and_then(|f| f.p99_ms),
        ServiceColumn::Rps => f.and_then(|f| f.rps),
        ServiceColumn::GpuPct => f.and_then(|f| f.gpu_util_pct),
        ServiceColumn::Gpus => Some(replica_counts(state, key).2).filter(|g| *g > 0.0),
        ServiceColumn::Ttft99 => llm.and_then(|f| f.ttft_p99_ms),
        ServiceColumn::TokPerS => llm.and_then(|f| f.generation_tokens_per_s),
        ServiceColumn::Waiting => llm.and_then(|f| f.waiting),
        ServiceColumn::KvCache => llm.and_then(|f| f.kv_cache),
        // Failed models weigh most, so sorting puts a service with one first.
        ServiceColumn::Models => {
            let c = state.cluster.trained_counts(key);
            (c.total > 0).then(|| (c.failed * 1000 + c.total) as f64)
        }
        _ => None,
    }
}

/// Orders health: a failing canary first, then the other canaries in progress (a change in
/// flight, judged once its figures arrive), then readiness (failed, progressing, unknown),
/// then the healthy.
fn health_rank(state: &State, key: &ObjectKey, isvc: Svc) -> u8 {
    if super::canary::breach(state, key).is_some() || !llm_breaches(state, key).is_empty() {
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

/// One row's value in the sort column, computed once per derive rather than once per
/// comparison (a sort of 10,000 rows compares about 140,000 pairs).
enum SortValue<'a> {
    Text(&'a str),
    Rank(u8),
    Mode(Option<DeploymentMode>),
    Label(String),
    Flag(bool),
    Count(usize),
    /// When created; ascending means the youngest (latest created) first.
    Created(Option<chrono::DateTime<chrono::Utc>>),
    /// A figure; a blank counts as the smallest (blanks are ordered apart, last).
    Figure(f64),
    /// The health rank, then the worst error rate negated (highest first among equals).
    Health(u8, Option<f64>),
}

/// `key`'s value in `column`.
fn sort_value<'a>(
    state: &State,
    column: ServiceColumn,
    key: &'a ObjectKey,
    svc: Svc,
) -> SortValue<'a> {
    match column {
        ServiceColumn::Name => SortValue::Text(&key.name),
        ServiceColumn::Namespace => SortValue::Text(&key.namespace),
        ServiceColumn::Ready => SortValue::Rank(readiness_rank(&svc.readiness())),
        ServiceColumn::Mode => SortValue::Mode(svc.mode()),
        ServiceColumn::Runtime => SortValue::Label(svc.runtime_label()),
        ServiceColumn::Traffic => SortValue::Flag(svc.canary_in_progress()),
        ServiceColumn::Replicas => SortValue::Count(replica_counts(state, key).1),
        ServiceColumn::Age => SortValue::Created(svc.meta().created),
        ServiceColumn::Gpus
        | ServiceColumn::P50
        | ServiceColumn::P99
        | ServiceColumn::Rps
        | ServiceColumn::GpuPct
        | ServiceColumn::Ttft99
        | ServiceColumn::TokPerS
        | ServiceColumn::Waiting
        | ServiceColumn::KvCache
        | ServiceColumn::Models => {
            SortValue::Figure(figure(state, column, key).unwrap_or(f64::NEG_INFINITY))
        }
        // Ascending health: the unhealthy first, the highest error rate first among equals,
        // unmeasured last.
        ServiceColumn::Err => SortValue::Health(
            health_rank(state, key, svc),
            super::canary::worst_error(state, key).map(|(e, _)| -e),
        ),
    }
}

/// The ascending order of two values of one column (smallest, earliest, youngest first).
fn ascending(a: &SortValue, b: &SortValue) -> Ordering {
    match (a, b) {
        (SortValue::Text(a), SortValue::Text(b)) => a.cmp(b),
        (SortValue::Rank(a), SortValue::Rank(b)) => a.cmp(b),
        (SortValue::Mode(a), SortValue::Mode(b)) => a.cmp(b),
        (SortValue::Label(a), SortValue::Label(b)) => a.cmp(b),
        (SortValue::Flag(a), SortValue::Flag(b)) => a.cmp(b),
        (SortValue::Count(a), SortValue::Count(b)) => a.cmp(b),
        (SortValue::Created(a), SortValue::Created(b)) => b.cmp(a),
        (SortValue::Figure(a), SortValue::Figure(b)) => a.total_cmp(b),
        (SortValue::Health(rank_a, err_a), SortValue::Health(rank_b, err_b)) => {
            rank_a.cmp(rank_b).then_with(|| cmp_opt(*err_a, *err_b))
        }
        // Values of one column are of one kind.
        _ => Ordering::Equal,
    }
}

/// Whether the list is sorted descending: the column's usual direction, flipped by `S`.
pub fn sorts_descending(column: ServiceColumn, reverse: bool) -> bool {
    column.descending_by_default() != reverse
}

/// The filtered, sorted order of the services list, and the filter's error if it is a
/// selector that does not parse.
pub fn derive(state: &State) -> (Vec<ObjectKey>, Option<String>) {
    let view = state.ui.list_view(Scope::Services);
    let filter = view.filter.trim();
    let (selector, error) = if looks_like_selector(filter) {
        match Selector::parse(filter) {
            Ok(sel) => (Some(sel), None),
            Err(e) => (None, Some(e.to_string())),
        }
    } else {
        (None, None)
    };
    let needle = filter.to_lowercase();
    let isvcs = state
        .cluster
        .isvcs
        .items
        .iter()
        .map(|(k, i)| (k, Svc::Isvc(i)));
    // An LLMInferenceService named like an InferenceService of its namespace is not listed
    // twice: the key is one row.
    let llms = state
        .cluster
        .llm_isvcs
        .items
        .iter()
        .filter(|(k, _)| !state.cluster.isvcs.items.contains_key(*k))
        .map(|(k, l)| (k, Svc::Llm(l)));
    let column = ServiceColumn::ALL
        .get(view.sort_column)
        .copied()
        .unwrap_or(ServiceColumn::Name);
    let descending = sorts_descending(column, view.sort_reverse);
    // (blank, value, key): blanks last in either direction, then the column, then the key.
    let mut rows: Vec<(bool, SortValue, &ObjectKey)> = isvcs
        .chain(llms)
        .filter(|(k, _)| state.session.namespace.contains(&k.namespace))
        .filter(|(k, svc)| match &selector {
            Some(sel) => sel.matches(&svc.meta().labels),
            None if error.is_some() || needle.is_empty() => true,
            None => {
                k.name.to_lowercase().contains(&needle)
                    || k.namespace.to_lowercase().contains(&needle)
                    || format!("{}/{}", k.namespace, k.name).contains(&needle)
            }
        })
        .map(|(k, svc)| {
            let blank = column.has_blanks() && figure(state, column, k).is_none();
            (blank, sort_value(state, column, k, svc), k)
        })
        .collect();
    rows.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                let order = ascending(&a.1, &b.1);
                if descending { order.reverse() } else { order }
            })
            .then_with(|| a.2.cmp(b.2))
    });
    (rows.into_iter().map(|(_, _, k)| k.clone()).collect(), error)
}
