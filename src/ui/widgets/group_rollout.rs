//! The dialog of a change on an LLMInferenceService routing group: the cluster context and
//! namespace as the rollout dialog shows them, the group's weights before → after, each
//! step's diff on its member, the confirmation, then each step applied and followed until
//! the group status agrees, and the outcome.

use crate::config::slot::Slot;
use crate::domain::rollout::diff::{DiffLine, yaml_diff};
use crate::domain::rollout::group::{GroupPlan, evaluate_step};
use crate::state::State;
use crate::state::group_rollout::{GroupFlow, GroupStage};
use crate::state::rollout::Finish;
use crate::ui::text;
use crate::ui::theme::Theme;
use crate::ui::widgets::help::centered;
use crate::ui::widgets::rollout::wrapped_rows;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn title(plan: &GroupPlan) -> String {
    format!(
        " {} {}/{} (group {}) ",
        plan.action.verb(),
        plan.namespace,
        plan.target,
        plan.group
    )
}

fn diff_lines(plan: &GroupPlan, theme: &Theme, out: &mut Vec<Line<'static>>) {
    let sym = &theme.symbols;
    for (i, step) in plan.steps.iter().enumerate() {
        out.push(Line::from(Span::styled(
            format!(
                " step {}/{}: {}: {}",
                i + 1,
                plan.steps.len(),
                step.member,
                step.explanation
            ),
            theme.style(Slot::Title),
        )));
        for line in yaml_diff(&step.before, &step.after, 1) {
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

fn confirm_lines(flow: &GroupFlow, yes: bool, theme: &Theme, out: &mut Vec<Line<'static>>) {
    if let Some((member, why)) = &flow.plan.raises_failing {
        out.push(Line::from(Span::styled(
            format!(
                " {} the change sends more traffic to {member}, which is failing ({why})",
                theme.symbols.warn
            ),
            theme.style(Slot::TextError),
        )));
    }
    if flow.plan.raises_failing.is_none() && flow.plan.raised.contains(&flow.plan.target) {
        out.push(Line::from(Span::styled(
            format!(
                " {} {} gets more traffic and the console does not judge its figures (kdeck {} checks them from one scrape)",
                theme.symbols.warn,
                flow.plan.target,
                if flow.plan.action == crate::domain::rollout::group::GroupAction::Promote {
                    "promote"
                } else {
                    "canary --weight"
                }
            ),
            theme.style(Slot::TextWarning),
        )));
    }
    if flow.needs_typed_confirmation() {
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    " Type the member name ({}) and press enter: ",
                    flow.plan.target
                ),
                theme.style(Slot::TextError),
            ),
            Span::styled(flow.typed.text.clone(), theme.style(Slot::Cmdline)),
        ]));
        out.push(Line::from(Span::styled(
            " esc cancels",
            theme.style(Slot::TextDim),
        )));
        return;
    }
    let button = |label: &str, on: bool| {
        let slot = if on { Slot::Selection } else { Slot::TextDim };
        Span::styled(format!(" [ {label} ] "), theme.style(slot))
    };
    out.push(Line::from(vec![
        Span::raw(" "),
        button("No", !yes),
        Span::raw(" "),
        button("Yes", yes),
        Span::styled(
            "   y applies · n/esc cancels · tab switches",
            theme.style(Slot::TextDim),
        ),
    ]));
}

fn finish_line(finish: &Finish, theme: &Theme) -> Line<'static> {
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
    Line::from(Span::styled(format!(" {text}"), theme.style(slot)))
}

/// The followed step's progress on the member as watched now (domain `evaluate_step`).
fn progress_lines(
    state: &State,
    plan: &GroupPlan,
    step: usize,
    generation: i64,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let sym = &theme.symbols;
    let Some(planned) = plan.steps.get(step) else {
        return Vec::new();
    };
    let key = crate::domain::key::ObjectKey::new(&plan.namespace, &planned.member);
    let raw: Option<serde_json::Value> = state
        .cluster
        .llm_isvcs
        .items
        .get(&key)
        .and_then(|l| serde_json::from_str(&l.raw).ok());
    let Some(raw) = raw else {
        return vec![Line::from(Span::styled(
            format!(
                " {} {} is not in the watched list",
                sym.warn, planned.member
            ),
            theme.style(Slot::TextWarning),
        ))];
    };
    evaluate_step(&planned.goal, &raw, generation)
        .steps
        .into_iter()
        .map(|(label, done)| {
            let (mark, slot) = if done {
                (sym.ok, Slot::StatusReady)
            } else {
                (sym.pending, Slot::StatusProgressing)
            };
            Line::from(Span::styled(format!(" {mark} {label}"), theme.style(slot)))
        })
        .collect()
}

