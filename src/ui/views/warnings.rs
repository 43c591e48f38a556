//! The list of problems found in config, keymap and theme files.

use crate::config::keymap::Scope;
use crate::config::slot::Slot;
use crate::state::State;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws one warning per line, the selected one highlighted.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if state.warnings.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "  No problems in your config, keymap or theme files.",
                theme.style(Slot::TextOk),
            )),
            area,
        );
        return;
    }
    let view = state.ui.list_view(Scope::Warnings);
    let width = usize::from(area.width);
    let lines: Vec<Line> = state
        .warnings
        .iter()
        .enumerate()
        .skip(view.cursor.offset)
        .take(usize::from(area.height))
        .map(|(i, w)| {
            let slot = if i == view.cursor.selected {
                Slot::Selection
            } else {
                Slot::TextWarning
            };
            Line::from(Span::styled(
                text::pad(
                    &format!(" {} {w}", theme.symbols.warn),
                    width,
                    theme.symbols.ellipsis,
                ),
                theme.style(slot),
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}
