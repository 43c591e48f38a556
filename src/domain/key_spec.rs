//! Key names as written in keymap files (`q`, `ctrl-c`, `shift-tab`, `pgdn`, `f1`, `G`, `?`)
//! and their match against terminal key events.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;
use std::str::FromStr;

/// A key with its modifiers, normalised so that `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    /// Normalises a terminal key event: uppercase letters carry no SHIFT, shifted tab is
    /// `BackTab`, and only ctrl/alt/shift modifiers count.
    pub fn from_event(event: &KeyEvent) -> KeySpec {
        normalise(event.code, event.modifiers)
    }
}

fn normalise(code: KeyCode, mods: KeyModifiers) -> KeySpec {
    let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
    let code = match code {
        KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() => {
            mods.remove(KeyModifiers::SHIFT);
            KeyCode::Char(c.to_ascii_uppercase())
        }
        KeyCode::Char(c) if !c.is_ascii_alphanumeric() => {
            // Punctuation arrives already shifted (`?`, `:`); the SHIFT flag is noise.
            mods.remove(KeyModifiers::SHIFT);
            KeyCode::Char(c)
        }
        KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        KeyCode::BackTab => {
            mods.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
            mods.remove(KeyModifiers::SHIFT);
            KeyCode::BackTab
        }
        other => other,
    };
    KeySpec { code, mods }
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

const ALIASES: &[(&str, &str)] = &[
    ("return", "enter"),
    ("escape", "esc"),
    ("pageup", "pgup"),
    ("pagedown", "pgdn"),
    ("del", "delete"),
];

impl FromStr for KeySpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err("empty key name".to_string());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        // A lone "-" is the minus key; otherwise split modifier prefixes.
        while rest.len() > 1 {
            let lower = rest.to_ascii_lowercase();
            let (prefix, flag) = if lower.starts_with("ctrl-") {
                ("ctrl-", KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                ("alt-", KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                ("shift-", KeyModifiers::SHIFT)
            } else {
                break;
            };
            mods |= flag;
            rest = &rest[prefix.len()..];
        }
        let code = parse_code(rest).ok_or_else(|| {
            format!("unknown key name '{text}' (examples: q, G, ctrl-c, shift-tab, enter, esc, pgdn, f5, space)")
        })?;
        Ok(normalise(code, mods))
    }
}

fn parse_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map(|(_, real)| *real)
        .unwrap_or(lower.as_str());
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == canonical) {
        return Some(*code);
    }
    let number = canonical.strip_prefix('f')?.parse::<u8>().ok()?;
    (1..=24).contains(&number).then_some(KeyCode::F(number))
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map(|(n, _)| *n)
                    .unwrap_or("?");
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeySpec {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_displays_canonical_names() {
        for name in [
            "q", "G", "ctrl-c", "backtab", "enter", "esc", "pgdn", "f5", "space", "?", "/", "-",
            "alt-x",
        ] {
            assert_eq!(key(name).to_string(), name, "{name}");
        }
        assert_eq!(key("shift-g"), key("G"));
        assert_eq!(key("shift-tab"), key("backtab"));
        assert_eq!(key("Return"), key("enter"));
        assert_eq!(key("CTRL-C"), key("ctrl-c"));
    }

    #[test]
    fn rejects_unknown_names() {
        assert!("ctrl-".parse::<KeySpec>().is_err());
        assert!("hyper-q".parse::<KeySpec>().is_err());
        assert!("f99".parse::<KeySpec>().is_err());
        assert!("".parse::<KeySpec>().is_err());
    }

    #[test]
    fn events_normalise_like_names() {
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&shifted_g), key("G"));
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&question), key("?"));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(KeySpec::from_event(&ctrl_c), key("ctrl-c"));
        let shift_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeySpec::from_event(&shift_tab), key("backtab"));
    }
}
