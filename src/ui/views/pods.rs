//! Pods: the global pods list and the pods tab of a service share these rows.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::k8s::age;
use crate::domain::pod::Pod;
use crate::state::State;
use crate::state::lists;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;

/// The pod columns; `with_namespace` for all-namespace lists.
pub fn columns(with_namespace: bool) -> Vec<Column> {
    let mut cols = vec![
        Column::new("NAME", 52, 16, 0),
        Column::new("READY", 5, 5, 1),
        Column::new("STATUS", 22, 10, 1),
        Column::new("RESTARTS", 8, 8, 3),
        Column::new("REVISION", 10, 8, 4),
        Column::new("NODE", 28, 10, 5),
        Column::new("AGE", 4, 4, 6),
    ];
    if with_namespace {
        cols.insert(1, Column::new("NAMESPACE", 12, 9, 2));
    }
    cols
}

fn status_slot(pod: &Pod) -> Slot {
    let word = pod.status_word();
    if pod.is_ready() {
        Slot::StatusReady
    } else if word.contains("Error")
        || word.contains("BackOff")
        || word.contains("OOM")
        || word.contains("Err")
        || pod.unschedulable.is_some()
    {
        Slot::StatusFailed
    } else {
        Slot::StatusProgressing
    }
}

/// One pod row.
pub fn row(state: &State, pod: &Pod, with_namespace: bool) -> Vec<Cell> {
    let (ready, total) = pod.ready_counts();
    let node = match &pod.node {
        Some(name) => match state
            .cluster
            .node(name)
            .and_then(|n| n.instance_type.as_deref())
        {
            Some(instance) => format!("{name} ({instance})"),
            None => name.clone(),
        },
        None => "–".to_string(),
    };
    let revision = pod
        .revision()
        .map(crate::domain::isvc::short_revision)
        .unwrap_or_else(|| pod.component().unwrap_or("").to_string());
    let restarts = pod.restarts();
    let mut cells = vec![
        Cell::plain(&pod.meta.name),
        Cell::plain(format!("{ready}/{total}")),
        Cell::styled(pod.status_word(), status_slot(pod)),
        if restarts > 0 {
            Cell::styled(restarts.to_string(), Slot::TextWarning)
        } else {
            Cell::plain("0")
        },
        Cell::plain(revision),
        Cell::styled(node, Slot::TextDim),
        Cell::styled(age(pod.meta.created, state.now), Slot::TextDim),
    ];
    if with_namespace {
        cells.insert(1, Cell::styled(&pod.meta.namespace, Slot::TextDim));
    }
    cells
}

/// The global pods list.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let keys = lists::keys(state, Scope::Pods);
    let cursor = state.ui.list_view(Scope::Pods).cursor;
    let fit = usize::from(area.height.saturating_sub(1));
    let with_ns = state.session.namespace == crate::domain::scope::NamespaceScope::All;
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .filter_map(|k| state.cluster.pods.items.get(k))
        .map(|p| row(state, p, with_ns))
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "pods");
        return;
    }
    table::draw(
        frame,
        area,
        theme,
        &columns(with_ns),
        &rows,
        cursor.selected.checked_sub(cursor.offset),
    );
}
