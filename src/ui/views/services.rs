//! The services list: one row per InferenceService with health, traffic split, replicas,
//! GPUs, age and live figures. Only the rows on screen are built.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::isvc::Isvc;
use crate::domain::k8s::age;
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::state::figures::ServiceFigures;
use crate::state::service_columns;
use crate::state::service_kind::Svc;
use crate::state::services::{ServiceColumn, replica_counts};
use crate::ui::format;
use crate::ui::symbols::Symbols;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::cell::OnceCell;

/// The columns with the sort arrow on the sorted one.
fn columns(state: &State, theme: &Theme, visible: &[&ObjectKey]) -> Vec<(ServiceColumn, Column)> {
    let mut cols = service_columns::columns(state, visible);
    let view = state.ui.list_view(Scope::Services);
    if let Some(sorted) = ServiceColumn::ALL.get(view.sort_column)
        && let Some((_, col)) = cols.iter_mut().find(|(c, _)| c == sorted)
    {
        // ↑ ascending, ↓ descending, the same in every column.
        col.title.push_str(
            if crate::state::services::sorts_descending(*sorted, view.sort_reverse) {
                theme.symbols.down
            } else {
                theme.symbols.up
            },
        );
    }
    cols
}

pub use crate::state::service_columns::{GUARD_BADGE, guarded, visible_columns};

/// The text and style of one cell; shared with `kdeck status`, which prints the same rows.
pub fn cell(state: &State, sym: &Symbols, key: &ObjectKey, column: ServiceColumn) -> Cell {
    Row::new(state, key).cell(sym, column)
}

/// One row's objects, looked up once for all its cells (a frame draws a few dozen rows of up
/// to 19 cells; each lookup by key in a list of thousands is a walk down a tree).
pub struct Row<'a> {
    state: &'a State,
    key: &'a ObjectKey,
    service: Option<Svc<'a>>,
    figures: Option<&'a ServiceFigures>,
    replicas: OnceCell<(usize, usize, f64)>,
}

