//! Drawing: `draw(frame, &State, &Theme)` only reads. Views build only the rows they show,
//! so a 2,000-row list costs the same to draw as a 20-row one.

pub mod color;
pub mod slot;
pub mod symbols;
pub mod text;
pub mod theme;
pub mod views;
pub mod widgets;

use crate::state::State;
use crate::state::ui::{Mode, Route};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};
use slot::Slot;
use theme::Theme;

/// The smallest terminal the full layout needs; below it a one-line notice is drawn.
const MIN_WIDTH: u16 = 20;
const MIN_HEIGHT: u16 = 5;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.style(Slot::Base)), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = text::fit(
            &format!("kdeck: {}x{} is too small", area.width, area.height),
            usize::from(area.width),
            theme.symbols.ellipsis,
        );
        frame.render_widget(
            Paragraph::new(Span::styled(msg, theme.style(Slot::TextWarning))),
            area,
        );
        return;
    }
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    widgets::header::draw(frame, header, state, theme);
    draw_view(frame, body, state, theme);
    widgets::status_bar::draw(frame, status, state, theme);
    if matches!(state.ui.mode, Mode::Command(_)) {
        widgets::completion::draw(frame, status, state, theme);
    }
    if matches!(state.ui.mode, Mode::Help { .. }) {
        widgets::help::draw(frame, body, state, theme);
    }
}

fn draw_view(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let route = state.ui.route();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(Slot::Border))
        .title(Span::styled(
            text::fit(
                &format!(" {} ", route.title()),
                usize::from(area.width.saturating_sub(2)),
                theme.symbols.ellipsis,
            ),
            theme.style(Slot::Title),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match route {
        Route::Warnings => views::warnings::draw(frame, inner, state, theme),
        _ => views::empty::draw(frame, inner, state, theme),
    }
}
