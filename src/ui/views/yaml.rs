//! The YAML of a service, as read from the API server when the view opened ("loading…"
//! until then, or what went wrong): scrollable, keys highlighted, bulk fields hidden, lines
//! matching the search (`/`) marked. Only the lines on screen are styled; nothing is parsed
//! while drawing.

use crate::config::slot::Slot;
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::ui::text;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::state::yaml_doc::YamlText;

/// Styles one YAML line: comments dim, keys highlighted, values plain.
pub fn highlight<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return Line::from(Span::styled(line, theme.style(Slot::YamlComment)));
    }
    let indent = &line[..line.len() - trimmed.len()];
    let (dash, rest) = match trimmed.strip_prefix("- ") {
        Some(rest) => ("- ", rest),
        None => ("", trimmed),
    };
    match rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(|k| k.len()))
    {
        Some(colon) if !rest.starts_with('\'') && !rest.starts_with('"') => Line::from(vec![
            Span::raw(indent),
            Span::styled(dash, theme.style(Slot::TextDim)),
            Span::styled(&rest[..colon], theme.style(Slot::YamlKey)),
            Span::styled(&rest[colon..], theme.style(Slot::YamlValue)),
        ]),
        _ => Line::from(vec![
            Span::raw(indent),
            Span::styled(dash, theme.style(Slot::TextDim)),
            Span::styled(rest, theme.style(Slot::YamlValue)),
        ]),
    }
}

/// Draws the YAML of `key`, scrolled by the view's text scroll.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, key: &ObjectKey) {
    let say = |frame: &mut Frame, text: String, slot: Slot| {
        frame.render_widget(
            Paragraph::new(Span::styled(
                text::fit(&text, usize::from(area.width), theme.symbols.ellipsis),
                theme.style(slot),
            )),
            area,
        );
    };
    if crate::state::service_kind::lookup(state, key).is_none() {
        return say(
            frame,
            format!("  {key} is gone from the cluster"),
            Slot::TextWarning,
        );
    }
    let doc = state.yaml.as_ref().filter(|d| &d.key == key);
    let yaml = match doc.map(|d| &d.text) {
        Some(YamlText::Ready { text, .. }) => text.as_str(),
        Some(YamlText::Failed(e)) => return say(frame, format!("  {e}"), Slot::TextWarning),
        Some(YamlText::Loading) | None => {
            return say(
                frame,
                format!("  loading {key}{}", theme.symbols.ellipsis),
                Slot::TextDim,
            );
        }
    };
    let total = yaml.lines().count();
    let height = usize::from(area.height);
    let scroll = usize::from(state.ui.text_scroll).min(total.saturating_sub(height));
    let width = usize::from(area.width);
    let search = state.ui.text_search.as_ref().map(|p| &p.regex);
    let lines: Vec<Line> = yaml
        .lines()
        .skip(scroll)
        .take(height)
        .map(|l| {
            let matched = search.is_some_and(|re| re.is_match(l));
            if matched {
                Line::from(Span::styled(
                    text::fit(l, width, theme.symbols.ellipsis),
                    theme.style(Slot::LogMatch),
                ))
            } else if text::width(l) > width {
                Line::from(Span::styled(
                    text::fit(l, width, theme.symbols.ellipsis),
                    theme.style(Slot::YamlValue),
                ))
            } else {
                highlight(l, theme)
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use crate::domain::yaml_text::yaml_text;

    #[test]
    fn yaml_hides_bulk_and_renders() {
        let text = yaml_text(
            r#"{"metadata":{"name":"a"},"spec":{"predictor":{"model":{"storageUri":"s3://x"}}}}"#,
        );
        assert!(text.starts_with("# managedFields"));
        assert!(text.contains("storageUri: s3://x"));
        assert!(yaml_text("not json").contains("cannot show"));
    }
}
