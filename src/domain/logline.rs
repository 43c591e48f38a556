//! Log text made safe for the terminal. Container logs are untrusted bytes: escape sequences
//! could move the cursor, retitle the window or clear the screen. Every line goes through a
//! terminal parser (vte, alacritty's); printable text is kept, SGR colours are kept as
//! styling data, every other sequence is dropped and other control characters are shown
//! inert in caret notation (`^G`). Invalid UTF-8 becomes U+FFFD; very long lines are cut.

use vte::{Params, Parser, Perform};

/// Lines longer than this many bytes are cut, with a note of how much was dropped.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// A colour from an SGR sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsiColor {
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// A byte range of the text drawn in a colour (and/or bold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColorSpan {
    pub start: u32,
    pub end: u32,
    pub fg: Option<AnsiColor>,
    pub bold: bool,
}

/// Sanitised text plus the colour spans its SGR sequences asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeText {
    pub text: String,
    pub spans: Vec<ColorSpan>,
}

/// How severe a line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Default)]
struct Sanitizer {
    out: SafeText,
    fg: Option<AnsiColor>,
    bold: bool,
    span_start: u32,
}

impl Sanitizer {
    fn close_span(&mut self) {
        let end = self.out.text.len() as u32;
        if (self.fg.is_some() || self.bold) && end > self.span_start {
            self.out.spans.push(ColorSpan {
                start: self.span_start,
                end,
                fg: self.fg,
                bold: self.bold,
            });
        }
        self.span_start = end;
    }

    fn sgr(&mut self, params: &Params) {
        self.close_span();
        let flat: Vec<u16> = params.iter().flat_map(|p| p.iter().copied()).collect();
        if flat.is_empty() {
            self.fg = None;
            self.bold = false;
            return;
        }
        let mut i = 0;
        while i < flat.len() {
            match flat[i] {
                0 => {
                    self.fg = None;
                    self.bold = false;
                }
                1 => self.bold = true,
                22 => self.bold = false,
                n @ 30..=37 => self.fg = Some(AnsiColor::Indexed((n - 30) as u8)),
                n @ 90..=97 => self.fg = Some(AnsiColor::Indexed((n - 90 + 8) as u8)),
                39 => self.fg = None,
                38 => match flat.get(i + 1) {
                    Some(5) => {
                        if let Some(n) = flat.get(i + 2) {
                            self.fg = Some(AnsiColor::Indexed(*n as u8));
                        }
                        i += 2;
                    }
                    Some(2) => {
                        if let (Some(r), Some(g), Some(b)) =
                            (flat.get(i + 2), flat.get(i + 3), flat.get(i + 4))
                        {
                            self.fg = Some(AnsiColor::Rgb(*r as u8, *g as u8, *b as u8));
                        }
                        i += 4;
                    }
                    _ => {}
                },
                // Background colours and other attributes are not kept: log text stays readable.
                _ => {}
            }
            i += 1;
        }
    }
}

impl Perform for Sanitizer {
    fn print(&mut self, c: char) {
        self.out.text.push(c);
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\t' => self.out.text.push_str("    "),
            // Carriage returns (progress bars, CRLF) and bells carry nothing worth showing.
            b'\r' | b'\n' => {}
            other => {
                self.out.text.push('^');
                self.out.text.push(char::from(other ^ 0x40));
            }
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], _ignore: bool, action: char) {
        if action == 'm' && intermediates.is_empty() {
            self.sgr(params);
        }
        // Every other CSI (cursor movement, erase, scroll regions, modes) is dropped.
    }

    // OSC (window titles, hyperlinks, clipboard), DCS and other escapes are dropped.
}

/// Sanitises one raw log line.
pub fn sanitize(raw: &[u8]) -> SafeText {
    let (raw, cut) = if raw.len() > MAX_LINE_BYTES {
        (&raw[..MAX_LINE_BYTES], raw.len() - MAX_LINE_BYTES)
    } else {
        (raw, 0)
    };
    let mut parser = Parser::new();
    let mut s = Sanitizer::default();
    parser.advance(&mut s, raw);
    s.close_span();
    if cut > 0 {
        s.out.text.push_str(&format!(" … [{cut} more bytes cut]"));
    }
    s.out
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
    fn escape_sequences_become_inert() {
        let nasty =
            b"\x1b[2J\x1b[H\x1b]0;pwned title\x07hello \x1b[10;5Hworld\x1b[?1049l\x07\x08 done";
        let s = sanitize(nasty);
        assert_eq!(s.text, "hello world^G^H done");
        assert!(!s.text.contains('\x1b'));
        assert!(s.spans.is_empty());
    }

    #[test]
    fn colours_are_kept_as_spans() {
        let s = sanitize(b"\x1b[31mERROR\x1b[0m plain \x1b[1;38;5;208mbold orange\x1b[m");
        assert_eq!(s.text, "ERROR plain bold orange");
        assert_eq!(s.spans.len(), 2);
        assert_eq!(
            s.spans[0],
            ColorSpan {
                start: 0,
                end: 5,
                fg: Some(AnsiColor::Indexed(1)),
                bold: false
            }
        );
        assert_eq!(s.spans[1].fg, Some(AnsiColor::Indexed(208)));
        assert!(s.spans[1].bold);
    }

    #[test]
    fn invalid_utf8_tabs_and_long_lines() {
        let s = sanitize(b"a\xff\xfeb\tc");
        assert_eq!(s.text, "a\u{fffd}\u{fffd}b    c");
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let s = sanitize(&long);
        assert!(s.text.ends_with("[10 more bytes cut]"));
    }

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
