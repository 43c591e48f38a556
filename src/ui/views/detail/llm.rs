//! The overview of an LLMInferenceService: status, "why isn't it ready?" (from the condition
//! tree), the condition tree itself, workloads, router, addresses, the routing group's members
//! side by side with vLLM's figures, and LoRA adapters. One small function per section.

use crate::config::slot::Slot;
use crate::domain::diagnose::Cause;
use crate::domain::k8s::{CondStatus, age};
use crate::domain::key::ObjectKey;
use crate::domain::llm::Llm;
use crate::domain::llm::conditions::CondNode;
use crate::domain::llm::window::LlmFigures;
use crate::state::State;
use crate::state::service_kind::{Svc, llm_breaches};
use crate::ui::format;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

type Lines = Vec<Line<'static>>;

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme.style(Slot::Title)))
}

fn dim(text: String, theme: &Theme) -> Span<'static> {
    Span::styled(text, theme.style(Slot::TextDim))
}

fn status_line(state: &State, theme: &Theme, llm: &Llm) -> Lines {
    let sym = &theme.symbols;
    let (text, slot) = format::readiness(&Svc::Llm(llm).readiness(), sym);
    let observed = llm
        .status
        .observed_generation
        .map(|g| g.to_string())
        .unwrap_or_else(|| sym.dash.to_string());
    let mut spans = vec![
        Span::styled(format!("{text}   "), theme.style(slot)),
        dim("kind ".into(), theme),
        Span::raw(format!("LLMInferenceService {}   ", llm.version)),
        dim("model ".into(), theme),
        Span::raw(format!("{}   ", llm.model_name())),
        dim("age ".into(), theme),
        Span::raw(format!("{}   ", age(llm.meta.created, state.now))),
        dim("generation ".into(), theme),
        Span::raw(format!("{} (observed {observed})", llm.meta.generation)),
    ];
    if llm.stopped() {
        spans.push(Span::styled("   stopped", theme.style(Slot::StatusFailed)));
    }
    let mut out = vec![Line::from(spans)];
    if let Some(uri) = &llm.spec.model_uri {
        out.push(Line::from(vec![
            dim("uri ".into(), theme),
            Span::raw(uri.clone()),
        ]));
    }
    for p in &llm.problems.0 {
        out.push(Line::from(Span::styled(
            format!("{} {p}", sym.warn),
            theme.style(Slot::TextWarning),
        )));
    }
    out
}

fn why(theme: &Theme, causes: &[Cause]) -> Lines {
    if causes.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Line::raw(""), heading("Why isn't it ready?", theme)];
    for c in causes.iter().take(5) {
        out.push(Line::from(Span::styled(
            format!("  {} {}", theme.symbols.fail, c.title),
            theme.style(Slot::StatusFailed),
        )));
        out.push(Line::from(dim(format!("    {}", c.evidence), theme)));
        out.push(Line::from(Span::raw(format!("    → {}", c.next))));
    }
    out
}

fn node_line(theme: &Theme, node: &CondNode, depth: usize) -> Line<'static> {
    let sym = &theme.symbols;
    let (mark, slot) = match (node.healthy(), node.status()) {
        (true, _) => (sym.ok, Slot::StatusReady),
        (false, CondStatus::False) => (sym.fail, Slot::StatusFailed),
        (false, _) if node.kind == "GroupDegraded" => (sym.fail, Slot::StatusFailed),
        (false, _) => ("?", Slot::StatusProgressing),
    };
    let status = match &node.condition {
        None => "not reported".to_string(),
        Some(c) => format!("{:?}", c.status),
    };
    let mut spans = vec![
        Span::raw("  ".repeat(depth + 1)),
        Span::styled(format!("{mark} {} {status}", node.kind), theme.style(slot)),
    ];
    if let Some(c) = node.condition.as_ref().filter(|c| !c.reason.is_empty()) {
        let text = if c.message.is_empty() {
            format!("  {}", c.reason)
        } else {
            format!("  {}: {}", c.reason, c.message)
        };
        spans.push(dim(text, theme));
    }
    Line::from(spans)
}

fn condition_tree(theme: &Theme, llm: &Llm) -> Lines {
    let tree = llm.condition_tree();
    let mut out = vec![
        Line::raw(""),
        heading("Conditions (Ready = WorkloadsReady ∧ RouterReady)", theme),
    ];
    out.push(node_line(theme, &tree.ready, 0));
    for child in &tree.ready.children {
        out.push(node_line(theme, child, 1));
        out.extend(child.children.iter().map(|n| node_line(theme, n, 2)));
    }
    if !tree.independent.is_empty() {
        out.push(Line::from(dim("  apart from Ready:".into(), theme)));
        out.extend(tree.independent.iter().map(|n| node_line(theme, n, 0)));
    }
    out
}

