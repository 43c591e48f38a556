//! The rollout dialog: the target cluster context and namespace in colours that stand out,
//! the traffic before → after, the exact spec diff, the safety steps passed, and then the
//! rollout's progress, live, until it is done, failed or timed out.

use crate::config::slot::Slot;
use crate::state::State;
use crate::state::rollout::{RolloutFlow, Stage};
use crate::ui::theme::Theme;
use crate::ui::widgets::change_dialog as dialog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

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
    let context = state.session.context.as_deref().unwrap_or("?");
    out.push(dialog::target_line(
        context,
        &flow.key.namespace,
        flow.protected,
        theme,
    ));
}

/// The planned traffic before → after, what KServe will do, and warnings.
fn plan_lines(out: &mut Vec<Line<'static>>, flow: &RolloutFlow, theme: &Theme) {
    let sym = &theme.symbols;
    if let Some(plan) = &flow.plan {
        out.push(dialog::before_after_line(
            "traffic",
            &plan.traffic_before,
            &plan.traffic_after,
            theme,
        ));
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
    if let (Some(plan), Stage::Confirm { .. } | Stage::DryRun | Stage::Permission) =
        (&flow.plan, &flow.stage)
    {
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            " spec diff",
            theme.style(Slot::Title),
        )));
        out.extend(dialog::diff_lines(
            &plan.spec_before,
            &plan.spec_after,
            2,
            theme,
        ));
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
                let prompt = format!(
                    " Type the service name ({}){or_yes} and press enter: ",
                    flow.key.name
                );
                out.extend(dialog::typed_confirmation(prompt, &typed.text, theme));
            } else {
                out.push(dialog::buttons_line(*yes, theme));
            }
        }
        Stage::Following { progress, .. } => {
            out.push(Line::from(Span::styled(
                " following the rollout (esc hides, it keeps going)",
                theme.style(Slot::Title),
            )));
            if let Some(p) = progress {
                for (label, done) in &p.steps {
                    out.push(dialog::progress_line(label, *done, theme));
                }
            }
        }
        Stage::Finished(finish) => out.extend(dialog::finish_lines(finish, theme)),
        _ => {}
    }
}

/// Draws the dialog over `area` when a rollout is shown.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.rollout.as_ref().filter(|f| !f.hidden) else {
        return;
    };
    let content = lines(state, flow, theme);
    let border = if flow.protected || flow.action.destructive() {
        Slot::ConfirmDanger
    } else {
        Slot::BorderFocused
    };
    dialog::draw_popup(frame, area, content, (&title(flow), border), theme);
}
