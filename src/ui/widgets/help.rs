//! The help overlay, generated from the keymap for the current view plus the global keys
//! and the `:` commands, so it can never drift from what the keys really do. Where a key
//! does something else on the selected service (the canary key sets an LLM group member's
//! weight, not a percentage), its line says what it does there.

use crate::config::keymap::{Keymap, Scope};
use crate::config::slot::Slot;
use crate::domain::command_table::COMMANDS;
use crate::state::State;
use crate::state::ui::Mode;
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
        "failing canary: errors or p99 past [canary] in config.toml against its stable revision (an LLM group member: TTFT, preemptions or errors past them)",
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

/// What the canary key does on an LLMInferenceService group member.
pub const GROUP_WEIGHT_DESC: &str = "Set this group member's weight (0 or more; its share is weight / the group's total; KServe advises 1 to start)";

/// The help content for `scope`: its own bindings, the global ones, and the commands;
/// `llm_member` when the selected service is an LLMInferenceService (a group member).
pub fn help_lines(
    keymap: &Keymap,
    scope: Scope,
    view_title: &str,
    llm_member: bool,
) -> Vec<HelpLine> {
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
            let desc = if llm_member && b.action == crate::domain::action::Action::SetCanary {
                GROUP_WEIGHT_DESC.to_string()
            } else {
                b.desc.clone()
            };
            lines.push(HelpLine::Entry { keys, desc });
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
    let selected = match route {
        crate::state::ui::Route::Detail(key) => Some(key),
        crate::state::ui::Route::Services => state.selected_service(),
        _ => None,
    };
    let llm_member = selected
        .and_then(|k| crate::state::service_kind::lookup(state, k))
        .is_some_and(|s| s.is_llm());
    let lines = help_lines(&state.keymap, route.scope(), &route.title(), llm_member);
    let key_width = lines
        .iter()
        .map(|l| match l {
            HelpLine::Entry { keys, .. } => text::width(keys),
            HelpLine::Heading(_) => 0,
        })
        .max()
        .unwrap_or(0)
        .min(28);
    let width = area.width.saturating_sub(4).clamp(20.min(area.width), 120);
    let inner_width = usize::from(width.saturating_sub(2));
    let desc_width = inner_width.saturating_sub(key_width + 4).max(10);
    let mut rendered: Vec<Line> = Vec::new();
    for l in &lines {
        match l {
            HelpLine::Heading(h) => rendered.push(Line::from(Span::styled(
                h.clone(),
                theme.style(Slot::Title),
            ))),
            HelpLine::Entry { keys, desc } => {
                // Keys wider than their column get a line of their own.
                let own_line = text::width(keys) > key_width;
                if own_line {
                    rendered.push(Line::from(Span::styled(
                        format!(
                            "  {}",
                            text::fit(keys, inner_width.saturating_sub(2), theme.symbols.ellipsis)
                        ),
                        theme.style(Slot::TextKey),
                    )));
                }
                for (n, part) in wrap_words(desc, desc_width).into_iter().enumerate() {
                    let keys = if n == 0 && !own_line {
                        keys.as_str()
                    } else {
                        ""
                    };
                    rendered.push(Line::from(vec![
                        Span::styled(
                            format!("  {}  ", text::pad(keys, key_width, theme.symbols.ellipsis)),
                            theme.style(Slot::TextKey),
                        ),
                        Span::styled(part, theme.style(Slot::Base)),
                    ]));
                }
            }
        }
    }
    let height = u16::try_from(rendered.len() + 2).unwrap_or(u16::MAX);
    let popup = centered(area, width, height);
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

/// Splits `text` into lines of at most `width` cells at spaces (a word longer than a line is
/// cut into pieces), so help descriptions wrap instead of being cut.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let need = text::width(&line) + usize::from(!line.is_empty()) + text::width(&word);
            if need <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than the whole line: cut it.
            let cut: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            out.push(cut);
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
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
        let lines = help_lines(&keymap, Scope::Services, "InferenceServices", false);
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

    #[test]
    fn the_canary_key_says_percent_on_a_service_and_weight_on_a_group_member() {
        let (keymap, _) = Keymap::load(None);
        for scope in [Scope::Services, Scope::Detail] {
            let desc = |llm: bool| {
                help_lines(&keymap, scope, "x", llm)
                    .into_iter()
                    .find_map(|l| match l {
                        HelpLine::Entry { keys, desc } if keys == "c" => Some(desc),
                        _ => None,
                    })
                    .unwrap()
            };
            assert_eq!(desc(false), "Set canary percent (0-100) or LLM weight");
            assert_eq!(desc(true), GROUP_WEIGHT_DESC);
        }
    }

    #[test]
    fn long_descriptions_wrap_at_spaces() {
        let text = "Probe: health checks and 20 timed inferences at the service URL";
        let lines = wrap_words(text, 20);
        assert!(lines.iter().all(|l| text::width(l) <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap_words("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 4), vec![""]);
    }
}
