//! The headless commands' output boundary: everything they print goes through here (the
//! `std` print macros are refused in `commands` by clippy's `disallowed_macros`, see
//! clippy.toml). Text is made inert ([`crate::domain::inert`]) before it is written, so a
//! condition reason holding `ESC ] 52` cannot write the clipboard, and kdeck's own colours are
//! added only around text that is already inert ([`Styled`]).
//!
//! A closed pipe (`kdeck status | head -1`) is not an error: the first failed write marks
//! stdout closed, later output is dropped, and the command finishes with its own exit code
//! instead of panicking as `println!` does.

use crate::domain::inert::{inert, inert_json};
use std::fmt::{Display, Write as _};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write to stdout failed (the reader went away).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

fn write_stdout(text: &str) -> bool {
    if stdout_closed() {
        return false;
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if written.is_err() {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
    written.is_ok()
}

/// What [`line`] writes for `text`: the text made inert, then a newline.
pub fn as_printed(text: &str) -> String {
    format!("{}\n", inert(text))
}

/// What [`json`] writes for JSON `text`.
pub fn json_as_printed(text: &str) -> String {
    format!("{}\n", inert_json(text))
}

/// Prints `text` made inert, then a newline; false when stdout is closed.
pub fn line(text: impl Display) -> bool {
    write_stdout(&as_printed(&text.to_string()))
}

/// Prints `text` made inert without a newline (a prompt), flushed.
pub fn prompt(text: impl Display) -> bool {
    let text = text.to_string();
    write_stdout(&inert(&text))
}

/// Prints JSON text with the characters serde leaves raw escaped, then a newline.
pub fn json(text: &str) -> bool {
    write_stdout(&json_as_printed(text))
}

/// Prints `text` made inert on stderr, then a newline. A closed stderr is ignored.
pub fn err_line(text: impl Display) {
    let _ = std::io::stderr()
        .lock()
        .write_all(as_printed(&text.to_string()).as_bytes());
}

/// kdeck's own styling for a piece of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Bold,
    Red,
    Green,
    /// An indexed colour (30–37, 90–97).
    Indexed(u8),
}

impl Paint {
    fn code(self) -> String {
        match self {
            Paint::Bold => "1".to_string(),
            Paint::Red => "31".to_string(),
            Paint::Green => "32".to_string(),
            Paint::Indexed(n) => n.to_string(),
        }
    }
}

/// One output line built from pieces; each piece is made inert as it is added, and colour
/// escapes are kdeck's own, added only when `colour` is on.
#[derive(Debug, Clone, Default)]
pub struct Styled {
    colour: bool,
    text: String,
}

impl Styled {
    pub fn new(colour: bool) -> Self {
        Styled {
            colour,
            text: String::new(),
        }
    }

    /// Appends plain text.
    pub fn plain(mut self, text: impl Display) -> Self {
        let text = text.to_string();
        self.text.push_str(&inert(&text));
        self
    }

    /// Appends text in `paint` (plain when colour is off).
    pub fn paint(mut self, paint: Paint, text: impl Display) -> Self {
        let text = text.to_string();
        if self.colour {
            let _ = write!(self.text, "\x1b[{}m{}\x1b[0m", paint.code(), inert(&text));
        } else {
            self.text.push_str(&inert(&text));
        }
        self
    }

    /// The line as it would be printed (without the newline).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Prints the line; false when stdout is closed.
    pub fn print(self) -> bool {
        write_stdout(&format!("{}\n", self.text))
    }
}

/// Prints many lines in one write; false when stdout is closed.
pub fn print_all(lines: impl IntoIterator<Item = Styled>) -> bool {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.text);
        text.push('\n');
    }
    write_stdout(&text)
}

/// `println!` for headless commands: formats, makes the text inert, prints (nothing once
/// stdout is closed; [`line`] says whether it was written).
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = $crate::commands::out::line(format_args!($($arg)*));
    }};
}

/// `eprintln!` for headless commands: formats, makes the text inert, prints on stderr.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::commands::out::err_line(format_args!($($arg)*)) };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styled_lines_colour_only_kdecks_own_text() {
        let line = Styled::new(true)
            .paint(Paint::Red, "warning:")
            .plain(" reason \x1b]52;c;eA==\x07 here");
        assert_eq!(line.as_str(), "\x1b[31mwarning:\x1b[0m reason  here");
        let plain = Styled::new(false).paint(Paint::Bold, "\x1b]0;t\x07x");
        assert_eq!(plain.as_str(), "x");
    }
}
