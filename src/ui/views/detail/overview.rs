//! The overview tab: status line, "why isn't it ready?", conditions, components, revisions
//! and traffic, model status, trained models (multi-model serving), live figures (and a
//! transformer chain's split: `chain`).

use crate::config::slot::Slot;
use crate::domain::diagnose::diagnose;
use crate::domain::isvc::{Isvc, Readiness, short_revision};
use crate::domain::k8s::{CondStatus, age};
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::collections::BTreeSet;

fn heading<'a>(text: &str, theme: &Theme) -> Line<'a> {
    Line::from(Span::styled(text.to_string(), theme.style(Slot::Title)))
}

fn field<'a>(label: &str, value: String, theme: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(format!("{label} "), theme.style(Slot::TextDim)),
        Span::styled(value, theme.style(Slot::Base)),
        Span::raw("   "),
    ]
}

/// All overview lines for one service.
pub fn lines(state: &State, theme: &Theme, key: &ObjectKey, isvc: &Isvc) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    status_lines(&mut out, state, theme, isvc);
    live_lines(&mut out, state, theme, key);
    out.extend(super::chain::lines(state, theme, key, isvc));
    why_lines(&mut out, state, theme, key, isvc);
    condition_lines(&mut out, state, theme, isvc);
    component_lines(&mut out, theme, isvc);
    revision_lines(&mut out, state, theme, key, isvc);
    model_lines(&mut out, theme, isvc);
    out.extend(super::trained::lines(state, theme, key));
    out
}

/// The status line (readiness, mode, age, generation), the URL and read problems.
fn status_lines(out: &mut Vec<Line<'static>>, state: &State, theme: &Theme, isvc: &Isvc) {
    let sym = &theme.symbols;
    let dash = || sym.dash.to_string();
    let readiness = isvc.readiness();
    let (ready_text, ready_slot) = format::readiness(&readiness, sym);
    let mut status = vec![Span::styled(
        format!("{ready_text}   "),
        theme.style(ready_slot),
    )];
    status.extend(field(
        "mode",
        isvc.mode
            .map(|m| m.label().to_string())
            .unwrap_or_else(dash),
        theme,
    ));
    status.extend(field("age", age(isvc.meta.created, state.now), theme));
    status.extend(field(
        "generation",
        format!(
            "{} (observed {})",
            isvc.meta.generation,
            isvc.observed_generation
                .map(|g| g.to_string())
                .unwrap_or_else(dash)
        ),
        theme,
    ));
    out.push(Line::from(status));
    out.push(Line::from(field(
        "url",
        isvc.url.clone().unwrap_or_else(dash),
        theme,
    )));
    if !isvc.problems.is_empty() {
        out.push(Line::from(Span::styled(
            format!(
                "{} This object could not be fully read: {}",
                sym.warn,
                isvc.problems.0.join("; ")
            ),
            theme.style(Slot::TextWarning),
        )));
    }
}

/// Live figures for the whole service, with 15-minute sparklines.
fn live_lines(out: &mut Vec<Line<'static>>, state: &State, theme: &Theme, key: &ObjectKey) {
    let sym = &theme.symbols;
    let dash = || sym.dash.to_string();
    if let Some(f) = state.figures.service(key) {
        let mut live = vec![Span::styled("live ", theme.style(Slot::TextDim))];
        let show = |v: Option<f64>, fmt: fn(f64) -> String| v.map(fmt).unwrap_or_else(dash);
        live.extend(field("p50", show(f.p50_ms, format::millis), theme));
        live.extend(field("p99", show(f.p99_ms, format::millis), theme));
        live.extend(field("rps", show(f.rps, format::rate), theme));
        live.extend(field(
            "errors",
            show(f.error_ratio.map(|r| r * 100.0), format::percent),
            theme,
        ));
        live.extend(field("GPU", show(f.gpu_util_pct, format::percent), theme));
        if f.stale {
            live.push(Span::styled("(stale)", theme.style(Slot::Stale)));
        }
        out.push(Line::from(live));
        if let Some(history) = state.figures.history.get(key).filter(|h| h.len() > 1) {
            let p99: Vec<Option<f64>> = history.iter().map(|p| p.p99_ms).collect();
            let rps: Vec<Option<f64>> = history.iter().map(|p| p.rps).collect();
            let spark = |series: &[Option<f64>]| {
                crate::ui::widgets::spark::sparkline(series, None, 40, &theme.symbols)
            };
            out.push(Line::from(vec![
                Span::styled("last 15m  p99 ", theme.style(Slot::TextDim)),
                Span::styled(spark(&p99), theme.style(Slot::Sparkline)),
                Span::styled("  rps ", theme.style(Slot::TextDim)),
                Span::styled(spark(&rps), theme.style(Slot::Sparkline)),
            ]));
        }
    }
}

