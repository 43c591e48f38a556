//! Drawing: `draw(frame, &State, &Theme)` only reads. Views build only the rows they show,
//! so a 2,000-row list costs the same to draw as a 20-row one.

#[cfg(test)]
mod chain_snapshot_tests;
pub mod color;
pub mod contrast;
#[cfg(test)]
mod cost_snapshot_tests;
#[cfg(test)]
pub mod demo_cluster;
#[cfg(test)]
pub mod fixture_cluster;
pub mod format;
#[cfg(test)]
pub mod llm_snapshot_tests;
#[cfg(test)]
mod snapshot_sizes;
#[cfg(test)]
pub mod snapshot_tests;
pub mod symbols;
pub mod table;
pub mod text;
pub mod theme;
#[cfg(test)]
mod trained_snapshot_tests;
pub mod views;
pub mod widgets;

use crate::config::slot::Slot;
use crate::state::State;
use crate::state::ui::{Mode, Route};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph};
use theme::Theme;

/// The smallest terminal the full layout needs; below it a one-line notice is drawn.
const MIN_WIDTH: u16 = 20;
const MIN_HEIGHT: u16 = 5;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    // The theme's base colours under everything (what a styled block over the whole screen
    // draws, cell by cell without looking each one up).
    let base = theme.style(Slot::Base);
    for cell in &mut frame.buffer_mut().content {
        cell.set_style(base);
    }
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
    widgets::rollout::draw(frame, body, state, theme);
    widgets::group_rollout::draw(frame, body, state, theme);
    if matches!(state.ui.mode, Mode::Help { .. }) {
        widgets::help::draw(frame, body, state, theme);
    }
}

fn draw_view(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let route = state.ui.route();
    let title = match route {
        Route::Services => views::services::title(state, theme),
        Route::Detail(key)
            if !state.cluster.isvcs.items.contains_key(key)
                && state.cluster.llm_isvcs.items.contains_key(key) =>
        {
            format!("LLMInferenceService {key}")
        }
        other => other.title(),
    };
    let stale = state.cluster.stale_since();
    let border = if stale.is_some() {
        Slot::Stale
    } else {
        Slot::Border
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(border))
        .title(Span::styled(
            text::fit(
                &format!(" {title} "),
                usize::from(area.width.saturating_sub(2)),
                theme.symbols.ellipsis,
            ),
            theme.style(Slot::Title),
        ));
    if let Some((since, error)) = stale {
        let marker = format!(
            " {} stale since {} {} {error} ",
            theme.symbols.warn,
            since.format("%H:%M:%S"),
            theme.symbols.sep
        );
        block = block.title_bottom(Span::styled(
            text::fit(
                &marker,
                usize::from(area.width.saturating_sub(2)),
                theme.symbols.ellipsis,
            ),
            theme.style(Slot::Stale),
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match route {
        Route::Services => views::services::draw(frame, inner, state, theme),
        Route::Detail(key) => views::detail::draw(frame, inner, state, theme, key),
        Route::Yaml(key) => views::yaml::draw(frame, inner, state, theme, key),
        Route::PodDescribe(key) => views::describe::draw_pod(frame, inner, state, theme, key),
        Route::Logs => views::logs::draw(frame, inner, state, theme),
        Route::Pods => views::pods::draw(frame, inner, state, theme),
        Route::Events => views::events::draw(frame, inner, state, theme),
        Route::Nodes => views::nodes::draw(frame, inner, state, theme),
        Route::Runtimes => views::runtimes::draw_runtimes(frame, inner, state, theme),
        Route::Graphs => views::runtimes::draw_graphs(frame, inner, state, theme),
        Route::Gpu => views::gpu::draw(frame, inner, state, theme),
        Route::Cost => views::cost::draw(frame, inner, state, theme),
        Route::Warnings => views::warnings::draw(frame, inner, state, theme),
    }
}