fn workloads(theme: &Theme, llm: &Llm) -> Lines {
    let mut out = vec![Line::raw(""), heading("Workloads", theme)];
    let spec = &llm.spec;
    let describe = |name: &str, w: &crate::domain::llm::spec::WorkloadSpec| {
        let replicas = match (w.replicas, w.min_replicas, w.max_replicas) {
            (Some(r), _, _) => format!("replicas {r}"),
            (None, min, Some(max)) => format!("scaling {}–{max}", min.unwrap_or(1)),
            _ => "replicas –".to_string(),
        };
        let par = w.parallelism.label();
        format!(
            "  {name}: {replicas}{}{}   GPUs/pod {}",
            if w.multi_node {
                "   multi-node (LeaderWorkerSet)"
            } else {
                ""
            },
            if par.is_empty() {
                String::new()
            } else {
                format!("   {par}")
            },
            w.gpus_per_pod
        )
    };
    out.push(Line::raw(describe(
        if spec.prefill.is_some() {
            "decode"
        } else {
            "main"
        },
        &spec.main,
    )));
    if let Some(p) = &spec.prefill {
        out.push(Line::raw(describe("prefill", p)));
    }
    let w = &llm.status.workloads;
    for (label, r) in [
        ("primary", &w.primary),
        ("prefill", &w.prefill),
        ("service", &w.service),
        ("scheduler", &w.scheduler),
    ] {
        if let Some(r) = r {
            out.push(Line::from(vec![
                dim(format!("  {label} "), theme),
                Span::raw(r.label()),
            ]));
        }
    }
    out
}

fn router(theme: &Theme, llm: &Llm) -> Lines {
    let mut out = vec![Line::raw(""), heading("Router", theme)];
    let r = &llm.status.router;
    for g in &r.gateways {
        out.push(Line::raw(format!(
            "  gateway {}/{}  listeners [{}]  routes [{}]",
            g.gateway.namespace,
            g.gateway.name,
            g.listeners.join(", "),
            g.http_routes.join(", ")
        )));
    }
    if let Some(pool) = &r.inference_pool {
        out.push(Line::raw(format!("  inferencePool {}", pool.name)));
    }
    if let Some(spec) = &llm.spec.router {
        if !spec.gateway_refs.is_empty() {
            out.push(Line::from(dim(
                format!("  gateway refs {}", spec.gateway_refs.join(", ")),
                theme,
            )));
        }
        if spec.scheduler {
            out.push(Line::from(dim(
                "  scheduler (llm-d EPP) requested".into(),
                theme,
            )));
        }
    }
    for a in &llm.status.addresses {
        let models = if a.models.is_empty() {
            String::new()
        } else {
            format!("  models [{}]", a.models.join(", "))
        };
        out.push(Line::raw(format!("  address {} {}{models}", a.name, a.url)));
    }
    if let Some(url) = &llm.status.url {
        out.push(Line::raw(format!("  url {url}")));
    }
    for c in &llm.status.applied_configs {
        out.push(Line::from(dim(
            format!("  config {}/{} ({})", c.namespace, c.name, c.source),
            theme,
        )));
    }
    out
}

fn ms(v: Option<f64>) -> String {
    v.map(format::millis).unwrap_or_else(|| "–".to_string())
}

fn member_cells(f: Option<&LlmFigures>) -> Vec<String> {
    let f = f.cloned().unwrap_or_default();
    vec![
        ms(f.ttft_p50_ms),
        ms(f.ttft_p99_ms),
        ms(f.itl_p50_ms),
        ms(f.e2e_p99_ms),
        ms(f.queue_p50_ms),
        match (f.running, f.waiting) {
            (Some(r), Some(w)) => format!("{r:.0}/{w:.0}"),
            _ => "–".to_string(),
        },
        f.kv_cache
            .map(|k| format::percent(k * 100.0))
            .unwrap_or_else(|| "–".into()),
        f.preemptions_per_s
            .map(|p| format!("{p:.1}"))
            .unwrap_or_else(|| "–".into()),
        f.error_share
            .map(crate::domain::canary::percent)
            .unwrap_or_else(|| "–".into()),
        f.generation_tokens_per_s
            .map(format::rate)
            .unwrap_or_else(|| "–".into()),
    ]
}

