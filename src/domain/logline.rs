//! Log text made safe for the terminal: levels of a line. The sanitiser itself (escape
//! sequences dropped, controls shown inert) lives in [`crate::domain::inert`], the one
//! output boundary for every text that comes from outside kdeck.

pub use super::inert::{AnsiColor, ColorSpan, MAX_LINE_BYTES, SafeText, sanitize};

/// How severe a line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// The level a line looks like: ERROR/FATAL/CRITICAL/Traceback/exceptions, WARN/WARNING,
/// and JSON `"level"`/`"severity"` fields; everything else is info.
pub fn level(text: &str) -> Level {
    const ERROR_WORDS: [&str; 6] = [
        "ERROR",
        "FATAL",
        "CRITICAL",
        "Traceback",
        "Exception",
        "PANIC",
    ];
    const WARN_WORDS: [&str; 2] = ["WARN", "WARNING"];
    let json_level = |field: &str| {
        text.find(field).and_then(|i| {
            let rest = text[i + field.len()..].trim_start_matches([':', ' ', '"']);
            rest.get(..5).map(str::to_ascii_lowercase)
        })
    };
    for field in ["\"level\"", "\"severity\""] {
        if let Some(value) = json_level(field) {
            if value.starts_with("error") || value.starts_with("fatal") || value.starts_with("crit")
            {
                return Level::Error;
            }
            if value.starts_with("warn") {
                return Level::Warn;
            }
        }
    }
    let has_word = |w: &str| {
        text.match_indices(w).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + w.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphabetic())
        })
    };
    if ERROR_WORDS.iter().any(|w| has_word(w)) || text.contains(" 500 ") || text.contains(" 503 ") {
        Level::Error
    } else if WARN_WORDS.iter().any(|w| has_word(w)) {
        Level::Warn
    } else {
        Level::Info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        assert_eq!(level("2026 ERROR predict failed"), Level::Error);
        assert_eq!(level("Traceback (most recent call last):"), Level::Error);
        assert_eq!(level(r#"{"severity":"ERROR","message":"x"}"#), Level::Error);
        assert_eq!(level(r#"{"level": "warn"}"#), Level::Warn);
        assert_eq!(level("WARNING: slow"), Level::Warn);
        assert_eq!(level("errors=0 INFORMATION ok"), Level::Info);
        assert_eq!(level("GET /v1/models/m:predict 503 12ms"), Level::Error);
    }
}
