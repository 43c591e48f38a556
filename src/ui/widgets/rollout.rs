//! The rollout dialog: the target cluster context and namespace in colours that stand out,
//! the traffic before → after, the exact spec diff, the safety steps passed, and then the
//! rollout's progress, live, until it is done, failed or timed out.

use crate::config::slot::Slot;
use crate::domain::rollout::diff::{DiffLine, yaml_diff};
use crate::state::State;
use crate::state::rollout::{Finish, RolloutFlow, Stage};
use crate::ui::text;
use crate::ui::theme::Theme;
use crate::ui::widgets::help::centered;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn title(flow: &RolloutFlow) -> String {
    let verb = flow.action.verb();
    let mut t = format!(" {}{} {} ", verb[..1].to_uppercase(), &verb[1..], flow.key);
    if flow.automatic {
        t.push_str("(guard) ");
    }
    t
}

/// The dialog's lines.
pub fn lines(state: &State, flow: &RolloutFlow, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    target_lines(&mut out, state, flow, theme);
    plan_lines(&mut out, flow, theme);
    step_lines(&mut out, flow, theme);
    diff_lines(&mut out, flow, theme);
    stage_lines(&mut out, flow, theme);
    out
}

/// The target: cluster context and namespace, marked when protected.
fn target_lines(out: &mut Vec<Line<'static>>, state: &State, flow: &RolloutFlow, theme: &Theme) {
    let context = state
        .session
        .context
        .clone()
        .unwrap_or_else(|| "?".to_string());
    let ctx_slot = if flow.protected {
        Slot::HeaderProtected
    } else {
        Slot::ConfirmDanger
    };
    out.push(Line::from(vec![
        Span::styled(" context ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {context} "), theme.style(ctx_slot)),
        Span::styled("  namespace ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {} ", flow.key.namespace), theme.style(ctx_slot)),
        Span::styled(
            if flow.protected {
                "  PROTECTED".to_string()
            } else {
                String::new()
            },
            theme.style(Slot::TextError),
        ),
    ]));
}

/// The planned traffic before → after, what KServe will do, and warnings.
fn plan_lines(out: &mut Vec<Line<'static>>, flow: &RolloutFlow, theme: &Theme) {
    let sym = &theme.symbols;
    if let Some(plan) = &flow.plan {
        out.push(Line::from(vec![
            Span::styled(" traffic ", theme.style(Slot::TextDim)),
            Span::styled(
                plan.traffic_before.clone(),
                theme.style(Slot::RevisionCanary),
            ),
            Span::styled(format!("  {}  ", sym.arrow), theme.style(Slot::TextDim)),
            Span::styled(
                plan.traffic_after.clone(),
                theme.style(Slot::RevisionStable),
            ),
        ]));
        for e in &plan.explanation {
            out.push(Line::from(Span::styled(
                format!(" {e}"),
                theme.style(Slot::Base),
            )));
        }
        for w in &plan.warnings {
            out.push(Line::from(Span::styled(
                format!(" {} {w}", sym.warn),
                theme.style(Slot::TextWarning),
            )));
        }
    }
}

/// The safety steps passed, the one running, and notes.
fn step_lines(out: &mut Vec<Line<'static>>, flow: &RolloutFlow, theme: &Theme) {
    let sym = &theme.symbols;
    out.push(Line::default());
    for (label, detail) in &flow.done {
        out.push(Line::from(vec![
            Span::styled(
                format!(" {} {label}", sym.ok),
                theme.style(Slot::StatusReady),
            ),
            Span::styled(format!("  {detail}"), theme.style(Slot::TextDim)),
        ]));
    }
    let waiting = match &flow.stage {
        Stage::LoadingHistory => Some("reading kdeck's spec history"),
        Stage::Permission => Some("checking permission (SelfSubjectAccessReview)"),
        Stage::DryRun => Some("server-side dry run of the exact patch"),
        Stage::Applying => Some("applying"),
        _ => None,
    };
    if let Some(w) = waiting {
        out.push(Line::from(Span::styled(
            format!(" {} {w}{}", sym.pending, sym.ellipsis),
            theme.style(Slot::StatusProgressing),
        )));
    }
    for note in &flow.notes {
        out.push(Line::from(Span::styled(
            format!(" {} {note}", sym.warn),
            theme.style(Slot::TextWarning),
        )));
    }
}

