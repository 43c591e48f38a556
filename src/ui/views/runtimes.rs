//! ServingRuntimes and ClusterServingRuntimes, and InferenceGraphs.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::k8s::age;
use crate::state::State;
use crate::state::lists;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn draw_runtimes(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let keys = lists::keys(state, Scope::Runtimes);
    let cursor = state.ui.list_view(Scope::Runtimes).cursor;
    let fit = usize::from(area.height.saturating_sub(1));
    let columns = vec![
        Column::new("NAME", 30, 12, 0),
        Column::new("SCOPE", 10, 7, 2),
        Column::new("FORMATS", 30, 10, 1),
        Column::new("PROTOCOLS", 18, 8, 3),
        Column::new("DISABLED", 8, 8, 4),
        Column::new("IMAGE", 60, 10, 5),
        Column::new("AGE", 4, 4, 6),
    ];
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .filter_map(|k| state.cluster.runtimes.items.get(k))
        .map(|r| {
            vec![
                Cell::plain(&r.meta.name),
                Cell::styled(
                    if r.cluster_scoped {
                        "cluster".to_string()
                    } else {
                        r.meta.namespace.clone()
                    },
                    Slot::TextDim,
                ),
                Cell::plain(r.formats.join(",")),
                Cell::plain(r.protocols.join(",")),
                if r.disabled {
                    Cell::styled("yes", Slot::TextWarning)
                } else {
                    Cell::plain(sym.dash)
                },
                Cell::styled(&r.image, Slot::TextDim),
                Cell::styled(age(r.meta.created, state.now), Slot::TextDim),
            ]
        })
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "ServingRuntimes");
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

pub fn draw_graphs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let keys = lists::keys(state, Scope::Graphs);
    let cursor = state.ui.list_view(Scope::Graphs).cursor;
    let fit = usize::from(area.height.saturating_sub(1));
    let columns = vec![
        Column::new("NAME", 24, 10, 0),
        Column::new("NAMESPACE", 12, 9, 4),
        Column::new("READY", 7, 5, 1),
        Column::new("ROUTER", 9, 6, 2),
        Column::new("NODES", 5, 5, 5),
        Column::new("STEPS", 50, 10, 3),
        Column::new("URL", 40, 10, 6),
        Column::new("AGE", 4, 4, 7),
    ];
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .filter_map(|k| state.cluster.graphs.items.get(k))
        .map(|g| {
            let ready = match g.ready {
                Some(true) => Cell::styled(sym.ok, Slot::StatusReady),
                Some(false) => Cell::styled(sym.fail, Slot::StatusFailed),
                None => Cell::styled(sym.pending, Slot::StatusUnknown),
            };
            vec![
                Cell::plain(&g.meta.name),
                Cell::styled(&g.meta.namespace, Slot::TextDim),
                ready,
                Cell::plain(&g.root_router),
                Cell::plain(g.nodes.to_string()),
                Cell::plain(g.targets.join(&format!(" {} ", sym.arrow))),
                Cell::styled(g.url.as_deref().unwrap_or(sym.dash), Slot::TextDim),
                Cell::styled(age(g.meta.created, state.now), Slot::TextDim),
            ]
        })
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "InferenceGraphs");
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
