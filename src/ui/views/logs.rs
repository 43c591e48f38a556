//! The logs view: a merged tail of the service's pods, each line tagged by revision and pod
//! (stable and canary in different colours), errors and warnings highlighted, search
//! matches marked. Only the lines on screen are styled; log colours are kept, nothing else
//! from the log text reaches the terminal.

use crate::config::slot::Slot;
use crate::domain::logline::{AnsiColor, Level};
use crate::state::State;
use crate::state::logs::{LogLine, LogTarget, LogView};
use crate::ui::color::downgrade;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use regex::Regex;
use unicode_width::UnicodeWidthChar;

/// The view's one-line summary of what is shown and how. The follow state comes first so it
/// stays visible on an 80-column terminal; then the filters, then the target and settings.
pub fn summary(view: &LogView, theme: &Theme) -> Line<'static> {
    let sym = &theme.symbols;
    let target = match &view.target {
        LogTarget::Service(k) => format!("service {k}"),
        LogTarget::Pod(k) => format!("pod {k}"),
    };
    let live = view.streams.values().filter(|s| s.ended.is_none()).count();
    let (slot, state) = if view.follow {
        (Slot::StatusReady, "following".to_string())
    } else {
        (
            Slot::StatusProgressing,
            format!("paused ({} new)", view.new_while_paused),
        )
    };
    let mut spans = vec![Span::styled(state, theme.style(slot))];
    if let Some(rev) = &view.only_revision {
        spans.push(Span::styled(
            format!(" {} only {rev}", sym.sep),
            theme.style(Slot::TextKey),
        ));
    }
    if let Some(pod) = &view.only_pod {
        spans.push(Span::styled(
            format!(
                " {} only pod {}",
                sym.sep,
                pod.rsplit('-').next().unwrap_or(pod)
            ),
            theme.style(Slot::TextKey),
        ));
    }
    spans.extend([
        Span::styled(format!(" {} ", sym.sep), theme.style(Slot::TextDim)),
        Span::styled(target, theme.style(Slot::TextStrong)),
        Span::styled(
            format!(" {} {}", sym.sep, view.container.label()),
            theme.style(Slot::Base),
        ),
        Span::styled(
            format!(" {} since {}", sym.sep, view.since.label()),
            theme.style(Slot::TextDim),
        ),
        Span::styled(
            format!(" {} {live}/{} streams", sym.sep, view.streams.len()),
            theme.style(Slot::TextDim),
        ),
    ]);
    if view.previous {
        spans.push(Span::styled(
            " · previous".to_string(),
            theme.style(Slot::TextWarning),
        ));
    }
    if let Some(f) = &view.filter {
        spans.push(Span::styled(
            format!(" {} only /{}/", sym.sep, f.text),
            theme.style(Slot::TextKey),
        ));
    }
    if let Some(s) = &view.search {
        spans.push(Span::styled(
            format!(" {} search /{}/ (n/N)", sym.sep, s.text),
            theme.style(Slot::LogMatch),
        ));
    }
    if view.wrap {
        spans.push(Span::styled(
            " · wrap".to_string(),
            theme.style(Slot::TextDim),
        ));
    }
    Line::from(spans)
}

fn ansi_color(c: AnsiColor, theme: &Theme) -> Option<Color> {
    let color = match c {
        AnsiColor::Indexed(i) => Color::Indexed(i),
        AnsiColor::Rgb(r, g, b) => Color::Rgb(r, g, b),
    };
    downgrade(color, theme.depth)
}

