//! The parts every change dialog shows the same way, whether it changes an InferenceService
//! (rollout.rs) or an LLMInferenceService routing group (group_rollout.rs): the target
//! context and namespace, the before → after line, the styled diff, the typed or button
//! confirmation, the progress marks, the outcome, and the popup that holds them with its end
//! kept in view.

use crate::config::slot::Slot;
use crate::domain::rollout::diff::{DiffLine, yaml_diff};
use crate::state::rollout::Finish;
use crate::ui::text;
use crate::ui::theme::Theme;
use crate::ui::widgets::help::centered;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use serde_json::Value;

/// The target: cluster context and namespace, marked when protected.
pub fn target_line(
    context: &str,
    namespace: &str,
    protected: bool,
    theme: &Theme,
) -> Line<'static> {
    let ctx_slot = if protected {
        Slot::HeaderProtected
    } else {
        Slot::ConfirmDanger
    };
    Line::from(vec![
        Span::styled(" context ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {context} "), theme.style(ctx_slot)),
        Span::styled("  namespace ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {namespace} "), theme.style(ctx_slot)),
        Span::styled(
            if protected { "  PROTECTED" } else { "" }.to_string(),
            theme.style(Slot::TextError),
        ),
    ])
}

/// `label before → after`, as the traffic or the group's weights change.
pub fn before_after_line(label: &str, before: &str, after: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {label} "), theme.style(Slot::TextDim)),
        Span::styled(before.to_string(), theme.style(Slot::RevisionCanary)),
        Span::styled(
            format!("  {}  ", theme.symbols.arrow),
            theme.style(Slot::TextDim),
        ),
        Span::styled(after.to_string(), theme.style(Slot::RevisionStable)),
    ])
}

/// `label before` over `→ after`, aligned: for values too long to share one line (a group's
/// weights name every member).
pub fn before_over_after_lines(
    label: &str,
    before: &str,
    after: &str,
    theme: &Theme,
) -> [Line<'static>; 2] {
    let arrow = theme.symbols.arrow;
    let pad = " ".repeat(label.chars().count().saturating_sub(arrow.chars().count()) + 1);
    [
        Line::from(vec![
            Span::styled(format!(" {label} "), theme.style(Slot::TextDim)),
            Span::styled(before.to_string(), theme.style(Slot::RevisionCanary)),
        ]),
        Line::from(vec![
            Span::styled(format!("{pad}{arrow} "), theme.style(Slot::TextDim)),
            Span::styled(after.to_string(), theme.style(Slot::RevisionStable)),
        ]),
    ]
}

/// The YAML diff of `before` → `after` with `context` unchanged lines around each change.
pub fn diff_lines(
    before: &Value,
    after: &Value,
    context: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    yaml_diff(before, after, context)
        .into_iter()
        .map(|line| match line {
            DiffLine::Same(t) => {
                Line::from(Span::styled(format!("   {t}"), theme.style(Slot::TextDim)))
            }
            DiffLine::Added(t) => {
                Line::from(Span::styled(format!(" + {t}"), theme.style(Slot::DiffAdd)))
            }
            DiffLine::Removed(t) => Line::from(Span::styled(
                format!(" - {t}"),
                theme.style(Slot::DiffRemove),
            )),
            DiffLine::Gap(_) => Line::from(Span::styled(
                format!("   {}", theme.symbols.ellipsis),
                theme.style(Slot::TextDim),
            )),
        })
        .collect()
}

/// The typed confirmation: `prompt`, what was typed so far, and how to cancel.
pub fn typed_confirmation(prompt: String, typed: &str, theme: &Theme) -> [Line<'static>; 2] {
    [
        Line::from(vec![
            Span::styled(prompt, theme.style(Slot::TextError)),
            Span::styled(typed.to_string(), theme.style(Slot::Cmdline)),
        ]),
        Line::from(Span::styled(" esc cancels", theme.style(Slot::TextDim))),
    ]
}

/// The No / Yes buttons with `yes` selected or not, and the keys.
pub fn buttons_line(yes: bool, theme: &Theme) -> Line<'static> {
    let button = |label: &str, on: bool| {
        let slot = if on { Slot::Selection } else { Slot::TextDim };
        Span::styled(format!(" [ {label} ] "), theme.style(slot))
    };
    Line::from(vec![
        Span::raw(" "),
        button("No", !yes),
        Span::raw(" "),
        button("Yes", yes),
        Span::styled(
            "   y applies · n/esc cancels · tab switches",
            theme.style(Slot::TextDim),
        ),
    ])
}

/// One step of the rollout's progress, done or still to come.
pub fn progress_line(label: &str, done: bool, theme: &Theme) -> Line<'static> {
    let sym = &theme.symbols;
    let (mark, slot) = if done {
        (sym.ok, Slot::StatusReady)
    } else {
        (sym.pending, Slot::StatusProgressing)
    };
    Line::from(Span::styled(format!(" {mark} {label}"), theme.style(slot)))
}