/// "Why isn't it ready?": the top causes with evidence and the next step.
fn why_lines(
    out: &mut Vec<Line<'static>>,
    state: &State,
    theme: &Theme,
    key: &ObjectKey,
    isvc: &Isvc,
) {
    let sym = &theme.symbols;
    if isvc.readiness() != Readiness::Ready || isvc.stopped() {
        let pods: Vec<_> = state.cluster.pods_of(key).collect();
        let mut names: BTreeSet<String> = pods.iter().map(|p| p.meta.name.clone()).collect();
        names.insert(key.name.clone());
        let events = state.cluster.events_for(&key.namespace, &names);
        let logs = state.diagnostics.get(key).map(Vec::as_slice).unwrap_or(&[]);
        out.push(Line::default());
        out.push(heading("Why isn't it ready?", theme));
        for (i, c) in diagnose(isvc, &pods, &events, logs)
            .iter()
            .take(5)
            .enumerate()
        {
            out.push(Line::from(vec![
                Span::styled(format!(" {}. ", i + 1), theme.style(Slot::TextDim)),
                Span::styled(c.title.clone(), theme.style(Slot::StatusFailed)),
            ]));
            out.push(Line::from(Span::styled(
                format!("    {}", c.evidence),
                theme.style(Slot::Base),
            )));
            out.push(Line::from(Span::styled(
                format!("    {} {}", sym.arrow, c.next),
                theme.style(Slot::TextDim),
            )));
        }
    }
}

/// The conditions with their status, age, reason and message.
fn condition_lines(out: &mut Vec<Line<'static>>, state: &State, theme: &Theme, isvc: &Isvc) {
    let sym = &theme.symbols;
    out.push(Line::default());
    out.push(heading("Conditions", theme));
    if isvc.conditions.is_empty() {
        out.push(Line::from(Span::styled(
            "  none reported yet",
            theme.style(Slot::TextDim),
        )));
    }
    for c in &isvc.conditions {
        let (mark, slot) = match c.status {
            CondStatus::True => (sym.ok, Slot::StatusReady),
            CondStatus::False => (sym.fail, Slot::StatusFailed),
            CondStatus::Unknown => (sym.pending, Slot::StatusProgressing),
        };
        let mut spans = vec![
            Span::styled(format!("  {mark} "), theme.style(slot)),
            Span::styled(format!("{:<28}", c.kind), theme.style(Slot::Base)),
            Span::styled(
                format!("{:>5} ", age(c.last_transition, state.now)),
                theme.style(Slot::TextDim),
            ),
        ];
        if !c.reason.is_empty() {
            spans.push(Span::styled(format!("{} ", c.reason), theme.style(slot)));
        }
        if !c.message.is_empty() {
            spans.push(Span::styled(c.message.clone(), theme.style(Slot::TextDim)));
        }
        out.push(Line::from(spans));
    }
}

