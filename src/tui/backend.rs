//! A ratatui backend over crossterm that writes nothing when nothing changed.
//!
//! ratatui's stock crossterm backend ends every draw with colour and attribute resets and
//! the terminal re-sends "hide cursor" on every frame, so even an unchanged redraw writes
//! bytes. Over a slow SSH link and for an idle console that should cost nothing, this
//! backend skips empty draws, only resets what it changed (so a `NO_COLOR` frame carries no
//! colour codes, not even resets), and remembers the cursor state. Colours convert with
//! ratatui's own `IntoCrossterm`; what stays here is what the stock backend does not do.

use crossterm::cursor::{Hide, MoveTo, Show};
use crossterm::style::{Attribute, Print, SetAttribute, SetBackgroundColor, SetForegroundColor};
use crossterm::terminal::{Clear, ClearType as CClearType};
use crossterm::{QueueableCommand, queue};
use ratatui::backend::{Backend, ClearType, IntoCrossterm, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use std::io::{self, Write};

/// The terminal backend kdeck draws through.
pub struct QuietBackend<W: Write> {
    writer: W,
    cursor_visible: Option<bool>,
    cursor_at: Option<Position>,
    /// Fixed size for tests; `None` asks the terminal.
    fixed_size: Option<Size>,
}

impl<W: Write> QuietBackend<W> {
    pub fn new(writer: W) -> Self {
        QuietBackend {
            writer,
            cursor_visible: None,
            cursor_at: None,
            fixed_size: None,
        }
    }

    /// A backend of a fixed size that never asks the terminal (for tests).
    pub fn with_size(writer: W, width: u16, height: u16) -> Self {
        QuietBackend {
            fixed_size: Some(Size::new(width, height)),
            ..QuietBackend::new(writer)
        }
    }

    pub fn writer(&self) -> &W {
        &self.writer
    }

    /// Forgets what it knows about the cursor (after the terminal was handed to a shell).
    pub fn forget_cursor(&mut self) {
        self.cursor_visible = None;
        self.cursor_at = None;
    }
}

/// Writes the attribute changes from `from` to `to`. Turning a modifier off is done with
/// a full attribute reset followed by the ones that stay on, which is short and portable.
fn queue_modifiers(
    w: &mut impl Write,
    from: Modifier,
    to: Modifier,
    fg: Color,
    bg: Color,
) -> io::Result<()> {
    if !(from - to).is_empty() {
        queue!(w, SetAttribute(Attribute::Reset))?;
        // A reset also clears colours; restore them.
        if fg != Color::Reset {
            queue!(w, SetForegroundColor(fg.into_crossterm()))?;
        }
        if bg != Color::Reset {
            queue!(w, SetBackgroundColor(bg.into_crossterm()))?;
        }
        return queue_added(w, to);
    }
    queue_added(w, to - from)
}

fn queue_added(w: &mut impl Write, added: Modifier) -> io::Result<()> {
    let table = [
        (Modifier::BOLD, Attribute::Bold),
        (Modifier::DIM, Attribute::Dim),
        (Modifier::ITALIC, Attribute::Italic),
        (Modifier::UNDERLINED, Attribute::Underlined),
        (Modifier::SLOW_BLINK, Attribute::SlowBlink),
        (Modifier::RAPID_BLINK, Attribute::RapidBlink),
        (Modifier::REVERSED, Attribute::Reverse),
        (Modifier::HIDDEN, Attribute::Hidden),
        (Modifier::CROSSED_OUT, Attribute::CrossedOut),
    ];
    for (modifier, attribute) in table {
        if added.contains(modifier) {
            queue!(w, SetAttribute(attribute))?;
        }
    }
    Ok(())
}

impl<W: Write> Backend for QuietBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut fg = Color::Reset;
        let mut bg = Color::Reset;
        let mut modifier = Modifier::empty();
        let mut last: Option<Position> = None;
        let mut wrote = false;
        for (x, y, cell) in content {
            wrote = true;
            if !matches!(last, Some(p) if x == p.x + 1 && y == p.y) {
                queue!(self.writer, MoveTo(x, y))?;
            }
            last = Some(Position { x, y });
            if cell.modifier != modifier {
                queue_modifiers(&mut self.writer, modifier, cell.modifier, fg, bg)?;
                modifier = cell.modifier;
            }
            if cell.fg != fg {
                queue!(self.writer, SetForegroundColor(cell.fg.into_crossterm()))?;
                fg = cell.fg;
            }
            if cell.bg != bg {
                queue!(self.writer, SetBackgroundColor(cell.bg.into_crossterm()))?;
                bg = cell.bg;
            }
            queue!(self.writer, Print(cell.symbol()))?;
        }
        if wrote {
            // The real cursor moved while printing.
            self.cursor_at = None;
            if !modifier.is_empty() || fg != Color::Reset || bg != Color::Reset {
                queue!(self.writer, SetAttribute(Attribute::Reset))?;
            }
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_visible != Some(false) {
            self.writer.queue(Hide)?;
            self.cursor_visible = Some(false);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.cursor_visible != Some(true) {
            self.writer.queue(Show)?;
            self.cursor_visible = Some(true);
        }
        Ok(())
    }

    /// The full-screen console never needs the terminal's real cursor position, and asking
    /// for it (a DSR query) hangs on terminals that do not answer; report what we know.
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor_at.unwrap_or(Position::ORIGIN))
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        if self.cursor_at != Some(position) {
            self.writer.queue(MoveTo(position.x, position.y))?;
            self.cursor_at = Some(position);
        }
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        let kind = match clear_type {
            ClearType::All => CClearType::All,
            ClearType::AfterCursor => CClearType::FromCursorDown,
            ClearType::BeforeCursor => CClearType::FromCursorUp,
            ClearType::CurrentLine => CClearType::CurrentLine,
            ClearType::UntilNewLine => CClearType::UntilNewLine,
        };
        self.writer.queue(Clear(kind))?;
        Ok(())
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed_size {
            Some(size) => Ok(size),
            None => crossterm::terminal::size().map(|(w, h)| Size::new(w, h)),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        match self.fixed_size {
            Some(size) => Ok(WindowSize {
                columns_rows: size,
                pixels: Size::new(0, 0),
            }),
            None => {
                let ws = crossterm::terminal::window_size()?;
                Ok(WindowSize {
                    columns_rows: Size::new(ws.columns, ws.rows),
                    pixels: Size::new(ws.width, ws.height),
                })
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::style::Style;
    use ratatui::text::Span;
    use ratatui::widgets::Paragraph;

    fn terminal() -> Terminal<QuietBackend<Vec<u8>>> {
        Terminal::new(QuietBackend::with_size(Vec::new(), 20, 3)).unwrap()
    }

    fn written(t: &Terminal<QuietBackend<Vec<u8>>>) -> usize {
        t.backend().writer().len()
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let mut t = terminal();
        let draw = |t: &mut Terminal<QuietBackend<Vec<u8>>>| {
            t.draw(|f| {
                f.render_widget(
                    Paragraph::new(Span::styled("hello", Style::new().red().bold())),
                    f.area(),
                )
            })
            .unwrap();
        };
        draw(&mut t);
        let first = written(&t);
        assert!(first > 0);
        draw(&mut t);
        assert_eq!(written(&t), first, "second identical frame wrote bytes");
    }

    #[test]
    fn uncoloured_frames_write_no_colour_codes() {
        let mut t = terminal();
        t.draw(|f| {
            f.render_widget(
                Paragraph::new(Span::styled("plain", Style::new().bold().reversed())),
                f.area(),
            )
        })
        .unwrap();
        let out = String::from_utf8_lossy(t.backend().writer()).to_string();
        // Colour SGRs have parameters 30–49, 90–107 or 38/48; none may appear.
        let mut rest = out.as_str();
        while let Some(start) = rest.find("\x1b[") {
            let after = &rest[start + 2..];
            let end = after
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(after.len());
            if after[end..].starts_with('m') {
                for param in after[..end].split(';') {
                    let n: u32 = param.parse().unwrap_or(0);
                    assert!(
                        !(30..=49).contains(&n) && !(90..=107).contains(&n),
                        "colour code {n} in {out:?}"
                    );
                }
            }
            rest = &after[end..];
        }
    }

    #[test]
    fn cursor_commands_are_not_repeated() {
        let mut backend = QuietBackend::with_size(Vec::new(), 10, 2);
        backend.hide_cursor().unwrap();
        let once = backend.writer().len();
        backend.hide_cursor().unwrap();
        backend.set_cursor_position(Position::new(1, 1)).unwrap();
        let moved = backend.writer().len();
        backend.set_cursor_position(Position::new(1, 1)).unwrap();
        assert_eq!(backend.writer().len(), moved);
        assert!(moved > once);
    }
}
