//! The honest empty state: what the console is waiting for, and what the user can do.

use crate::config::slot::Slot;
use crate::domain::action::Action;
use crate::state::State;
use crate::state::session::Connection;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Draws the reason there is nothing to show, plus the keys that still work.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let (slot, headline, detail) = match &state.session.connection {
        Connection::NotConfigured { reason } => (
            Slot::StatusUnknown,
            "No cluster connected".to_string(),
            reason.clone(),
        ),
        Connection::Connecting { .. } => (
            Slot::StatusProgressing,
            format!("Connecting to the cluster{}", theme.symbols.ellipsis),
            "Listing InferenceServices; rows appear as soon as the first page arrives.".to_string(),
        ),
        Connection::Failed { error, .. } => (
            Slot::StatusFailed,
            "Cannot reach the cluster".to_string(),
            error.clone(),
        ),
        Connection::Connected { .. } => (
            Slot::StatusReady,
            "Nothing here yet".to_string(),
            String::new(),
        ),
    };
    let scope = state.ui.route().scope();
    let key = |action| {
        state
            .keymap
            .key_for(scope, action)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".to_string())
    };
    let lines = vec![
        Line::default(),
        Line::from(Span::styled(format!("  {headline}"), theme.style(slot))),
        Line::from(Span::styled(
            format!("  {detail}"),
            theme.style(Slot::TextDim),
        )),
        Line::default(),
        Line::from(vec![
            Span::styled(
                format!("  {}", key(Action::Help)),
                theme.style(Slot::TextKey),
            ),
            Span::styled(" help   ", theme.style(Slot::TextDim)),
            Span::styled(key(Action::Command), theme.style(Slot::TextKey)),
            Span::styled(
                " command line (ctx NAME to pick a context)   ",
                theme.style(Slot::TextDim),
            ),
            Span::styled(key(Action::Quit), theme.style(Slot::TextKey)),
            Span::styled(" quit", theme.style(Slot::TextDim)),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Draws why a list is empty: not connected yet, still loading, no KServe, nothing matches
/// the filter, or truly nothing there.
pub fn draw_list_empty(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, what: &str) {
    if !matches!(state.session.connection, Connection::Connected { .. }) {
        draw(frame, area, state, theme);
        return;
    }
    let scope = state.ui.route().scope();
    let filter = state.ui.list_view(scope).filter;
    let (slot, text) = if !filter.is_empty() {
        (
            Slot::TextDim,
            format!("No {what} match /{filter} (esc clears the filter)"),
        )
    } else if state.cluster.kserve == crate::domain::watch::Kserve::Missing
        && what == "InferenceServices"
    {
        (
            Slot::TextWarning,
            "This cluster has no KServe: the API group serving.kserve.io is not served. :pods, :nodes and :events still work.".to_string(),
        )
    } else if let Some((since, error)) = state.cluster.stale_since() {
        (
            Slot::Stale,
            format!(
                "Cannot list {what} (since {}): {error}",
                since.format("%H:%M:%S")
            ),
        )
    } else if !state.cluster.isvcs.synced && what == "InferenceServices" {
        (
            Slot::StatusProgressing,
            format!("Loading {what}{}", theme.symbols.ellipsis),
        )
    } else {
        (
            Slot::TextDim,
            format!("No {what} in namespace {}", state.session.namespace.label()),
        )
    };
    let lines = vec![
        Line::default(),
        Line::from(Span::styled(format!("  {text}"), theme.style(slot))),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
