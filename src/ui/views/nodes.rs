//! Nodes: instance type, GPU model, GPUs allocatable and requested by pods, readiness.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::k8s::age;
use crate::state::State;
use crate::state::lists;
use crate::ui::format;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let keys = lists::keys(state, Scope::Nodes);
    let cursor = state.ui.list_view(Scope::Nodes).cursor;
    let fit = usize::from(area.height.saturating_sub(1));
    let columns = vec![
        Column::new("NAME", 30, 12, 0),
        Column::new("STATUS", 9, 5, 1),
        Column::new("INSTANCE", 14, 8, 1),
        Column::new("GPU", 24, 6, 2),
        Column::new("GPUS", 11, 7, 1),
        Column::new("GPU%", 5, 5, 3),
        Column::new("CPU", 5, 4, 4),
        Column::new("ZONE", 12, 6, 5),
        Column::new("AGE", 4, 4, 6),
    ];
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .filter_map(|k| state.cluster.nodes.items.get(k))
        .map(|n| {
            let requested: f64 = state
                .cluster
                .pods
                .items
                .values()
                .filter(|p| {
                    p.node.as_deref() == Some(&n.meta.name)
                        && !p.meta.deleting
                        && p.phase != "Succeeded"
                        && p.phase != "Failed"
                })
                .map(|p| p.gpus())
                .sum();
            let gpus = if n.gpu_allocatable > 0.0 {
                let slot = if requested >= n.gpu_allocatable {
                    Slot::StatusProgressing
                } else {
                    Slot::GaugeGpu
                };
                Cell::styled(
                    format!(
                        "{}/{} used",
                        format::gpus(requested, sym),
                        format::gpus(n.gpu_allocatable, sym)
                    ),
                    slot,
                )
            } else {
                Cell::styled(sym.dash, Slot::TextDim)
            };
            let util = state
                .gpu
                .cluster
                .as_ref()
                .and_then(|c| c.per_node.iter().find(|u| u.hostname == n.meta.name))
                .and_then(|u| u.mean_util_pct)
                .map(|u| Cell::styled(crate::ui::format::percent(u), Slot::GaugeGpu))
                .unwrap_or_else(|| Cell::styled(sym.dash, Slot::TextDim));
            let (status, slot) = match (n.ready, n.unschedulable) {
                (true, false) => ("Ready", Slot::StatusReady),
                (true, true) => ("Cordoned", Slot::StatusProgressing),
                (false, _) => ("NotReady", Slot::StatusFailed),
            };
            vec![
                Cell::plain(&n.meta.name),
                Cell::styled(status, slot),
                Cell::plain(n.instance_type.as_deref().unwrap_or(sym.dash)),
                Cell::plain(n.gpu_product.as_deref().unwrap_or(sym.dash)),
                gpus,
                util,
                Cell::plain(format!("{:.0}", n.cpu_capacity)),
                Cell::styled(n.zone.as_deref().unwrap_or(sym.dash), Slot::TextDim),
                Cell::styled(age(n.meta.created, state.now), Slot::TextDim),
            ]
        })
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "nodes");
        return;
    }
    table::draw(
        frame,
        area,
        theme,
        &columns,
        &rows,
        cursor.selected.checked_sub(cursor.offset),
    );
}
