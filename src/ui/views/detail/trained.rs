//! The "Trained models" section of an InferenceService's overview (KServe multi-model
//! serving): each TrainedModel loaded into it with its framework, load state, age and
//! storageUri, and under a model that is not loaded the condition that says why (its text
//! from the cluster made inert).

use crate::config::slot::Slot;
use crate::domain::inert::inert;
use crate::domain::k8s::age;
use crate::domain::key::ObjectKey;
use crate::domain::trained::{LoadState, TrainedModel};
use crate::state::State;
use crate::ui::text::{pad, width};
use crate::ui::theme::Theme;
use ratatui::text::{Line, Span};

/// The section's lines; none when the service has no TrainedModels.
pub fn lines(state: &State, theme: &Theme, key: &ObjectKey) -> Vec<Line<'static>> {
    let models: Vec<&TrainedModel> = state.cluster.trained_of(key).collect();
    if models.is_empty() {
        return Vec::new();
    }
    let sym = &theme.symbols;
    let counts = state.cluster.trained_counts(key);
    let mut heading = vec![
        Span::styled("Trained models ", theme.style(Slot::Title)),
        Span::styled(
            format!("{}/{} loaded", counts.loaded, counts.total),
            theme.style(if counts.failed > 0 {
                Slot::StatusFailed
            } else if counts.loaded < counts.total {
                Slot::StatusProgressing
            } else {
                Slot::StatusReady
            }),
        ),
    ];
    if let Some(stale) = &state.cluster.trained.stale {
        heading.push(Span::styled(
            format!(
                " {} not current since {} ago: {}",
                sym.sep,
                age(Some(stale.since), state.now),
                inert(&stale.error)
            ),
            theme.style(Slot::TextWarning),
        ));
    }
    let mut out = vec![Line::default(), Line::from(heading)];
    let cut = |text: &str| inert(text).into_owned();
    let name_w = models
        .iter()
        .map(|m| width(&cut(&m.meta.name)))
        .max()
        .unwrap_or(4)
        .clamp(4, 32);
    let framework_w = models
        .iter()
        .map(|m| width(&cut(&m.framework)))
        .max()
        .unwrap_or(4)
        .clamp(4, 16);
    for m in models {
        let load = m.load_state();
        let (mark, slot) = match &load {
            LoadState::Loaded => (sym.ok, Slot::StatusReady),
            LoadState::Loading { .. } => (sym.pending, Slot::StatusProgressing),
            LoadState::FailedToLoad { .. } => (sym.fail, Slot::StatusFailed),
        };
        let framework = if m.framework.is_empty() {
            sym.dash.to_string()
        } else {
            cut(&m.framework)
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} "), theme.style(slot)),
            Span::styled(
                pad(&cut(&m.meta.name), name_w + 2, sym.ellipsis),
                theme.style(Slot::Base),
            ),
            Span::styled(
                pad(&framework, framework_w + 2, sym.ellipsis),
                theme.style(Slot::Base),
            ),
            Span::styled(format!("{:<13}", load.label()), theme.style(slot)),
            Span::styled(
                format!("{:>5}  ", age(m.meta.created, state.now)),
                theme.style(Slot::TextDim),
            ),
            Span::styled(cut(&m.storage_uri), theme.style(Slot::TextDim)),
        ]));
        let why = match &load {
            LoadState::Loaded => None,
            LoadState::Loading { reason, message } => Some((reason.clone(), message)),
            LoadState::FailedToLoad {
                condition,
                reason,
                message,
            } => Some((format!("{condition} {reason}"), message)),
        };
        if let Some((reason, message)) = why {
            let mut spans = vec![
                Span::raw("      "),
                Span::styled(cut(&reason), theme.style(slot)),
            ];
            if !message.is_empty() {
                spans.push(Span::styled(
                    format!(": {}", cut(message)),
                    theme.style(Slot::TextDim),
                ));
            }
            out.push(Line::from(spans));
        }
    }
    out
}
