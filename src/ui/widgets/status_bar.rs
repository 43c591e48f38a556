//! The bottom line: the filter or command being typed (with the cursor), a rollout prompt
//! (the service, the question, the answer), else the latest notice, else key hints from the
//! keymap; a warnings badge on the right.

use super::put_line;
use crate::config::slot::Slot;
use crate::domain::action::Action;
use crate::domain::notice::NoticeLevel;
use crate::state::State;
use crate::state::ui::Mode;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

/// Draws the status bar and places the cursor when a line is being typed.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let badge = warnings_badge(state, theme);
    let badge_width = text::width(&badge) as u16;
    let left_width = area.width.saturating_sub(badge_width);
    let left = Rect {
        width: left_width,
        ..area
    };
    match &state.ui.mode {
        Mode::Filter(line)
        | Mode::Search(line)
        | Mode::Command(crate::state::ui::CommandLine { input: line, .. }) => {
            let prompt = match (&state.ui.mode, state.ui.route()) {
                (Mode::Filter(_), crate::state::ui::Route::Logs) => "&",
                (Mode::Filter(_) | Mode::Search(_), _) => "/",
                _ => ":",
            };
            let visible = text::fit(
                &line.text,
                usize::from(left_width.saturating_sub(2)),
                sym.ellipsis,
            );
            let spans = vec![
                Span::styled(prompt, theme.style(Slot::TextKey)),
                Span::styled(visible, theme.style(Slot::Cmdline)),
            ];
            put_line(frame, left, &Line::from(spans));
            let before: String = line.text.chars().take(line.cursor).collect();
            let x = area.x + 1 + text::width(&before) as u16;
            if x < area.x + left_width {
                frame.set_cursor_position(Position::new(x, area.y));
            }
        }
        Mode::Prompt(prompt) => {
            // A rollout question: which service, what is asked, the answer being typed, and
            // why the last answer was refused.
            let question = format!(" {} {}", prompt.key, prompt.kind.question());
            let line = &prompt.input;
            let room = usize::from(left_width).saturating_sub(text::width(&question) + 1);
            let mut spans = vec![
                Span::styled(question.clone(), theme.style(Slot::TextKey)),
                Span::styled(
                    text::fit(&line.text, room, sym.ellipsis),
                    theme.style(Slot::Cmdline),
                ),
            ];
            if let Some(notice) = state
                .ui
                .notice
                .as_ref()
                .filter(|n| matches!(n.level, NoticeLevel::Error))
            {
                spans.push(Span::styled(
                    format!("   {}", notice.text),
                    theme.style(Slot::NoticeError),
                ));
            }
            put_line(frame, left, &Line::from(spans));
            let before: String = line.text.chars().take(line.cursor).collect();
            let x = text::width(&question) + text::width(&before);
            if let Ok(x) = u16::try_from(x)
                && x < left_width
            {
                frame.set_cursor_position(Position::new(area.x + x, area.y));
            }
        }
        _ => {
            let line = match &state.ui.notice {
                Some(notice) => {
                    let slot = match notice.level {
                        NoticeLevel::Info => Slot::NoticeInfo,
                        NoticeLevel::Error => Slot::NoticeError,
                    };
                    Line::from(Span::styled(
                        text::fit(
                            &format!(" {} ", notice.text),
                            usize::from(left_width),
                            sym.ellipsis,
                        ),
                        theme.style(slot),
                    ))
                }
                None => hints(state, theme, usize::from(left_width)),
            };
            put_line(frame, left, &line);
        }
    }
    if badge_width > 0 {
        let right = Rect {
            x: area.x + left_width,
            width: badge_width.min(area.width),
            ..area
        };
        put_line(
            frame,
            right,
            &Line::from(Span::styled(badge, theme.style(Slot::TextWarning))),
        );
    }
}

fn warnings_badge(state: &State, theme: &Theme) -> String {
    let n = state.warnings.len();
    if n == 0 {
        return String::new();
    }
    let key = state
        .keymap
        .key_for(state.ui.route().scope(), Action::ShowWarnings)
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    let noun = if n == 1 { "warning" } else { "warnings" };
    format!(" {} {n} {noun}{key} ", theme.symbols.warn)
}

/// Key hints for the current view from the keymap's hinted bindings.
fn hints(state: &State, theme: &Theme, max: usize) -> Line<'static> {
    let scope = state.ui.route().scope();
    let mut spans = Vec::new();
    let mut used = 0;
    let own = state.keymap.bindings(scope);
    // A global hint whose key the view binds itself (`/` searches the logs) is not shown.
    let bindings = own.iter().chain(
        state
            .keymap
            .bindings(crate::config::keymap::Scope::Global)
            .iter()
            .filter(|g| {
                !g.keys
                    .iter()
                    .any(|k| own.iter().any(|b| b.keys.contains(k)))
            }),
    );
    for binding in bindings {
        let (Some(key), Some(desc)) = (binding.keys.first(), binding.hint.as_ref()) else {
            continue;
        };
        let key = key.to_string();
        let cost = text::width(&key) + text::width(desc) + 3;
        if used + cost > max {
            break;
        }
        used += cost;
        spans.push(Span::styled(format!(" {key}"), theme.style(Slot::TextKey)));
        spans.push(Span::styled(
            format!(" {desc} "),
            theme.style(Slot::TextDim),
        ));
    }
    Line::from(spans)
}
