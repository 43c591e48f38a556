//! A one-line text input (filter, command line, prompts) with a cursor and the usual
//! readline-style editing keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Text being typed, with the cursor as a char index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    pub cursor: usize,
}

/// What a key did to the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEdit {
    Changed,
    Moved,
    Ignored,
}

impl LineInput {
    pub fn with_text(text: &str) -> Self {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_index(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Replaces the whole text and puts the cursor at the end.
    pub fn set(&mut self, text: &str) {
        *self = LineInput::with_text(text);
    }

    /// Applies an editing key: characters, backspace/delete, left/right/home/end,
    /// ctrl-a/e (start/end), ctrl-u (clear before cursor), ctrl-w (delete word).
    pub fn edit(&mut self, key: &KeyEvent) -> LineEdit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('a') if ctrl => self.move_to(0),
            KeyCode::Char('e') if ctrl => self.move_to(self.len()),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_index(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                LineEdit::Changed
            }
            KeyCode::Char('w') if ctrl => self.delete_word(),
            KeyCode::Char(c) if !ctrl && !c.is_control() => {
                let at = self.byte_index(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                LineEdit::Changed
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_index(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                LineEdit::Changed
            }
            KeyCode::Delete if self.cursor < self.len() => {
                let at = self.byte_index(self.cursor);
                self.text.remove(at);
                LineEdit::Changed
            }
            KeyCode::Left if self.cursor > 0 => self.move_to(self.cursor - 1),
            KeyCode::Right if self.cursor < self.len() => self.move_to(self.cursor + 1),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(self.len()),
            _ => LineEdit::Ignored,
        }
    }

    fn move_to(&mut self, cursor: usize) -> LineEdit {
        self.cursor = cursor;
        LineEdit::Moved
    }

    fn delete_word(&mut self) -> LineEdit {
        let chars: Vec<char> = self.text.chars().collect();
        let mut start = self.cursor;
        while start > 0 && chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && chars[start - 1] != ' ' {
            start -= 1;
        }
        if start == self.cursor {
            return LineEdit::Ignored;
        }
        let from = self.byte_index(start);
        let to = self.byte_index(self.cursor);
        self.text.replace_range(from..to, "");
        self.cursor = start;
        LineEdit::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn typing_and_editing_with_multibyte_text() {
        let mut line = LineInput::default();
        for c in "ns μl".chars() {
            line.edit(&key(KeyCode::Char(c)));
        }
        assert_eq!(line.text, "ns μl");
        line.edit(&key(KeyCode::Left));
        line.edit(&key(KeyCode::Backspace));
        assert_eq!(line.text, "ns l");
        assert_eq!(line.cursor, 3);
        line.edit(&key(KeyCode::End));
        line.edit(&ctrl('w'));
        assert_eq!(line.text, "ns ");
        line.edit(&ctrl('u'));
        assert_eq!(line.text, "");
        assert_eq!(line.edit(&key(KeyCode::Backspace)), LineEdit::Ignored);
        assert_eq!(line.edit(&key(KeyCode::Delete)), LineEdit::Ignored);
    }
}