/// The dialog's lines.
pub fn lines(state: &State, flow: &GroupFlow, theme: &Theme) -> Vec<Line<'static>> {
    let sym = &theme.symbols;
    let plan = &flow.plan;
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
    let mut out = vec![Line::from(vec![
        Span::styled(" context ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {context} "), theme.style(ctx_slot)),
        Span::styled("  namespace ", theme.style(Slot::TextDim)),
        Span::styled(format!(" {} ", plan.namespace), theme.style(ctx_slot)),
        Span::styled(
            if flow.protected { "  PROTECTED" } else { "" }.to_string(),
            theme.style(Slot::TextError),
        ),
    ])];
    out.push(Line::from(vec![
        Span::styled(" weights ", theme.style(Slot::TextDim)),
        Span::styled(
            plan.weights_before.clone(),
            theme.style(Slot::RevisionCanary),
        ),
        Span::styled(format!("  {}  ", sym.arrow), theme.style(Slot::TextDim)),
        Span::styled(
            plan.weights_after.clone(),
            theme.style(Slot::RevisionStable),
        ),
    ]));
    for w in &plan.warnings {
        out.push(Line::from(Span::styled(
            format!(" {} {w}", sym.warn),
            theme.style(Slot::TextWarning),
        )));
    }
    out.push(Line::default());
    for done in &flow.done {
        out.push(Line::from(Span::styled(
            format!(" {} {done}", sym.ok),
            theme.style(Slot::StatusReady),
        )));
    }
    match &flow.stage {
        GroupStage::Confirm { yes } => {
            diff_lines(plan, theme, &mut out);
            out.push(Line::default());
            confirm_lines(flow, *yes, theme, &mut out);
        }
        GroupStage::Checking => out.push(Line::from(Span::styled(
            format!(
                " {} checking permission and the server's dry run{}",
                sym.pending, sym.ellipsis
            ),
            theme.style(Slot::StatusProgressing),
        ))),
        GroupStage::Applying { step } => out.push(Line::from(Span::styled(
            format!(
                " {} applying step {}{}",
                sym.pending,
                step + 1,
                sym.ellipsis
            ),
            theme.style(Slot::StatusProgressing),
        ))),
        GroupStage::Following {
            step, generation, ..
        } => {
            out.push(Line::from(Span::styled(
                format!(
                    " following step {} until status.router.group agrees",
                    step + 1
                ),
                theme.style(Slot::Title),
            )));
            out.extend(progress_lines(state, plan, *step, *generation, theme));
            // Progress is read from the watched status: say so when that watch is broken.
            if let Some(stale) = &state.cluster.llm_isvcs.stale {
                out.push(Line::from(Span::styled(
                    format!(
                        " {} the LLMInferenceService watch is broken since {}: progress shows once it recovers (the change itself was applied; esc hides this, it keeps following until the deadline): {}",
                        sym.warn,
                        stale.since.format("%H:%M:%S"),
                        stale.error
                    ),
                    theme.style(Slot::TextWarning),
                )));
            }
        }
        GroupStage::Finished(finish) => {
            out.push(finish_line(finish, theme));
            out.push(Line::from(Span::styled(
                " esc closes",
                theme.style(Slot::TextDim),
            )));
        }
    }
    out
}

/// Draws the dialog over `area` when a group change is shown.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.group_rollout.as_ref() else {
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
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.symbols.border)
        .border_style(theme.style(Slot::ConfirmDanger))
        .title(Span::styled(
            text::fit(
                &title(&flow.plan),
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
