//! The detail of one InferenceService: tabs for the overview (status, why it is not ready,
//! components, revisions and traffic, live figures, a transformer chain's split), its pods
//! and its events.

mod chain;
mod llm;
mod overview;
mod trained;

use crate::config::slot::Slot;
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::state::ui::DetailTab;
use crate::ui::table;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::BTreeSet;

/// Draws the detail of `key`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, key: &ObjectKey) {
    let isvc = state.cluster.isvcs.items.get(key);
    let llm = state.cluster.llm_isvcs.items.get(key);
    if isvc.is_none() && llm.is_none() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("  {key} is gone from the cluster (esc goes back)"),
                theme.style(Slot::TextWarning),
            )),
            area,
        );
        return;
    }
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let mut spans = Vec::new();
    for tab in DetailTab::ALL {
        let slot = if tab == state.ui.detail_tab {
            Slot::Selection
        } else {
            Slot::TextDim
        };
        spans.push(Span::styled(
            format!(" {} ", tab.title()),
            theme.style(slot),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        "(tab switches, y YAML)",
        theme.style(Slot::TextDim),
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    match state.ui.detail_tab {
        DetailTab::Overview => match (isvc, llm) {
            (Some(isvc), _) => overview::draw(frame, body, state, theme, key, isvc),
            (None, Some(llm)) => llm::draw(frame, body, state, theme, key, llm),
            (None, None) => {}
        },
        DetailTab::Pods => {
            let mut pods: Vec<_> = state.cluster.pods_of(key).collect();
            pods.sort_by(|a, b| {
                b.meta
                    .created
                    .cmp(&a.meta.created)
                    .then_with(|| a.meta.name.cmp(&b.meta.name))
            });
            let rows: Vec<_> = pods
                .iter()
                .skip(usize::from(state.ui.text_scroll))
                .map(|p| super::pods::row(state, p, false))
                .collect();
            if rows.is_empty() {
                frame.render_widget(
                    Paragraph::new(Span::styled("  No pods (yet).", theme.style(Slot::TextDim))),
                    body,
                );
            } else {
                table::draw(
                    frame,
                    body,
                    theme,
                    &super::pods::columns(false),
                    &rows,
                    None,
                );
            }
        }
        DetailTab::Events => {
            let mut names: BTreeSet<String> = state
                .cluster
                .pods_of(key)
                .map(|p| p.meta.name.clone())
                .collect();
            names.insert(key.name.clone());
            let events = state.cluster.events_for(&key.namespace, &names);
            let rows: Vec<_> = events
                .iter()
                .skip(usize::from(state.ui.text_scroll))
                .map(|e| super::events::row(state, e))
                .collect();
            if rows.is_empty() {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        "  No recent events.",
                        theme.style(Slot::TextDim),
                    )),
                    body,
                );
            } else {
                table::draw(frame, body, theme, &super::events::columns(), &rows, None);
            }
        }
    }
}
