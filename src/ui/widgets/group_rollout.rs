//! The dialog of a change on an LLMInferenceService routing group: the cluster context and
//! namespace as the rollout dialog shows them, the group's weights before → after, each
//! step's diff on its member, the confirmation, then each step applied and followed until
//! the group status agrees, and the outcome.

use crate::config::slot::Slot;
use crate::domain::rollout::group::{GroupPlan, evaluate_step};
use crate::state::State;
use crate::state::group_rollout::{GroupFlow, GroupStage};
use crate::ui::theme::Theme;
use crate::ui::widgets::change_dialog as dialog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

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
        out.extend(dialog::diff_lines(&step.before, &step.after, 1, theme));
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
        let prompt = format!(
            " Type the member name ({}) and press enter: ",
            flow.plan.target
        );
        out.extend(dialog::typed_confirmation(prompt, &flow.typed.text, theme));
        return;
    }
    out.push(dialog::buttons_line(yes, theme));
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
        .map(|(label, done)| dialog::progress_line(&label, done, theme))
        .collect()
}

/// The dialog's lines.
pub fn lines(state: &State, flow: &GroupFlow, theme: &Theme) -> Vec<Line<'static>> {
    let sym = &theme.symbols;
    let plan = &flow.plan;
    let context = state.session.context.as_deref().unwrap_or("?");
    let mut out = vec![dialog::target_line(
        context,
        &plan.namespace,
        flow.protected,
        theme,
    )];
    out.extend(dialog::before_over_after_lines(
        "weights",
        &plan.weights_before,
        &plan.weights_after,
        theme,
    ));
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
        GroupStage::Finished(finish) => out.extend(dialog::finish_lines(finish, theme)),
    }
    out
}

/// Draws the dialog over `area` when a group change is shown.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.group_rollout.as_ref() else {
        return;
    };
    let content = lines(state, flow, theme);
    let title = title(&flow.plan);
    dialog::draw_popup(frame, area, content, (&title, Slot::ConfirmDanger), theme);
}
