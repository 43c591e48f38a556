//! The one output boundary for text from outside kdeck (the cluster, model servers, exec
//! plugins, logs). Such text is untrusted: escape sequences could move the cursor, retitle
//! the window, write the clipboard (OSC 52) or clear the screen, and bidi controls could make
//! a line read differently from what it holds. Every such text goes through a terminal parser
//! (vte, alacritty's): printable text is kept, escape sequences are dropped (SGR colours are
//! kept as styling data for log lines only), C0 controls are shown in caret notation (`^G`),
//! C1 controls and bidi controls as `<U+009B>`. Invalid UTF-8 becomes U+FFFD.
//!
//! - [`sanitize`]: one raw log line, with its colours as spans, cut when very long.
//! - [`inert`]: any text for plain output (headless commands, errors), newlines and tabs kept.
//! - [`inert_json`]: JSON text, with the characters serde leaves raw written as `\uXXXX`.
//!
//! The console's screens draw through ratatui, whose buffer drops control characters and
//! zero-width graphemes (bidi controls are graphemes of their own), so a cell never carries
//! them; the headless commands print through `commands::out`, which applies [`inert`].

use std::borrow::Cow;
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

/// What the sanitiser is cleaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    /// One log line: colours kept as spans, tabs expanded, line ends dropped.
    #[default]
    LogLine,
    /// Plain text for printing: no colours, newlines and tabs kept.
    Plain,
}

#[derive(Default)]
struct Sanitizer {
    mode: Mode,
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
        if c == '\x7f' {
            self.out.text.push_str("^?");
        } else if is_bidi_control(c) {
            push_code_point(&mut self.out.text, c);
        } else {
            self.out.text.push(c);
        }
    }

    fn execute(&mut self, byte: u8) {
        match (self.mode, byte) {
            (Mode::LogLine, b'\t') => self.out.text.push_str("    "),
            // Carriage returns (progress bars, CRLF) carry nothing worth showing in a log line.
            (Mode::LogLine, b'\r' | b'\n') => {}
            (Mode::Plain, b'\t' | b'\n') => self.out.text.push(char::from(byte)),
            (_, 0x80..=0x9f) => push_code_point(&mut self.out.text, char::from(byte)),
            (_, other) => {
                self.out.text.push('^');
                self.out.text.push(char::from(other ^ 0x40));
            }
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], _ignore: bool, action: char) {
        if self.mode == Mode::LogLine && action == 'm' && intermediates.is_empty() {
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

/// Bidi controls: embeddings and overrides (U+202A–202E), isolates (U+2066–2069), the
/// left-to-right and right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// Whether `c` must not reach a terminal as it is: C0 and C1 controls (ESC and BEL among
/// them), DEL, and bidi controls.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

fn push_code_point(out: &mut String, c: char) {
    out.push_str(&format!("<U+{:04X}>", u32::from(c)));
}

/// `text` made inert for plain output: escape sequences dropped, controls and bidi controls
/// shown visibly; newlines and tabs are kept. Text with nothing to neutralise is borrowed.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c))
    {
        return Cow::Borrowed(text);
    }
    let mut parser = Parser::new();
    let mut s = Sanitizer {
        mode: Mode::Plain,
        ..Sanitizer::default()
    };
    parser.advance(&mut s, text.as_bytes());
    Cow::Owned(s.out.text)
}

/// JSON text made inert: serde_json escapes C0 controls inside strings but writes DEL, C1
/// and bidi controls raw; those become `\uXXXX` escapes, so the data stays exact for a
/// JSON reader and inert on a terminal. Outside strings JSON is plain ASCII, so only string
/// contents change.
pub fn inert_json(json: &str) -> Cow<'_, str> {
    // Newlines and tabs outside strings are pretty-printing; inside strings serde escapes them.
    let unsafe_here = |c: char| c != '\n' && c != '\t' && is_unsafe_char(c);
    if !json.chars().any(unsafe_here) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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
    fn hostile_plain_text_becomes_inert() {
        let hostile = "ok \x1b]52;c;cGFzdGU=\x07 \x1b]0;title\x07 \x1b[2J \u{9b}31m \u{85} \x07 \u{202e}evil\u{202c} a\nb\tc";
        let out = inert(hostile);
        assert!(
            !out.chars()
                .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c)),
            "{out:?}"
        );
        assert_eq!(
            out,
            "ok    <U+009B>31m <U+0085> ^G <U+202E>evil<U+202C> a\nb\tc"
        );
        assert!(matches!(inert("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_the_data_and_escapes_what_serde_leaves_raw() {
        let value = serde_json::json!({"reason": "a\u{9b}b\u{202e}c\x1bd\x7f"});
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        let safe = inert_json(&text);
        assert!(
            !safe.chars().any(|c| c != '\n' && is_unsafe_char(c)),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn c1_bytes_and_bidi_in_log_lines_are_shown_not_obeyed() {
        let s = sanitize(b"a\x9b2Jb \xc2\x9b2J \xe2\x80\xae!");
        assert!(!s.text.chars().any(is_unsafe_char), "{:?}", s.text);
        assert!(
            s.text.contains("<U+009B>") && s.text.contains("<U+202E>"),
            "{:?}",
            s.text
        );
    }
}