/// Each component's format, runtime, storage, replicas and resources, then the canaries.
fn component_lines(out: &mut Vec<Line<'static>>, theme: &Theme, isvc: &Isvc) {
    let sym = &theme.symbols;
    let dash = || sym.dash.to_string();
    out.push(Line::default());
    out.push(heading("Components", theme));
    for (kind, c) in &isvc.components {
        let mut spans = vec![Span::styled(
            format!("  {:<12}", kind.key()),
            theme.style(Slot::TextStrong),
        )];
        let format = c
            .model_format
            .clone()
            .unwrap_or_else(|| c.implementation.clone());
        spans.extend(field("format", format, theme));
        if let Some(runtime) = &c.runtime {
            spans.extend(field("runtime", runtime.clone(), theme));
        }
        if let Some(protocol) = &c.protocol {
            spans.extend(field("protocol", protocol.clone(), theme));
        }
        out.push(Line::from(spans));
        let mut second = vec![Span::raw("              ")];
        second.extend(field(
            "storageUri",
            c.storage_uri
                .clone()
                .or_else(|| c.image.clone())
                .unwrap_or_else(dash),
            theme,
        ));
        out.push(Line::from(second));
        let mut third = vec![Span::raw("              ")];
        third.extend(field(
            "replicas",
            format!(
                "{}..{}",
                c.min_replicas
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "1".to_string()),
                c.max_replicas.map(|n| n.to_string()).unwrap_or_else(dash)
            ),
            theme,
        ));
        third.extend(field(
            "GPUs/replica",
            format::gpus(c.gpus_per_replica, sym),
            theme,
        ));
        third.extend(field("cpu", c.cpu.clone().unwrap_or_else(dash), theme));
        third.extend(field(
            "memory",
            c.memory.clone().unwrap_or_else(dash),
            theme,
        ));
        if let Some(p) = c.canary_traffic_percent {
            third.extend(field("canaryTrafficPercent", p.to_string(), theme));
        }
        out.push(Line::from(third));
    }
    for canary in &isvc.canaries {
        out.push(Line::from(vec![
            Span::styled(
                format!("  canary {:<5}", canary.name),
                theme.style(Slot::RevisionCanary),
            ),
            Span::styled(
                format!(
                    "{}%  ready {}  {}",
                    canary.traffic_percent,
                    canary
                        .ready
                        .map(|r| if r { sym.ok } else { sym.fail })
                        .unwrap_or(sym.pending),
                    canary.storage_uri.clone().unwrap_or_default()
                ),
                theme.style(Slot::Base),
            ),
        ]));
    }
}

/// Revisions and traffic of the predictor, with per-revision figures and canary state.
fn revision_lines(
    out: &mut Vec<Line<'static>>,
    state: &State,
    theme: &Theme,
    key: &ObjectKey,
    isvc: &Isvc,
) {
    let sym = &theme.symbols;
    let dash = || sym.dash.to_string();
    if let Some(status) = isvc.predictor_status() {
        out.push(Line::default());
        let window = crate::domain::latency::window::window_label(
            crate::domain::latency::window::window_for(state.config.metrics_interval),
        );
        out.push(heading(
            &format!("Revisions and traffic (predictor) · figures over the last {window} (~ since pod start, or window filling)"),
            theme,
        ));
        for t in &status.traffic {
            let stable = status.latest_rolledout.as_deref() == Some(t.revision.as_str());
            let slot = if stable {
                Slot::RevisionStable
            } else {
                Slot::RevisionCanary
            };
            let mut spans = vec![
                Span::styled(
                    format!("  {:<4}", short_revision(&t.revision)),
                    theme.style(slot),
                ),
                Span::styled(
                    format!("{:>4}%  ", t.percent),
                    theme.style(Slot::TextStrong),
                ),
                Span::styled(format!("{:<40}", t.revision), theme.style(Slot::Base)),
            ];
            let mut tags = Vec::new();
            if t.latest {
                tags.push("latest".to_string());
            }
            if let Some(tag) = &t.tag {
                tags.push(format!("tag {tag}"));
            }
            if stable {
                tags.push("stable".to_string());
            }
            spans.push(Span::styled(tags.join(", "), theme.style(Slot::TextDim)));
            if let Some(url) = &t.url {
                spans.push(Span::styled(format!("  {url}"), theme.style(Slot::TextDim)));
            }
            out.push(Line::from(spans));
            if let Some(f) = state
                .figures
                .revisions
                .get(key)
                .and_then(|r| r.get(&t.revision))
            {
                let show = |v: Option<f64>, fmt: fn(f64) -> String| v.map(fmt).unwrap_or_else(dash);
                let p99_slot = f.p99_ms.map(format::latency_slot).unwrap_or(Slot::TextDim);
                let err_slot = if f.error_ratio.is_some_and(|e| e > 0.01) {
                    Slot::LatencyBad
                } else {
                    Slot::Base
                };
                out.push(Line::from(vec![
                    Span::styled("        p50 ".to_string(), theme.style(Slot::TextDim)),
                    Span::styled(show(f.p50_ms, format::millis), theme.style(Slot::Base)),
                    Span::styled("  p99 ".to_string(), theme.style(Slot::TextDim)),
                    Span::styled(show(f.p99_ms, format::millis), theme.style(p99_slot)),
                    Span::styled("  rps ".to_string(), theme.style(Slot::TextDim)),
                    Span::styled(show(f.rps, format::rate), theme.style(Slot::Base)),
                    Span::styled("  errors ".to_string(), theme.style(Slot::TextDim)),
                    Span::styled(
                        show(f.error_ratio.map(|e| e * 100.0), format::percent),
                        theme.style(err_slot),
                    ),
                    Span::styled(
                        if f.stale {
                            "  (stale)".to_string()
                        } else if f.cumulative {
                            "  ~ since pod start (first scrape)".to_string()
                        } else if f.partial {
                            "  ~ window filling".to_string()
                        } else {
                            String::new()
                        },
                        theme.style(Slot::Stale),
                    ),
                ]));
            }
        }
        out.extend(canary_lines(state, theme, key, isvc));
        let rev = |r: &Option<String>| r.clone().unwrap_or_else(dash);
        let mut spans = vec![Span::raw("  ")];
        spans.extend(field("latest ready", rev(&status.latest_ready), theme));
        spans.extend(field("rolled out", rev(&status.latest_rolledout), theme));
        spans.extend(field("previous", rev(&status.previous_rolledout), theme));
        out.push(Line::from(spans));
    }
}

