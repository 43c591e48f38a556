//! The help overlay, generated from the keymap for the current view plus the global keys
//! and the `:` commands, so it can never drift from what the keys really do.

use crate::app::update::command::COMMANDS;
use crate::config::keymap::{Keymap, Scope};
use crate::state::State;
use crate::state::ui::Mode;
use crate::ui::slot::Slot;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// What the marks on the services list and the detail mean.
const FIGURES_LEGEND: [(&str, &str); 4] = [
    (
        "~26ms",
        "not over the full window (1m) yet: the first scrape (since pod start) or a window still filling; also stale figures",
    ),
    (
        "✗ r2 10%",
        "failing canary: errors or p99 past [canary] in config.toml against its stable revision",
    ),
    (
        "ERR%",
        "error rate of the worst revision; sorted on: unhealthy first",
    ),
    ("[guard]", "the guard watches this canary"),
];

/// One line of help: a key column and a description, or a section heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Heading(String),
    Entry { keys: String, desc: String },
}

/// The help content for `scope`: its own bindings, the global ones, and the commands.
pub fn help_lines(keymap: &Keymap, scope: Scope, view_title: &str) -> Vec<HelpLine> {
    let mut lines = Vec::new();
    let mut section = |heading: String, bindings: &[crate::config::keymap::Binding]| {
        if bindings.is_empty() {
            return;
        }
        lines.push(HelpLine::Heading(heading));
        for b in bindings {
            let keys = b
                .keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(HelpLine::Entry {
                keys,
                desc: b.desc.clone(),
            });
        }
    };
    if scope != Scope::Global {
        section(format!("{view_title} view"), keymap.bindings(scope));
    }
    section("Everywhere".to_string(), keymap.bindings(Scope::Global));
    if matches!(scope, Scope::Services | Scope::Detail) {
        lines.push(HelpLine::Heading("Legend".to_string()));
        for (keys, desc) in FIGURES_LEGEND {
            lines.push(HelpLine::Entry {
                keys: keys.to_string(),
                desc: desc.to_string(),
            });
        }
    }
    lines.push(HelpLine::Heading(
        "Commands (type : then Tab to complete)".to_string(),
    ));
    for c in COMMANDS {
        let mut keys = format!(":{}", c.name);
        if !c.aliases.is_empty() {
            keys.push_str(&format!(" ({})", c.aliases.join(", ")));
        }
        lines.push(HelpLine::Entry {
            keys,
            desc: c.desc.to_string(),
        });
    }
    lines
}

/// Draws the help overlay centred over `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Mode::Help { scroll } = state.ui.mode else {
        return;
    };
    let route = state.ui.route();
    let lines = help_lines(&state.keymap, route.scope(), &route.title());
    let key_width = lines
        .iter()
        .map(|l| match l {
            HelpLine::Entry { keys, .. } => text::width(keys),
            HelpLine::Heading(_) => 0,
        })
        .max()
        .unwrap_or(0)
        .min(28);
    let popup = centered(area, 84, lines.len() as u16 + 2);
    let inner_width = usize::from(popup.width.saturating_sub(2));
    let rendered: Vec<Line> = lines
        .iter()
        .map(|l| match l {
            HelpLine::Heading(h) => Line::from(Span::styled(h.clone(), theme.style(Slot::Title))),
            HelpLine::Entry { keys, desc } => Line::from(vec![
                Span::styled(
                    format!("  {}", text::pad(keys, key_width, theme.symbols.ellipsis)),
                    theme.style(Slot::TextKey),
                ),
                Span::styled(
                    text::fit(
                        &format!("  {desc}"),
                        inner_width.saturating_sub(key_width + 2),
                        theme.symbols.ellipsis,
                    ),
                    theme.style(Slot::Base),
                ),
            ]),
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(Slot::BorderFocused))
        .title(Span::styled(
            " Help (esc closes, j/k scroll) ",
            theme.style(Slot::Title),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(rendered)
            .block(block)
            .style(theme.style(Slot::Base))
            .scroll((scroll, 0)),
        popup,
    );
}

/// A rectangle of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_comes_from_the_keymap() {
        let (keymap, _) = Keymap::load(None);
        let lines = help_lines(&keymap, Scope::Services, "InferenceServices");
        assert_eq!(
            lines[0],
            HelpLine::Heading("InferenceServices view".to_string())
        );
        assert!(lines.contains(&HelpLine::Entry {
            keys: "!".into(),
            desc: "Jump to the next service that is not ready".into()
        }));
        assert!(lines.contains(&HelpLine::Entry {
            keys: "q".into(),
            desc: "Quit kdeck".into()
        }));
        assert!(
            lines
                .iter()
                .any(|l| matches!(l, HelpLine::Entry { keys, .. } if keys.starts_with(":ns")))
        );
    }
}