impl<'a> Row<'a> {
    pub fn new(state: &'a State, key: &'a ObjectKey) -> Row<'a> {
        let service = match state.cluster.isvcs.items.get(key) {
            Some(isvc) => Some(Svc::Isvc(isvc)),
            None => state.cluster.llm_isvcs.items.get(key).map(Svc::Llm),
        };
        Row {
            state,
            key,
            service,
            figures: state.figures.service(key),
            replicas: OnceCell::new(),
        }
    }

    pub fn state(&self) -> &'a State {
        self.state
    }

    pub fn key(&self) -> &'a ObjectKey {
        self.key
    }

    /// The service's figures (latency, rate, GPU utilisation), if any came in.
    pub fn figures(&self) -> Option<&'a ServiceFigures> {
        self.figures
    }

    /// The pods behind the service: (ready, total, GPUs requested), counted once per row.
    pub fn replicas(&self) -> (usize, usize, f64) {
        *self
            .replicas
            .get_or_init(|| replica_counts(self.state, self.key))
    }

    /// The GPUS cell: the GPUs the pods request, or what one replica asks while none runs.
    pub fn gpus_cell(&self, per_replica: f64, sym: &Symbols) -> Cell {
        let (_, total, gpus) = self.replicas();
        Cell::plain(format::gpus(
            if total == 0 { per_replica } else { gpus },
            sym,
        ))
    }

    /// The text and style of one cell of this row.
    pub fn cell(&self, sym: &Symbols, column: ServiceColumn) -> Cell {
        match self.service {
            Some(Svc::Isvc(isvc)) => self.isvc_cell(isvc, sym, column),
            Some(Svc::Llm(llm)) => super::services_llm::cell(self, sym, llm, column),
            None => Cell::plain(""),
        }
    }

    fn isvc_cell(&self, isvc: &Isvc, sym: &Symbols, column: ServiceColumn) -> Cell {
        let (state, key, figures) = (self.state, self.key, self.figures);
        let figure = |value: Option<f64>,
                      fmt: &dyn Fn(f64) -> String,
                      slot: &dyn Fn(f64) -> Slot| match (value, figures) {
            (Some(v), Some(f)) if f.stale || f.cumulative || f.partial => {
                Cell::styled(format!("~{}", fmt(v)), Slot::TextDim)
            }
            (Some(v), _) => Cell::styled(fmt(v), slot(v)),
            (None, _) => Cell::styled(sym.dash, Slot::TextDim),
        };
        match column {
            ServiceColumn::Name => {
                let badge = if guarded(state, key) { GUARD_BADGE } else { "" };
                if isvc.problems.is_empty() {
                    Cell::plain(format!("{}{badge}", key.name))
                } else {
                    Cell::styled(
                        format!("{} {}{badge}", sym.warn, key.name),
                        Slot::TextWarning,
                    )
                }
            }
            ServiceColumn::Namespace => Cell::styled(&key.namespace, Slot::TextDim),
            ServiceColumn::Ready => ready_cell(state, sym, key),
            ServiceColumn::Mode => Cell::plain(isvc.mode.map(|m| m.label()).unwrap_or(sym.dash)),
            ServiceColumn::Runtime => Cell::plain(isvc.runtime_label()),
            ServiceColumn::Traffic => traffic_cell(state, sym, key),
            ServiceColumn::Replicas => replicas_cell(self.replicas()),
            ServiceColumn::Gpus => self.gpus_cell(isvc.gpus_per_replica(), sym),
            ServiceColumn::Age => Cell::styled(age(isvc.meta.created, state.now), Slot::TextDim),
            ServiceColumn::P50 => figure(figures.and_then(|f| f.p50_ms), &format::millis, &|_| {
                Slot::Base
            }),
            ServiceColumn::P99 => figure(
                figures.and_then(|f| f.p99_ms),
                &format::millis,
                &format::latency_slot,
            ),
            ServiceColumn::Rps => {
                figure(figures.and_then(|f| f.rps), &format::rate, &|_| Slot::Base)
            }
            ServiceColumn::Err => match crate::state::canary::worst_error(state, key) {
                None => Cell::styled(sym.dash, Slot::TextDim),
                Some((ratio, approximate)) => {
                    let text = crate::domain::canary::percent(ratio);
                    if approximate {
                        Cell::styled(format!("~{text}"), Slot::TextDim)
                    } else if crate::state::canary::breach(state, key).is_some()
                        || ratio > state.config.canary.error_ratio
                    {
                        Cell::styled(text, Slot::StatusFailed)
                    } else {
                        Cell::plain(text)
                    }
                }
            },
            ServiceColumn::GpuPct => figure(
                figures.and_then(|f| f.gpu_util_pct),
                &format::percent,
                &|_| Slot::GaugeGpu,
            ),
            ServiceColumn::Ttft99
            | ServiceColumn::TokPerS
            | ServiceColumn::Waiting
            | ServiceColumn::KvCache => Cell::styled(sym.dash, Slot::TextDim),
            ServiceColumn::Models => models_cell(state, sym, key),
        }
    }
}

/// The REPLICAS cell, `ready/total`: green when all are ready, red when none, amber between.
pub fn replicas_cell((ready, total, _): (usize, usize, f64)) -> Cell {
    let slot = match (ready, total) {
        (_, 0) => Slot::TextDim,
        (r, t) if r == t => Slot::StatusReady,
        (0, _) => Slot::StatusFailed,
        _ => Slot::StatusProgressing,
    };
    Cell::styled(format!("{ready}/{total}"), slot)
}

/// The READY cell: a mark and the readiness in words.
pub fn ready_cell(state: &State, sym: &Symbols, key: &ObjectKey) -> Cell {
    match service_columns::readiness(state, key) {
        Some(readiness) => {
            let (text, slot) = format::readiness(&readiness, sym);
            Cell::styled(text, slot)
        }
        None => Cell::plain(""),
    }
}

