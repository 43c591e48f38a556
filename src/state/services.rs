//! The services list as the user sees it: rows derived from the InferenceService and pod
//! stores plus live figures, filtered and sorted. Each service's facts (listed or not, its
//! value in the sort column, its counts) come from here; `service_order` keeps the order
//! with them between frames, so drawing only builds the visible rows.

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

/// One row's value in the sort column, computed once per change of the row rather than
/// once per comparison (a sort of 10,000 rows compares about 140,000 pairs).
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    /// The key's name (compared from the key).
    Name,
    /// The key's namespace (compared from the key).
    Namespace,
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
fn sort_value(state: &State, column: ServiceColumn, key: &ObjectKey, svc: Svc) -> SortValue {
    match column {
        ServiceColumn::Name => SortValue::Name,
        ServiceColumn::Namespace => SortValue::Namespace,
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

/// The ascending order of two rows' values in one column (smallest, earliest, youngest
/// first).
fn ascending(a: (&SortValue, &ObjectKey), b: (&SortValue, &ObjectKey)) -> Ordering {
    match (a.0, b.0) {
        (SortValue::Name, SortValue::Name) => a.1.name.cmp(&b.1.name),
        (SortValue::Namespace, SortValue::Namespace) => a.1.namespace.cmp(&b.1.namespace),
        (SortValue::Rank(x), SortValue::Rank(y)) => x.cmp(y),
        (SortValue::Mode(x), SortValue::Mode(y)) => x.cmp(y),
        (SortValue::Label(x), SortValue::Label(y)) => x.cmp(y),
        (SortValue::Flag(x), SortValue::Flag(y)) => x.cmp(y),
        (SortValue::Count(x), SortValue::Count(y)) => x.cmp(y),
        (SortValue::Created(x), SortValue::Created(y)) => y.cmp(x),
        (SortValue::Figure(x), SortValue::Figure(y)) => x.total_cmp(y),
        (SortValue::Health(rank_x, err_x), SortValue::Health(rank_y, err_y)) => {
            rank_x.cmp(rank_y).then_with(|| cmp_opt(*err_x, *err_y))
        }
        // Values of one column are of one kind.
        _ => Ordering::Equal,
    }
}

/// Whether the list is sorted descending: the column's usual direction, flipped by `S`.
pub fn sorts_descending(column: ServiceColumn, reverse: bool) -> bool {
    column.descending_by_default() != reverse
}

/// What decides which services are listed and in which order: the filter (a label
/// selector, or words matched against namespace and name), the namespaces in scope and the
/// sort. Read once per derive; a change to any of it re-derives the whole list.
#[derive(Debug, Clone)]
pub struct ListSpec {
    filter: String,
    selector: Option<Selector>,
    /// Why the filter could not be applied (a selector that does not parse).
    pub error: Option<String>,
    needle: String,
    namespace: crate::domain::scope::NamespaceScope,
    pub column: ServiceColumn,
    pub descending: bool,
}

impl ListSpec {
    /// The services list's spec as the state has it now.
    pub fn of(state: &State) -> ListSpec {
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
        let column = ServiceColumn::ALL
            .get(view.sort_column)
            .copied()
            .unwrap_or(ServiceColumn::Name);
        ListSpec {
            filter: filter.to_string(),
            selector,
            error,
            needle: filter.to_lowercase(),
            namespace: state.session.namespace.clone(),
            column,
            descending: sorts_descending(column, view.sort_reverse),
        }
    }

    /// Whether `other` lists and orders the services as this one does.
    pub fn same_as(&self, other: &ListSpec) -> bool {
        self.filter == other.filter
            && self.namespace == other.namespace
            && self.column == other.column
            && self.descending == other.descending
    }

    /// Whether the service at `key` passes the namespaces in scope and the filter.
    fn lists(&self, key: &ObjectKey, svc: Svc) -> bool {
        if !self.namespace.contains(&key.namespace) {
            return false;
        }
        match &self.selector {
            Some(sel) => sel.matches(&svc.meta().labels),
            None if self.error.is_some() || self.needle.is_empty() => true,
            None => {
                key.name.to_lowercase().contains(&self.needle)
                    || key.namespace.to_lowercase().contains(&self.needle)
                    || format!("{}/{}", key.namespace, key.name).contains(&self.needle)
            }
        }
    }
}

/// What the list needs to know about one service: whether it is listed and where it sorts,
/// and what the title and the latency targets count (Ready, a canary in progress, a
/// failing canary). Kept per service between derives, so a change to a few services moves
/// only their rows (`state::service_order`).
#[derive(Debug, Clone, PartialEq)]
pub struct RowFacts {
    /// Passes the namespaces in scope and the filter.
    pub listed: bool,
    /// A blank in a figure column: sorted last in either direction.
    blank: bool,
    value: SortValue,
    /// Ready (the title's count).
    pub ready: bool,
    /// An InferenceService with a canary in progress, listed or not (always measured).
    pub canary: bool,
    /// Its canary breaches the thresholds while serving traffic (the title's count).
    pub failing: bool,
}

/// The facts of the service at `key` (an InferenceService, else an LLMInferenceService of
/// that name), or None when there is neither.
pub fn row_facts(state: &State, spec: &ListSpec, key: &ObjectKey) -> Option<RowFacts> {
    let svc = super::service_kind::lookup(state, key)?;
    let column = spec.column;
    Some(RowFacts {
        listed: spec.lists(key, svc),
        blank: column.has_blanks() && figure(state, column, key).is_none(),
        value: sort_value(state, column, key, svc),
        ready: svc.readiness() == Readiness::Ready,
        canary: matches!(svc, Svc::Isvc(i) if i.canary_in_progress()),
        failing: super::canary::failing_summary(state, key).is_some(),
    })
}

/// The list's order of two rows: blanks last in either direction, then the sort column in
/// its direction, then the key.
pub fn row_order(
    descending: bool,
    a: (&RowFacts, &ObjectKey),
    b: (&RowFacts, &ObjectKey),
) -> Ordering {
    a.0.blank
        .cmp(&b.0.blank)
        .then_with(|| {
            let order = ascending((&a.0.value, a.1), (&b.0.value, b.1));
            if descending { order.reverse() } else { order }
        })
        .then_with(|| a.1.cmp(b.1))
}
