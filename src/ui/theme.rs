//! The resolved theme views draw with: one ratatui `Style` per semantic slot, after palette
//! lookup and colour-depth fallback, plus the glyph set.

use super::color::{ColorDepth, downgrade, parse_literal};
use super::symbols::Symbols;
use crate::config::slot::Slot;
use crate::config::theme::{StyleSpec, ThemeSpec};
use crate::config::warning::ConfigWarning;
use ratatui::style::{Color, Modifier, Style};
use std::collections::HashMap;

/// Styles by meaning, ready to draw.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub depth: ColorDepth,
    pub symbols: Symbols,
    styles: HashMap<Slot, Style>,
}

impl Theme {
    /// Resolves a theme spec for a terminal of `depth` colours. Colours that do not parse
    /// become warnings and are left out.
    pub fn resolve(
        spec: &ThemeSpec,
        depth: ColorDepth,
        symbols: Symbols,
    ) -> (Theme, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let file = format!("theme {}", spec.name);
        let mut styles = HashMap::new();
        for (slot, style_spec) in &spec.styles {
            let style_spec = match depth {
                ColorDepth::Ansi16 => spec.styles16.get(slot).unwrap_or(style_spec),
                _ => style_spec,
            };
            let style = resolve_style(spec, *slot, style_spec, depth, &file, &mut warnings);
            styles.insert(*slot, style);
        }
        (
            Theme {
                name: spec.name.clone(),
                depth,
                symbols,
                styles,
            },
            warnings,
        )
    }

    /// The style for a meaning; unknown slots draw in the base style.
    pub fn style(&self, slot: Slot) -> Style {
        self.styles
            .get(&slot)
            .or_else(|| self.styles.get(&Slot::Base))
            .copied()
            .unwrap_or_default()
    }
}

fn resolve_style(
    spec: &ThemeSpec,
    slot: Slot,
    style_spec: &StyleSpec,
    depth: ColorDepth,
    file: &str,
    warnings: &mut Vec<ConfigWarning>,
) -> Style {
    let mut style = Style::default();
    let mut color = |value: &Option<String>, what: &str| -> Option<Color> {
        let text = value.as_deref()?;
        match lookup(spec, text) {
            Some(color) => downgrade(color, depth),
            None => {
                warnings.push(ConfigWarning::new(
                    file,
                    Some(&format!("styles.\"{slot}\".{what}")),
                    format!("'{text}' is neither a palette name nor a colour (#rrggbb, a basic colour name, 0-255)"),
                ));
                None
            }
        }
    };
    if let Some(fg) = color(&style_spec.fg, "fg") {
        style = style.fg(fg);
    }
    if let Some(bg) = color(&style_spec.bg, "bg") {
        style = style.bg(bg);
    }
    let flags = [
        (style_spec.bold, Modifier::BOLD),
        (style_spec.italic, Modifier::ITALIC),
        (style_spec.underline, Modifier::UNDERLINED),
        (style_spec.dim, Modifier::DIM),
        (style_spec.reversed, Modifier::REVERSED),
    ];
    for (flag, modifier) in flags {
        if flag == Some(true) {
            style = style.add_modifier(modifier);
        }
    }
    // Without colour, a slot that relied on a background (selection, alerts) is shown in
    // reverse video so it still stands out.
    if depth == ColorDepth::None && style_spec.bg.is_some() && slot != Slot::Base {
        style = style.add_modifier(Modifier::REVERSED);
    }
    style
}

fn lookup(spec: &ThemeSpec, text: &str) -> Option<Color> {
    match spec.palette.get(text) {
        Some(value) => parse_literal(value),
        None => parse_literal(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::theme;
    use strum::IntoEnumIterator;

    #[test]
    fn builtin_themes_resolve_without_warnings_at_every_depth() {
        for (name, _) in theme::BUILTIN_THEMES {
            let (spec, _) = theme::load(name, None);
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Indexed256,
                ColorDepth::Ansi16,
                ColorDepth::None,
            ] {
                let (_, warnings) = Theme::resolve(&spec, depth, Symbols::UNICODE);
                assert!(warnings.is_empty(), "{name} {depth:?}: {warnings:?}");
            }
        }
    }

    #[test]
    fn no_colour_keeps_modifiers_and_reverses_background_slots() {
        let (spec, _) = theme::load("dark", None);
        let (theme, _) = Theme::resolve(&spec, ColorDepth::None, Symbols::ASCII);
        for slot in Slot::iter() {
            let style = theme.style(slot);
            assert_eq!(style.fg, None, "{slot}");
            assert_eq!(style.bg, None, "{slot}");
        }
        assert!(
            theme
                .style(Slot::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            theme
                .style(Slot::StatusFailed)
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn light_and_dark_differ() {
        let (dark, _) = theme::load("dark", None);
        let (light, _) = theme::load("light", None);
        let (dark, _) = Theme::resolve(&dark, ColorDepth::TrueColor, Symbols::UNICODE);
        let (light, _) = Theme::resolve(&light, ColorDepth::TrueColor, Symbols::UNICODE);
        assert_ne!(dark.style(Slot::Base), light.style(Slot::Base));
        assert_ne!(
            dark.style(Slot::StatusReady),
            light.style(Slot::StatusReady)
        );
    }

    #[test]
    fn a_bad_colour_is_a_warning() {
        let mut spec = ThemeSpec::default();
        spec.styles.insert(
            Slot::Title,
            StyleSpec {
                fg: Some("sparkly".into()),
                ..StyleSpec::default()
            },
        );
        let (theme, warnings) = Theme::resolve(&spec, ColorDepth::TrueColor, Symbols::UNICODE);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].to_string().contains("sparkly"));
        assert_eq!(theme.style(Slot::Title).fg, None);
    }
}