/// The styled spans of one line's text: level colour, the log's own colours, search hits.
fn text_spans(line: &LogLine, theme: &Theme, search: Option<&Regex>) -> Vec<Span<'static>> {
    let base = if line.marker {
        theme.style(Slot::TextDim).add_modifier(Modifier::ITALIC)
    } else {
        match line.level {
            Level::Error => theme.style(Slot::LogError),
            Level::Warn => theme.style(Slot::LogWarn),
            Level::Info => theme.style(Slot::Base),
        }
    };
    let text = &line.text.text;
    let matches: Vec<(usize, usize)> = search
        .map(|re| {
            re.find_iter(text)
                .map(|m| (m.start(), m.end()))
                .filter(|(a, b)| a < b)
                .collect()
        })
        .unwrap_or_default();
    let mut cuts = vec![0, text.len()];
    for s in &line.text.spans {
        cuts.push(s.start as usize);
        cuts.push(s.end as usize);
    }
    for (a, b) in &matches {
        cuts.push(*a);
        cuts.push(*b);
    }
    cuts.retain(|c| *c <= text.len() && text.is_char_boundary(*c));
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let mut style: Style = base;
            if let Some(span) = line
                .text
                .spans
                .iter()
                .find(|s| s.start as usize <= a && (s.end as usize) >= b)
            {
                if let Some(fg) = span.fg.and_then(|c| ansi_color(c, theme)) {
                    style = style.fg(fg);
                }
                if span.bold {
                    style = style.add_modifier(Modifier::BOLD);
                }
            }
            if matches.iter().any(|(ma, mb)| *ma <= a && *mb >= b) {
                style = theme.style(Slot::LogMatch);
            }
            Span::styled(text[a..b].to_string(), style)
        })
        .collect()
}

/// The prefix of a line: optional timestamp and the pod tag in its revision colour.
fn prefix(line: &LogLine, view: &LogView, theme: &Theme, tag_width: usize) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if view.timestamps {
        let ts = line
            .ts
            .map(|t| t.format("%H:%M:%S%.3f ").to_string())
            .unwrap_or_else(|| " ".repeat(13));
        spans.push(Span::styled(ts, theme.style(Slot::TextDim)));
    }
    let slot = if line.canary {
        Slot::RevisionCanary
    } else {
        Slot::RevisionStable
    };
    spans.push(Span::styled(
        format!(
            "{} ",
            text::pad(&line.tag, tag_width, theme.symbols.ellipsis)
        ),
        theme.style(slot),
    ));
    spans
}

/// Splits spans into rows of at most `width` cells (for wrap mode).
fn wrap_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Vec<Span<'static>>> {
    let mut rows: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let mut current = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                if !current.is_empty()
                    && let Some(row) = rows.last_mut()
                {
                    row.push(Span::styled(std::mem::take(&mut current), span.style));
                }
                rows.push(Vec::new());
                used = 0;
            }
            current.push(c);
            used += w;
        }
        if !current.is_empty()
            && let Some(row) = rows.last_mut()
        {
            row.push(Span::styled(current, span.style));
        }
    }
    rows
}

/// Draws the logs view.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(view) = &state.logs else {
        return;
    };
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(summary(view, theme)), head);
    let height = usize::from(body.height);
    let width = usize::from(body.width);
    if height == 0 || width == 0 {
        return;
    }
    if view.visible.is_empty() {
        let text =
            if view.filter.is_some() || view.only_revision.is_some() || view.only_pod.is_some() {
                "No lines match the filter (& r o to change it).".to_string()
            } else {
                format!("Waiting for log lines{}", theme.symbols.ellipsis)
            };
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("  {text}"),
                theme.style(Slot::TextDim),
            )),
            body,
        );
        return;
    }
    let tag_width = view
        .streams
        .values()
        .map(|s| text::width(&s.tag))
        .max()
        .unwrap_or(8)
        .min(32);
    let search = view.search.as_ref().map(|s| &s.regex);
    let render = |seq: &u64| -> Vec<Vec<Span<'static>>> {
        let Some(line) = view.line(*seq) else {
            return Vec::new();
        };
        let mut spans = prefix(line, view, theme, tag_width);
        spans.extend(text_spans(line, theme, search));
        if view.wrap {
            wrap_spans(spans, width)
        } else {
            vec![spans]
        }
    };
    let mut rows: Vec<Vec<Span<'static>>> = Vec::new();
    if view.follow {
        // Fill from the newest line upwards.
        for seq in view.visible.iter().rev() {
            let mut line_rows = render(seq);
            line_rows.reverse();
            rows.extend(line_rows);
            if rows.len() >= height {
                break;
            }
        }
        rows.truncate(height);
        rows.reverse();
    } else {
        for seq in view.visible.iter().skip(view.first_visible(height)) {
            rows.extend(render(seq));
            if rows.len() >= height {
                break;
            }
        }
        rows.truncate(height);
    }
    let lines: Vec<Line> = rows.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(lines), body);
}
