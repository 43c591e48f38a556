//! The completion list shown above the command line while typing a `:` command.

use crate::config::slot::Slot;
use crate::state::State;
use crate::state::ui::Mode;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

const MAX_ROWS: usize = 8;

/// Draws up to eight candidates just above `status_line`.
pub fn draw(frame: &mut Frame, status_line: Rect, state: &State, theme: &Theme) {
    let Mode::Command(cmd) = &state.ui.mode else {
        return;
    };
    if cmd.candidates.is_empty() || status_line.y < 3 {
        return;
    }
    let first = cmd
        .chosen
        .map(|c| c.saturating_sub(MAX_ROWS - 1))
        .unwrap_or(0);
    let shown: Vec<(usize, &String)> = cmd
        .candidates
        .iter()
        .enumerate()
        .skip(first)
        .take(MAX_ROWS)
        .collect();
    let width = shown.iter().map(|(_, c)| text::width(c)).max().unwrap_or(0) as u16 + 4;
    let height = (shown.len() as u16 + 2).min(status_line.y);
    let area = Rect {
        x: status_line.x,
        y: status_line.y - height,
        width: width.min(status_line.width),
        height,
    };
    let lines: Vec<Line> = shown
        .into_iter()
        .map(|(i, c)| {
            let slot = if Some(i) == cmd.chosen {
                Slot::Selection
            } else {
                Slot::CmdlineCompletion
            };
            Line::from(Span::styled(format!(" {c} "), theme.style(slot)))
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_set(theme.symbols.border)
                .border_style(theme.style(Slot::Border)),
        ),
        area,
    );
}