/// The spec diff, while the change is being checked or confirmed.
fn diff_lines(out: &mut Vec<Line<'static>>, flow: &RolloutFlow, theme: &Theme) {
    let sym = &theme.symbols;
    if let (Some(plan), Stage::Confirm { .. } | Stage::DryRun | Stage::Permission) =
        (&flow.plan, &flow.stage)
    {
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            " spec diff",
            theme.style(Slot::Title),
        )));
        for line in yaml_diff(&plan.spec_before, &plan.spec_after, 2) {
            out.push(match line {
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
                    format!("   {}", sym.ellipsis),
                    theme.style(Slot::TextDim),
                )),
            });
        }
    }
}

/// The question to confirm, the live progress, or how it finished.
fn stage_lines(out: &mut Vec<Line<'static>>, flow: &RolloutFlow, theme: &Theme) {
    let sym = &theme.symbols;
    out.push(Line::default());
    if let Some(warning) = &flow.warning {
        out.push(Line::from(Span::styled(
            format!(" {} {warning}", sym.warn),
            theme.style(Slot::TextError),
        )));
    }
    match &flow.stage {
        Stage::Confirm { yes, typed } => {
            if flow.protected || flow.warning.is_some() {
                let or_yes = if flow.protected { "" } else { " or yes" };
                out.push(Line::from(vec![
                    Span::styled(
                        format!(
                            " Type the service name ({}){or_yes} and press enter: ",
                            flow.key.name
                        ),
                        theme.style(Slot::TextError),
                    ),
                    Span::styled(typed.text.clone(), theme.style(Slot::Cmdline)),
                ]));
                out.push(Line::from(Span::styled(
                    " esc cancels",
                    theme.style(Slot::TextDim),
                )));
            } else {
                let button = |label: &str, on: bool| {
                    let slot = if on { Slot::Selection } else { Slot::TextDim };
                    Span::styled(format!(" [ {label} ] "), theme.style(slot))
                };
                out.push(Line::from(vec![
                    Span::raw(" "),
                    button("No", !yes),
                    Span::raw(" "),
                    button("Yes", *yes),
                    Span::styled(
                        "   y applies · n/esc cancels · tab switches",
                        theme.style(Slot::TextDim),
                    ),
                ]));
            }
        }
        Stage::Following { progress, .. } => {
            out.push(Line::from(Span::styled(
                " following the rollout (esc hides, it keeps going)",
                theme.style(Slot::Title),
            )));
            if let Some(p) = progress {
                for (label, done) in &p.steps {
                    let (mark, slot) = if *done {
                        (sym.ok, Slot::StatusReady)
                    } else {
                        (sym.pending, Slot::StatusProgressing)
                    };
                    out.push(Line::from(Span::styled(
                        format!(" {mark} {label}"),
                        theme.style(slot),
                    )));
                }
            }
        }
        Stage::Finished(finish) => {
            let (slot, text) = match finish {
                Finish::Done(m) => (Slot::StatusReady, format!("{} Done: {m}", sym.ok)),
                Finish::Cancelled => (Slot::TextDim, "Cancelled: nothing was changed.".to_string()),
                Finish::Failed(m) => (Slot::StatusFailed, format!("{} Failed: {m}", sym.fail)),
                Finish::Forbidden(m) => {
                    (Slot::StatusFailed, format!("{} Not allowed: {m}", sym.fail))
                }
                Finish::Rejected(m) => (Slot::StatusFailed, format!("{} Not done: {m}", sym.fail)),
                Finish::Conflict(m) => (
                    Slot::StatusProgressing,
                    format!("{} Conflict: {m}", sym.warn),
                ),
                Finish::TimedOut(m) => (Slot::StatusFailed, format!("{} Timed out: {m}", sym.fail)),
            };
            out.push(Line::from(Span::styled(
                format!(" {text}"),
                theme.style(slot),
            )));
            out.push(Line::from(Span::styled(
                " esc closes",
                theme.style(Slot::TextDim),
            )));
        }
        _ => {}
    }
}

/// Draws the dialog over `area` when a rollout is shown.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.rollout.as_ref().filter(|f| !f.hidden) else {
        return;
    };
    let content = lines(state, flow, theme);
    let inner_width = area.width.min(96).saturating_sub(2);
    let rows: u16 = content
        .iter()
        .map(|l| wrapped_rows(l, inner_width))
        .fold(0u16, u16::saturating_add);
    let popup = centered(area, 96, rows.saturating_add(2));
    // On a short terminal keep the end in view: the confirmation or the outcome.
    let hidden = rows.saturating_sub(popup.height.saturating_sub(2));
    let border = if flow.protected || flow.action.destructive() {
        Slot::ConfirmDanger
    } else {
        Slot::BorderFocused
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(border))
        .title(Span::styled(
            text::fit(
                &title(flow),
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
