//! Theme files: the built-in themes in `themes/` (embedded) and user themes in the config
//! directory, which patch a built-in one with `inherits = "NAME"`.
//!
//! A theme is a palette (names → colours) plus styles for semantic slots (`status.ready` …),
//! and optionally `styles16`: slots that look different when the terminal shows only the 16
//! basic colours (a dark green on white becomes black there; a green badge stays green).
//! Problems (unknown slot, bad colour, unknown field) become warnings; the inherited value
//! stays in place.

use super::warning::ConfigWarning;
use crate::config::slot::Slot;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The themes that ship with kdeck, by name.
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// How one slot looks, before colours are resolved against the palette and colour depth.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    pub fg: Option<String>,
    pub bg: Option<String>,
    pub bold: Option<bool>,
    pub italic: Option<bool>,
    pub underline: Option<bool>,
    pub dim: Option<bool>,
    pub reversed: Option<bool>,
}

/// A theme as written: palette and slot styles, after inheritance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThemeSpec {
    pub name: String,
    pub palette: BTreeMap<String, String>,
    pub styles: BTreeMap<Slot, StyleSpec>,
    /// Replacements for `styles` at 16 colours.
    pub styles16: BTreeMap<Slot, StyleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    styles: BTreeMap<String, toml::Value>,
    #[serde(default)]
    styles16: BTreeMap<String, toml::Value>,
}

/// Loads theme `name`: a user theme from `user_dir` if one exists, else a built-in one.
/// An unknown name falls back to `dark` with a warning.
pub fn load(name: &str, user_dir: Option<&Path>) -> (ThemeSpec, Vec<ConfigWarning>) {
    let mut warnings = Vec::new();
    let spec = resolve(name, user_dir, &mut warnings, 0);
    (spec, warnings)
}

fn resolve(
    name: &str,
    user_dir: Option<&Path>,
    warnings: &mut Vec<ConfigWarning>,
    depth: usize,
) -> ThemeSpec {
    if depth > 4 {
        warnings.push(ConfigWarning::new(
            format!("theme {name}"),
            Some("inherits"),
            "themes inherit too deeply (a loop?); using dark",
        ));
        return builtin("dark", warnings);
    }
    if let Some(dir) = user_dir {
        let path = dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let file = path.display().to_string();
            return parse_user(&file, &text, user_dir, warnings, depth);
        }
    }
    if BUILTIN_THEMES.iter().any(|(n, _)| *n == name) {
        return builtin(name, warnings);
    }
    let known: Vec<&str> = BUILTIN_THEMES.iter().map(|(n, _)| *n).collect();
    warnings.push(ConfigWarning::new(
        "theme",
        Some(name),
        format!("no such theme (built-in: {}; user themes go in the config directory's themes/); using dark", known.join(", ")),
    ));
    builtin("dark", warnings)
}

fn builtin(name: &str, warnings: &mut Vec<ConfigWarning>) -> ThemeSpec {
    let text = BUILTIN_THEMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or(BUILTIN_THEMES[0].1);
    let mut spec = ThemeSpec {
        name: name.to_string(),
        ..ThemeSpec::default()
    };
    apply(&mut spec, &format!("themes/{name}.toml"), text, warnings);
    spec
}

fn parse_user(
    file: &str,
    text: &str,
    user_dir: Option<&Path>,
    warnings: &mut Vec<ConfigWarning>,
    depth: usize,
) -> ThemeSpec {
    let parent = match toml::from_str::<toml::Table>(text) {
        Ok(table) => table
            .get("inherits")
            .and_then(toml::Value::as_str)
            .map(str::to_string),
        Err(_) => None,
    };
    let mut spec = match parent {
        Some(parent) => resolve(&parent, user_dir, warnings, depth + 1),
        None => builtin("dark", warnings),
    };
    apply(&mut spec, file, text, warnings);
    spec
}

/// Applies one theme file's palette and styles on top of `spec`.
pub fn apply(spec: &mut ThemeSpec, file: &str, text: &str, warnings: &mut Vec<ConfigWarning>) {
    let parsed: ThemeFile = match toml::from_str(text) {
        Ok(parsed) => parsed,
        Err(err) => {
            warnings.push(ConfigWarning::new(
                file,
                None,
                format!("not a valid theme file, ignored: {}", err.message()),
            ));
            return;
        }
    };
    if let Some(name) = parsed.name {
        spec.name = name;
    }
    let _ = parsed.inherits;
    spec.palette.extend(parsed.palette);
    apply_styles(&mut spec.styles, "styles", parsed.styles, file, warnings);
    apply_styles(
        &mut spec.styles16,
        "styles16",
        parsed.styles16,
        file,
        warnings,
    );
}

fn apply_styles(
    into: &mut BTreeMap<Slot, StyleSpec>,
    table: &str,
    styles: BTreeMap<String, toml::Value>,
    file: &str,
    warnings: &mut Vec<ConfigWarning>,
) {
    for (slot_name, value) in styles {
        let Ok(slot) = slot_name.parse::<Slot>() else {
            warnings.push(ConfigWarning::new(
                file,
                Some(&format!("{table}.\"{slot_name}\"")),
                "unknown style slot, ignored",
            ));
            continue;
        };
        match value.try_into::<StyleSpec>() {
            Ok(style) => {
                into.insert(slot, style);
            }
            Err(err) => warnings.push(ConfigWarning::new(
                file,
                Some(&format!("{table}.\"{slot_name}\"")),
                format!(
                    "expected {{ fg, bg, bold, italic, underline, dim, reversed }}: {}",
                    err.message()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn builtin_themes_parse_strictly_and_style_every_slot() {
        for (name, _) in BUILTIN_THEMES {
            let (spec, warnings) = load(name, None);
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
            assert_eq!(spec.name, *name);
            for slot in Slot::iter() {
                assert!(spec.styles.contains_key(&slot), "{name} lacks {slot}");
            }
        }
    }

    #[test]
    fn user_theme_patches_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "name = \"mine\"\ninherits = \"light\"\n[palette]\nred = \"#ff0000\"\n[styles]\n\"selection\" = { reversed = true }\n\"no.such\" = { fg = \"red\" }\n",
        )
        .unwrap();
        let (spec, warnings) = load("mine", Some(dir.path()));
        assert_eq!(spec.name, "mine");
        assert_eq!(spec.palette.get("red").map(String::as_str), Some("#ff0000"));
        assert_eq!(spec.palette.get("bg").map(String::as_str), Some("#fafafa"));
        assert_eq!(spec.styles[&Slot::Selection].reversed, Some(true));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].to_string().contains("unknown style slot"));
    }

    #[test]
    fn unknown_theme_falls_back_with_a_warning() {
        let (spec, warnings) = load("neon", None);
        assert_eq!(spec.name, "dark");
        assert!(warnings[0].message.contains("no such theme"));
    }

    #[test]
    fn self_inheriting_theme_does_not_loop() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("loop.toml"), "inherits = \"loop\"\n").unwrap();
        let (spec, warnings) = load("loop", Some(dir.path()));
        assert!(!spec.styles.is_empty());
        assert!(warnings.iter().any(|w| w.message.contains("too deeply")));
    }
}