/// The group's members side by side (or this service alone when it has no group).
fn members(state: &State, theme: &Theme, key: &ObjectKey, llm: &Llm, width: u16) -> Lines {
    let title = match llm.group() {
        Some(g) => format!("Group {g}: members side by side"),
        None => "vLLM figures".to_string(),
    };
    let mut out = vec![Line::raw(""), heading(&title, theme)];
    let header = [
        "MEMBER",
        "WEIGHT",
        "TTFT50",
        "TTFT99",
        "ITL50",
        "E2E99",
        "QUEUE50",
        "RUN/WAIT",
        "KV",
        "PREEMPT/S",
        "ERR",
        "TOK/S",
    ];
    let widths = [18usize, 8, 8, 8, 7, 8, 8, 9, 5, 10, 6, 7];
    // Narrow terminals keep the columns that judge a canary: TTFT, ITL, KV, preemptions, errors.
    let shown: Vec<usize> = if width < 112 {
        vec![0, 1, 2, 3, 4, 8, 9, 10]
    } else {
        (0..header.len()).collect()
    };
    let row = |cells: Vec<String>| -> String {
        shown
            .iter()
            .filter_map(|i| cells.get(*i).map(|c| (c, widths[*i])))
            .map(|(c, w)| crate::ui::text::pad(c, w, ""))
            .collect::<String>()
    };
    out.push(Line::from(dim(
        format!("  {}", row(header.iter().map(|s| s.to_string()).collect())),
        theme,
    )));
    let members: Vec<(String, String)> = match &llm.status.router.group {
        Some(g) => g
            .members
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    if m.stopped {
                        format!("{} stop", m.weight)
                    } else {
                        m.weight.to_string()
                    },
                )
            })
            .collect(),
        None => vec![(key.name.clone(), "–".to_string())],
    };
    for (name, weight) in members {
        let mkey = ObjectKey::new(&key.namespace, &name);
        let breaches = llm_breaches(state, &mkey);
        let mut cells = vec![name, weight];
        cells.extend(member_cells(state.figures.llm.get(&mkey)));
        let slot = if breaches.is_empty() {
            Slot::Base
        } else {
            Slot::StatusFailed
        };
        out.push(Line::from(Span::styled(
            format!("  {}", row(cells)),
            theme.style(slot),
        )));
        for b in breaches {
            out.push(Line::from(Span::styled(
                format!("    {} {b}", theme.symbols.fail),
                theme.style(Slot::StatusFailed),
            )));
        }
    }
    out
}

/// The last console probe (`i`) of this service, beside the scraped figures above it.
fn last_probe(state: &State, theme: &Theme, key: &ObjectKey) -> Lines {
    let Some(p) = state.figures.llm_probes.get(key) else {
        return vec![Line::from(dim(
            "  i: probe it (streamed chat completions through the API server)".into(),
            theme,
        ))];
    };
    let age = (state.now - p.at).num_seconds().max(0);
    let f = &p.stream;
    vec![Line::raw(format!(
        "  Probe {age}s ago: {}/{} ok · TTFT p50 {} p99 {} · ITL p50 {} · {} tok/s",
        p.ok,
        p.requests,
        ms(f.ttft_p50_ms),
        ms(f.ttft_p99_ms),
        ms(f.itl_p50_ms),
        f.output_tokens_per_s
            .map(format::rate)
            .unwrap_or_else(|| "–".into()),
    ))]
}

fn lora(theme: &Theme, llm: &Llm) -> Lines {
    if llm.spec.lora_adapters.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Line::raw(""), heading("LoRA adapters", theme)];
    for a in &llm.spec.lora_adapters {
        out.push(Line::raw(format!("  {}  {}", a.name, a.uri)));
    }
    out
}

/// All overview lines of an LLM service.
pub fn lines(state: &State, theme: &Theme, key: &ObjectKey, llm: &Llm, width: u16) -> Lines {
    let mut out = status_line(state, theme, llm);
    out.extend(why(theme, &crate::domain::llm::diagnose::diagnose(llm)));
    out.extend(members(state, theme, key, llm, width));
    out.extend(last_probe(state, theme, key));
    out.extend(condition_tree(theme, llm));
    out.extend(workloads(theme, llm));
    out.extend(router(theme, llm));
    out.extend(lora(theme, llm));
    out.push(Line::raw(""));
    out.push(Line::from(dim(
        "  l: logs of the `main` container   y: YAML".into(),
        theme,
    )));
    out
}

/// Draws the overview, scrolled.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    key: &ObjectKey,
    llm: &Llm,
) {
    frame.render_widget(
        Paragraph::new(lines(state, theme, key, llm, area.width))
            .wrap(Wrap { trim: false })
            .scroll((state.ui.text_scroll, 0)),
        area,
    );
}
