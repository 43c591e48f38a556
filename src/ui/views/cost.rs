//! The cost view: each service's estimated $/hour from its pods' nodes and the price table,
//! $ per 1,000 requests from the measured rate, and hints (over- or under-scaled, a cheaper
//! instance family). Every figure is a list-price estimate and says so.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::cost::{
    CostEstimate, HintThresholds, KNOWN_UPGRADES, ScalingInput, cheaper_family_hint,
    cost_per_1k_requests, cost_per_million_tokens, scaling_hints,
};
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::state::lists;
use crate::state::services::replica_counts;
use crate::ui::format;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The most relevant hint for a service, if any.
pub fn hint(state: &State, key: &ObjectKey) -> Option<String> {
    let isvc = state.cluster.isvcs.items.get(key)?;
    let figures = state.figures.service(key);
    let (_, replicas, _) = replica_counts(state, key);
    let predictor = isvc.predictor();
    let input = ScalingInput {
        now: state.now,
        gpu_util: state
            .gpu
            .service_util
            .get(key)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default(),
        p99_seconds: Vec::new(),
        replicas: replicas as u32,
        min_replicas: predictor.and_then(|p| p.min_replicas).unwrap_or(1).max(0) as u32,
        max_replicas: predictor
            .and_then(|p| p.max_replicas)
            .map(|n| n.max(0) as u32),
        usd_per_hour: figures.and_then(|f| f.usd_per_hour),
    };
    if let Some(h) = scaling_hints(&input, &HintThresholds::default())
        .into_iter()
        .next()
    {
        return Some(h.message);
    }
    let instance = state.cluster.pods_of(key).find_map(|p| {
        p.node
            .as_deref()
            .and_then(|n| state.cluster.node(n))
            .and_then(|n| n.instance_type.clone())
    })?;
    cheaper_family_hint(
        &instance,
        &state.prices,
        KNOWN_UPGRADES,
        figures.and_then(|f| f.rps),
    )
    .map(|h| h.message)
}

/// $ per million generated tokens of an LLM service: its $/hour over its generation
/// tokens/s (from vLLM's metrics); `None` for InferenceServices and unmeasured services.
pub fn per_million_tokens(state: &State, key: &ObjectKey) -> Option<f64> {
    let usd_per_hour = state.costs.get(key).and_then(CostEstimate::usd_per_hour)?;
    let tokens = state
        .figures
        .llm
        .get(key)
        .and_then(|f| f.generation_tokens_per_s);
    cost_per_million_tokens(usd_per_hour, tokens)
}

