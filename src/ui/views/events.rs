//! Events: the global events list and the events tab of a service share these rows.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::domain::event::Event;
use crate::domain::k8s::age;
use crate::state::State;
use crate::state::lists;
use crate::ui::table::{self, Cell, Column};
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;

pub fn columns() -> Vec<Column> {
    vec![
        Column::new("LAST SEEN", 9, 5, 1),
        Column::new("TYPE", 7, 4, 2),
        Column::new("REASON", 18, 10, 1),
        Column::new("OBJECT", 40, 12, 3),
        Column::new("COUNT", 5, 5, 4),
        Column::flex("MESSAGE", 40, 0),
    ]
}

pub fn row(state: &State, e: &Event) -> Vec<Cell> {
    let (kind_slot, kind) = if e.warning {
        (Slot::TextWarning, "Warning")
    } else {
        (Slot::TextDim, "Normal")
    };
    vec![
        Cell::styled(age(e.last_seen, state.now), Slot::TextDim),
        Cell::styled(kind, kind_slot),
        Cell::styled(
            &e.reason,
            if e.warning {
                Slot::TextWarning
            } else {
                Slot::Base
            },
        ),
        Cell::plain(format!(
            "{}/{}",
            e.object_kind.to_lowercase(),
            e.object_name
        )),
        Cell::plain(e.count.to_string()),
        Cell::plain(&e.message),
    ]
}

/// The global events list, newest first.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let keys = lists::keys(state, Scope::Events);
    let cursor = state.ui.list_view(Scope::Events).cursor;
    let fit = usize::from(area.height.saturating_sub(1));
    let rows: Vec<Vec<Cell>> = keys
        .iter()
        .skip(cursor.offset)
        .take(fit)
        .filter_map(|k| state.cluster.events.items.get(k))
        .map(|e| row(state, e))
        .collect();
    if rows.is_empty() {
        super::empty::draw_list_empty(frame, area, state, theme, "events");
        return;
    }
    table::draw(
        frame,
        area,
        theme,
        &columns(),
        &rows,
        cursor.selected.checked_sub(cursor.offset),
    );
}