/// How the change finished, and how to close the dialog.
pub fn finish_lines(finish: &Finish, theme: &Theme) -> [Line<'static>; 2] {
    let sym = &theme.symbols;
    let (slot, text) = match finish {
        Finish::Done(m) => (Slot::StatusReady, format!("{} Done: {m}", sym.ok)),
        Finish::Cancelled => (Slot::TextDim, "Cancelled: nothing was changed.".to_string()),
        Finish::Failed(m) => (Slot::StatusFailed, format!("{} Failed: {m}", sym.fail)),
        Finish::Forbidden(m) => (Slot::StatusFailed, format!("{} Not allowed: {m}", sym.fail)),
        Finish::Rejected(m) => (Slot::StatusFailed, format!("{} Not done: {m}", sym.fail)),
        Finish::Conflict(m) => (
            Slot::StatusProgressing,
            format!("{} Conflict: {m}", sym.warn),
        ),
        Finish::TimedOut(m) => (Slot::StatusFailed, format!("{} Timed out: {m}", sym.fail)),
    };
    [
        Line::from(Span::styled(format!(" {text}"), theme.style(slot))),
        Line::from(Span::styled(" esc closes", theme.style(Slot::TextDim))),
    ]
}

/// Draws the dialog's `content` in a popup over `area`, at most 96 columns wide, as tall as
/// the wrapped content needs; on a short terminal the end (confirmation or outcome) stays in
/// view.
pub fn draw_popup(
    frame: &mut Frame,
    area: Rect,
    content: Vec<Line<'static>>,
    (title, border): (&str, Slot),
    theme: &Theme,
) {
    let inner_width = area.width.min(96).saturating_sub(2);
    let rows: u16 = content
        .iter()
        .map(|l| wrapped_rows(l, inner_width))
        .fold(0u16, u16::saturating_add);
    let popup = centered(area, 96, rows.saturating_add(2));
    let hidden = rows.saturating_sub(popup.height.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(border))
        .title(Span::styled(
            text::fit(
                title,
                usize::from(popup.width.saturating_sub(2)),
                theme.symbols.ellipsis,
            ),
            theme.style(Slot::Title),
        ));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(content)
            .block(block)
            .style(theme.style(Slot::Base))
            .wrap(Wrap { trim: false })
            .scroll((hidden, 0)),
        popup,
    );
}

/// The rows `line` takes when the dialog word-wraps it to `width` columns (long words are
/// broken), so the dialog is tall enough for its last lines — the buttons — to show.
pub(crate) fn wrapped_rows(line: &Line, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let content: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let mut rows = 1usize;
    let mut column = 0usize;
    for word in content.split_inclusive(' ') {
        let visible = text::width(word.trim_end_matches(' '));
        let spaces = text::width(word) - visible;
        if column > 0 && column + visible > width {
            rows += 1;
            column = 0;
        }
        // A word longer than a row is broken across rows.
        let extra = visible.saturating_sub(1) / width;
        rows += extra;
        column += visible - extra * width + spaces;
    }
    u16::try_from(rows).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_after_starts_under_the_value_before_with_either_arrow() {
        let mut theme = crate::ui::snapshot_tests::theme("dark");
        for symbols in [
            crate::ui::symbols::Symbols::UNICODE,
            crate::ui::symbols::Symbols::ASCII,
        ] {
            theme.symbols = symbols;
            let [before, after] =
                before_over_after_lines("weights", "a 10 · b 90", "a 0 · b 90", &theme);
            let text = |l: &Line| {
                l.spans
                    .iter()
                    .map(|s| s.content.to_string())
                    .collect::<String>()
            };
            let (before, after) = (text(&before), text(&after));
            // Columns on screen, not bytes: the arrow is one column but three bytes.
            let column = |s: &str, needle: &str| s.find(needle).map(|i| s[..i].chars().count());
            assert_eq!(
                column(&before, "a 10"),
                column(&after, "a 0"),
                "{before}\n{after}"
            );
            assert!(after.contains(symbols.arrow), "{after}");
        }
    }

    #[test]
    fn wrapped_rows_counts_what_word_wrap_makes() {
        assert_eq!(wrapped_rows(&Line::from(" short line"), 40), 1);
        assert_eq!(wrapped_rows(&Line::from(""), 40), 1);
        // 10 words of 9 characters and a space: 5 fit a row of 50 (the last space overhangs).
        let words = "abcdefghi ".repeat(10);
        assert_eq!(wrapped_rows(&Line::from(words.as_str()), 50), 2);
        assert_eq!(wrapped_rows(&Line::from(words.as_str()), 48), 3);
        assert_eq!(wrapped_rows(&Line::from("x".repeat(95)), 40), 3);
        let spans = Line::from(vec![Span::raw(" traffic "), Span::raw("r2 10% · r1 90%")]);
        assert_eq!(wrapped_rows(&spans, 94), 1);
    }
}