/// The TRAFFIC cell: the split, marked failing while the canary breaches its thresholds.
pub fn traffic_cell(state: &State, sym: &Symbols, key: &ObjectKey) -> Cell {
    let Some(t) = service_columns::traffic(state, key, sym.sep) else {
        return Cell::plain("");
    };
    if t.label.is_empty() {
        Cell::styled(sym.dash, Slot::TextDim)
    } else if t.breaching {
        Cell::styled(format!("{} {}", sym.fail, t.label), Slot::StatusFailed)
    } else if t.canary {
        Cell::styled(t.label, Slot::RevisionCanary)
    } else {
        Cell::plain(t.label)
    }
}

/// `loaded/total` TrainedModels: red when one failed to load, amber while some load.
fn models_cell(state: &State, sym: &Symbols, key: &ObjectKey) -> Cell {
    let c = state.cluster.trained_counts(key);
    let slot = match c {
        c if c.total == 0 => return Cell::styled(sym.dash, Slot::TextDim),
        c if c.failed > 0 => Slot::StatusFailed,
        c if c.loaded < c.total => Slot::StatusProgressing,
        _ => Slot::Base,
    };
    Cell::styled(format!("{}/{}", c.loaded, c.total), slot)
}

/// The frame title: counts, filter, stale marker.
pub fn title(state: &State, theme: &Theme) -> String {
    let total = state.derived.services.len();
    let ready = state.derived.services_ready;
    let mut title = if state.cluster.llm_isvcs.is_empty() {
        format!("InferenceServices {ready}/{total} ready")
    } else {
        format!("Services {ready}/{total} ready")
    };
    let filter = state.ui.list_view(Scope::Services).filter;
    if !filter.is_empty() {
        title.push_str(&format!(" {} filter /{filter}", theme.symbols.sep));
        if let Some(err) = &state.derived.services_filter_error {
            title.push_str(&format!(" ({err})"));
        }
    }
    let failing = state.derived.failing_canaries.len();
    if failing > 0 {
        let s = theme.symbols;
        title.push_str(&format!(
            " {} {} {failing} failing canar{}",
            s.sep,
            s.fail,
            if failing == 1 { "y" } else { "ies" }
        ));
        // Why: the selected service's canary, else the first failing one in the list.
        let selected = state
            .selected_service()
            .filter(|k| state.derived.failing_canaries.contains(*k));
        let shown = selected.or_else(|| {
            state
                .derived
                .failing_canaries
                .iter()
                .filter_map(|k| state.derived.position(k).map(|at| (at, k)))
                .min()
                .map(|(_, k)| k)
        });
        if let Some(key) = shown
            && let Some(why) = crate::state::canary::failing_summary(state, key)
        {
            title.push_str(&format!(": {} {why}", key.name));
        }
    }
    if !state.cluster.isvcs.synced
        && state.cluster.isvcs.stale.is_none()
        && !state.cluster.isvcs.is_empty()
    {
        title.push_str(&format!(
            " {} loading{}",
            theme.symbols.sep, theme.symbols.ellipsis
        ));
    }
    title
}

/// Draws the table body.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let rows_fit = usize::from(area.height.saturating_sub(1));
    let cursor = state.ui.list_view(Scope::Services).cursor;
    let visible: Vec<&ObjectKey> = state
        .derived
        .services
        .iter()
        .skip(cursor.offset)
        .take(rows_fit)
        .collect();
    if visible.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "InferenceServices");
        return;
    }
    let cols = columns(state, theme, &visible);
    let header: Vec<Column> = cols.iter().map(|(_, c)| c.clone()).collect();
    // Only the columns the width lets show are built.
    let shown: Vec<bool> = {
        let mut shown = vec![false; cols.len()];
        for (i, _) in table::layout(&header, usize::from(area.width)) {
            shown[i] = true;
        }
        shown
    };
    let rows: Vec<Vec<Cell>> = visible
        .iter()
        .map(|key| {
            let row = Row::new(state, key);
            cols.iter()
                .zip(&shown)
                .map(|((c, _), shown)| {
                    if *shown {
                        row.cell(&theme.symbols, *c)
                    } else {
                        Cell::plain("")
                    }
                })
                .collect()
        })
        .collect();
    let selected = cursor.selected.checked_sub(cursor.offset);
    table::draw(frame, area, theme, &header, &rows, selected);
}
