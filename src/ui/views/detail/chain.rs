//! The transformer → predictor split in a service's overview (services with a transformer
//! only): p50 / p99 of the transformer's pre-process, predict (its call to the predictor)
//! and post-process over the latency window, and the hop to the predictor, from
//! `state.figures.chains`. A stage without figures shows a dash.

use crate::config::slot::Slot;
use crate::domain::isvc::{ComponentKind, Isvc};
use crate::domain::key::ObjectKey;
use crate::domain::latency::chain_window::StageFigures;
use crate::state::State;
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::text::{Line, Span};

/// The split's lines, or none for a service without a transformer.
pub fn lines(state: &State, theme: &Theme, key: &ObjectKey, isvc: &Isvc) -> Vec<Line<'static>> {
    if isvc.component(ComponentKind::Transformer).is_none() {
        return Vec::new();
    }
    let dim = |text: String| Span::styled(text, theme.style(Slot::TextDim));
    let dash = theme.symbols.dash.to_string();
    let Some(f) = state.figures.chains.get(key) else {
        let why = if state.config.prometheus_url.is_some() {
            "not measured: the split is read from the transformer's pods, and latency comes \
             from Prometheus (--prometheus)"
        } else {
            "waiting for a Ready transformer pod's metrics"
        };
        return vec![Line::from(vec![
            dim("transformer chain ".into()),
            dim(why.into()),
        ])];
    };
    let mut first = vec![dim(
        "transformer chain (p50 / p99)   hop to predictor p50 ".into()
    )];
    first.push(Span::styled(
        f.hop_p50_ms
            .map(format::millis)
            .unwrap_or_else(|| dash.clone()),
        theme.style(Slot::Base),
    ));
    if f.cumulative {
        first.push(dim("   (since the pods started)".into()));
    }
    if f.stale {
        first.push(Span::styled("   (stale)", theme.style(Slot::Stale)));
    }
    let mut second = Vec::new();
    for (label, stage) in [
        ("  pre-process", f.preprocess),
        ("  predict", f.predict),
        ("  post-process", f.postprocess),
    ] {
        second.push(dim(format!("{label} ")));
        second.extend(stage_spans(stage, theme, &dash));
    }
    vec![Line::from(first), Line::from(second)]
}

/// `12ms / 40ms`, the p99 coloured by how slow it is.
fn stage_spans(stage: StageFigures, theme: &Theme, dash: &str) -> Vec<Span<'static>> {
    let show = |v: Option<f64>| v.map(format::millis).unwrap_or_else(|| dash.to_string());
    let p99_slot = stage
        .p99_ms
        .map(format::latency_slot)
        .unwrap_or(Slot::TextDim);
    vec![
        Span::styled(show(stage.p50_ms), theme.style(Slot::Base)),
        Span::styled(" / ", theme.style(Slot::TextDim)),
        Span::styled(show(stage.p99_ms), theme.style(p99_slot)),
    ]
}