/// The model status (transition, active, target).
fn model_lines(out: &mut Vec<Line<'static>>, theme: &Theme, isvc: &Isvc) {
    let sym = &theme.symbols;
    let dash = || sym.dash.to_string();
    if let Some(m) = &isvc.model_status {
        out.push(Line::default());
        let mut spans = vec![Span::styled("Model ", theme.style(Slot::Title))];
        spans.extend(field(
            "transition",
            m.transition.clone().unwrap_or_else(dash),
            theme,
        ));
        spans.extend(field(
            "active",
            m.active.clone().unwrap_or_else(dash),
            theme,
        ));
        spans.extend(field(
            "target",
            m.target.clone().unwrap_or_else(dash),
            theme,
        ));
        out.push(Line::from(spans));
    }
}

/// The canary's verdict against its stable revision, the thresholds, and the guard.
fn canary_lines(state: &State, theme: &Theme, key: &ObjectKey, isvc: &Isvc) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let sym = theme.symbols;
    let thresholds = state.config.canary.describe();
    if let Some((b, percent)) = crate::state::canary::known_failing(state, key) {
        let stable = b
            .stable
            .as_deref()
            .map(short_revision)
            .unwrap_or_else(|| sym.dash.to_string());
        let what_now = if percent > 0 {
            "R rolls back"
        } else {
            "no traffic now; giving it more asks you to type the name"
        };
        out.push(Line::from(vec![Span::styled(
            format!(
                "  {} canary {} is worse than {stable}: {} ({what_now})",
                sym.fail,
                short_revision(&b.canary),
                b.reasons.join(", ")
            ),
            theme.style(Slot::StatusFailed),
        )]));
    } else if isvc.canary_in_progress() {
        out.push(Line::from(vec![Span::styled(
            format!("  {} canary within thresholds", sym.ok),
            theme.style(Slot::StatusReady),
        )]));
    }
    if !isvc.canary_in_progress() && out.is_empty() {
        return out;
    }
    out.push(Line::from(vec![Span::styled(
        format!("  worse than stable when: {thresholds}"),
        theme.style(Slot::TextDim),
    )]));
    let guard = state.config.guard;
    let on = super::super::services::guarded(state, key);
    let acts = if state.session.readonly {
        "read-only: it alarms but cannot roll back"
    } else if guard.auto_rollback {
        "rolls back automatically"
    } else {
        "alarms; you roll back with R"
    };
    let key_hint = state
        .keymap
        .key_for(
            crate::config::keymap::Scope::Detail,
            crate::domain::action::Action::ToggleGuard,
        )
        .map(|k| k.to_string())
        .unwrap_or_else(|| "the guard key".to_string());
    out.push(Line::from(vec![Span::styled(
        format!(
            "  guard {} ({key_hint} toggles): p99 > {:.0} ms or errors > {:.1}% for {} intervals; {acts}",
            if on { "ON" } else { "off" },
            guard.p99_ms,
            guard.error_ratio * 100.0,
            guard.intervals
        ),
        theme.style(if on { Slot::TextStrong } else { Slot::TextDim }),
    )]));
    out
}

/// Draws the overview, scrolled.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    key: &ObjectKey,
    isvc: &Isvc,
) {
    frame.render_widget(
        Paragraph::new(lines(state, theme, key, isvc))
            .wrap(Wrap { trim: false })
            .scroll((state.ui.text_scroll, 0)),
        area,
    );
}