/// Draws the cost table.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let idle_lines = state.idle_gpus.len().min(IDLE_LINES_MAX) as u16;
    let idle_height = if idle_lines > 0 { idle_lines + 1 } else { 0 };
    let [body, idle, foot] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(idle_height),
        Constraint::Length(1),
    ])
    .areas(area);
    let keys = lists::keys(state, Scope::Cost);
    let cursor = state.ui.list_view(Scope::Cost).cursor;
    let fit = usize::from(body.height.saturating_sub(1));
    let columns = vec![
        Column::new("NAME", 24, 10, 0),
        Column::new("NAMESPACE", 11, 9, 6),
        Column::new("$/HOUR", 9, 8, 1),
        Column::new("$/1K REQ", 9, 8, 2),
        Column::new("$/1M TOK", 9, 8, 7),
        Column::new("RPS", 6, 6, 3),
        Column::new("GPU%", 5, 5, 4),
        Column::new("REPLICAS", 8, 8, 5),
        Column::flex("HINT", 20, 1),
    ];
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .map(|key| {
            let figures = state.figures.service(key);
            let rps = figures.and_then(|f| f.rps);
            let (usd, usd_slot) = match state.costs.get(key) {
                Some(CostEstimate::Known { usd_per_hour }) => {
                    (format!("${usd_per_hour:.2}"), Slot::Base)
                }
                Some(CostEstimate::Partial { at_least, .. }) => {
                    (format!("≥${at_least:.2}"), Slot::TextWarning)
                }
                _ => ("?".to_string(), Slot::TextDim),
            };
            let per_1k = state
                .costs
                .get(key)
                .and_then(CostEstimate::usd_per_hour)
                .and_then(|c| cost_per_1k_requests(c, rps))
                .map(|c| format!("${c:.4}"))
                .unwrap_or_else(|| sym.dash.to_string());
            let per_million_tokens = per_million_tokens(state, key)
                .map(|c| format!("${c:.2}"))
                .unwrap_or_else(|| sym.dash.to_string());
            let (ready, total, _) = replica_counts(state, key);
            let hint_text = hint(state, key).or_else(|| match state.costs.get(key) {
                Some(CostEstimate::Unknown { reasons })
                | Some(CostEstimate::Partial { reasons, .. }) => reasons.first().cloned(),
                _ => None,
            });
            vec![
                Cell::plain(&key.name),
                Cell::styled(&key.namespace, Slot::TextDim),
                Cell::styled(usd, usd_slot),
                Cell::plain(per_1k),
                Cell::plain(per_million_tokens),
                Cell::plain(
                    rps.map(format::rate)
                        .unwrap_or_else(|| sym.dash.to_string()),
                ),
                Cell::styled(
                    figures
                        .and_then(|f| f.gpu_util_pct)
                        .map(format::percent)
                        .unwrap_or_else(|| sym.dash.to_string()),
                    Slot::GaugeGpu,
                ),
                Cell::plain(format!("{ready}/{total}")),
                Cell::styled(hint_text.unwrap_or_default(), Slot::TextWarning),
            ]
        })
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, body, state, theme, "services with pods to price");
    } else {
        table::draw(
            frame,
            body,
            theme,
            &columns,
            &rows,
            cursor.selected.checked_sub(cursor.offset),
        );
    }
    let total: f64 = state
        .costs
        .values()
        .filter_map(CostEstimate::usd_per_hour)
        .sum();
    draw_idle_gpus(frame, idle, state, theme);
    let idle_total: f64 = state.idle_gpus.iter().filter_map(|i| i.usd_per_hour).sum();
    let idle_part = if state.idle_gpus.is_empty() {
        String::new()
    } else {
        format!(" · idle GPUs ≈ ${idle_total:.2}/h")
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(
                " services ≈ ${total:.2}/h{idle_part} · {} · override prices in config [prices]",
                crate::domain::cost::LIST_PRICE_LABEL
            ),
            theme.style(Slot::TextDim),
        )),
        foot,
    );
}

/// At most this many idle GPU nodes are listed (the most expensive first).
const IDLE_LINES_MAX: usize = 4;

/// The GPUs nobody requests: a title line and one line per node, most expensive first.
fn draw_idle_gpus(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if area.height == 0 || state.idle_gpus.is_empty() {
        return;
    }
    let sym = &theme.symbols;
    let more = state.idle_gpus.len().saturating_sub(IDLE_LINES_MAX);
    let title = if more > 0 {
        format!(" IDLE GPUS (no pod requests them; {more} more nodes not shown)")
    } else {
        " IDLE GPUS (no pod requests them)".to_string()
    };
    let mut lines = vec![Line::from(Span::styled(
        title,
        theme.style(Slot::TextWarning),
    ))];
    for idle in state.idle_gpus.iter().take(IDLE_LINES_MAX) {
        let price = idle
            .usd_per_hour
            .map(|p| format!("${p:.2}/h"))
            .unwrap_or_else(|| "?".to_string());
        lines.push(Line::from(vec![
            Span::styled(format!(" {price:>9} "), theme.style(Slot::TextWarning)),
            Span::raw(format!(
                "{}/{} {} idle on {} ({})",
                format::gpus(idle.idle, sym),
                format::gpus(idle.total, sym),
                idle.gpu_model.as_deref().unwrap_or("GPU"),
                idle.node,
                idle.instance.as_deref().unwrap_or(sym.dash),
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
