//! A minimal table for lists that can be very long: the caller passes only the visible rows,
//! columns shrink or drop by priority to fit the width, one flexible column (long free text
//! such as an event's MESSAGE) takes the width left over, and the selected row is highlighted.

use super::text;
use super::theme::Theme;
use crate::config::slot::Slot;
use ratatui::Frame;
use ratatui::buffer::{Buffer, Cell as BufferCell};
use ratatui::layout::Rect;
use ratatui::style::Style;

pub use crate::domain::columns::{Column, layout};

/// One cell: text and its style slot (None = base).
#[derive(Debug, Clone)]
pub struct Cell {
    pub text: String,
    pub slot: Option<Slot>,
}

impl Cell {
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            slot: None,
        }
    }

    pub fn styled(text: impl Into<String>, slot: Slot) -> Cell {
        Cell {
            text: text.into(),
            slot: Some(slot),
        }
    }
}

/// Draws a header line and `rows`; `selected` is the index within `rows` to highlight.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    columns: &[Column],
    rows: &[Vec<Cell>],
    selected: Option<usize>,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let plan = layout(columns, usize::from(area.width));
    let ellipsis = theme.symbols.ellipsis;
    // Each cell is written straight into the buffer, padded to its column with the gap after
    // it, in its style: what a paragraph of these lines would draw, without reflowing them.
    let buf = frame.buffer_mut();
    let draw_line = |buf: &mut Buffer, y: u16, cells: &mut dyn Iterator<Item = (&str, Style)>| {
        let mut x = area.x;
        for (n, ((_, w), (text, style))) in plan.iter().zip(cells).enumerate() {
            let room = usize::from(area.right().saturating_sub(x));
            if room == 0 {
                break;
            }
            let gap = usize::from(n + 1 < plan.len());
            x = put(buf, (x, y), text, (*w, gap, room), style, ellipsis);
        }
    };
    let header_style = theme.style(Slot::TableHeader);
    draw_line(
        buf,
        area.y,
        &mut plan
            .iter()
            .map(|(i, _)| (columns[*i].title.as_str(), header_style)),
    );
    for (r, row) in rows
        .iter()
        .enumerate()
        .take(usize::from(area.height).saturating_sub(1))
    {
        let is_selected = selected == Some(r);
        let style_of = |cell: &Cell| -> Style {
            if is_selected {
                theme.style(Slot::Selection)
            } else {
                cell.slot
                    .map(|s| theme.style(s))
                    .unwrap_or_else(|| theme.style(Slot::Base))
            }
        };
        let empty = Cell::plain("");
        let y = area.y + 1 + r as u16;
        draw_line(
            buf,
            y,
            &mut plan.iter().map(|(i, _)| {
                let cell = row.get(*i).unwrap_or(&empty);
                (cell.text.as_str(), style_of(cell))
            }),
        );
    }
}

/// Characters that are each a whole grapheme one cell wide: printable ASCII and the theme's
/// symbols (marks, dash, separator, arrows). A cell whose text has only these needs no
/// grapheme segmentation to be written.
fn one_cell(c: char) -> bool {
    matches!(
        c,
        ' '..='~' | '✓' | '✗' | '⚠' | '…' | '–' | '→' | '↑' | '↓' | '·' | '▶'
    )
}

/// Writes `text` padded (or cut, with the ellipsis) to `width` cells and `gap` spaces after
/// it, from `at` in `style`, never more than `room` cells; returns the x after the last cell
/// written. Text of [`one_cell`] characters (nearly every cell: names, figures, states)
/// goes straight into the cells; anything else takes ratatui's path, which measures each
/// grapheme (wide characters, combining marks). Both leave the same cells.
fn put(
    buf: &mut Buffer,
    at: (u16, u16),
    text: &str,
    (width, gap, room): (usize, usize, usize),
    style: Style,
    ellipsis: &str,
) -> u16 {
    let (x, y) = at;
    let mut chars = 0;
    let simple = text.chars().all(|c| {
        chars += 1;
        one_cell(c)
    });
    if !simple || chars > width {
        let padded = format!("{}{}", text::pad(text, width, ellipsis), " ".repeat(gap));
        return buf.set_stringn(x, y, &padded, room, style).0;
    }
    let Some(cells) = row_from(buf, x, y) else {
        return x;
    };
    let n = (width + gap).min(room).min(cells.len());
    let mut text = text.chars();
    for cell in &mut cells[..n] {
        cell.set_char(text.next().unwrap_or(' ')).set_style(style);
    }
    // n <= the cells left in the row, which is a u16.
    x.saturating_add(u16::try_from(n).unwrap_or(u16::MAX))
}

/// The buffer's cells from (x, y) to the end of that row; None outside the buffer.
fn row_from(buf: &mut Buffer, x: u16, y: u16) -> Option<&mut [BufferCell]> {
    let a = buf.area;
    if y < a.y || y >= a.bottom() || x < a.x || x >= a.right() {
        return None;
    }
    let start = usize::from(y - a.y) * usize::from(a.width) + usize::from(x - a.x);
    let end = start + usize::from(a.right() - x);
    buf.content.get_mut(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_drop_by_priority_and_grow_to_fit() {
        let cols = vec![
            Column::new("NAME", 30, 10, 0),
            Column::new("AGE", 5, 3, 5),
            Column::new("READY", 10, 6, 1),
        ];
        assert_eq!(layout(&cols, 100), vec![(0, 30), (1, 5), (2, 10)]);
        assert_eq!(layout(&cols, 42), vec![(0, 30), (2, 10)]);
        // READY no longer fits what it wants: it shows at its minimum rather than taking
        // all that is left.
        assert_eq!(layout(&cols, 38), vec![(0, 30), (2, 7)]);
        assert_eq!(layout(&cols, 17), vec![(0, 10), (2, 6)]);
        assert_eq!(layout(&cols, 5), vec![(0, 5)]);
        for width in 1..120 {
            let plan = layout(&cols, width);
            let total: usize = plan.iter().map(|(_, w)| w).sum::<usize>() + plan.len() - 1;
            assert!(total <= width.max(1), "{width}: {plan:?}");
            assert_eq!(plan[0].0, 0, "the first column always shows");
        }
    }

    /// Events and hints: the message used to swallow every column at ordinary widths because
    /// it wanted 200 cells with the highest priority.
    #[test]
    fn a_flexible_column_takes_what_the_others_leave() {
        let cols = vec![
            Column::new("LAST SEEN", 9, 5, 1),
            Column::new("TYPE", 7, 4, 2),
            Column::new("REASON", 18, 10, 1),
            Column::new("OBJECT", 40, 12, 3),
            Column::new("COUNT", 5, 5, 4),
            Column::flex("MESSAGE", 40, 0),
        ];
        let shown =
            |width| -> Vec<usize> { layout(&cols, width).iter().map(|(i, _)| *i).collect() };
        assert_eq!(shown(140), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(shown(230), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(shown(80), vec![0, 1, 2, 5]);
        let at_230 = layout(&cols, 230);
        assert_eq!(at_230[5], (5, 230 - (9 + 7 + 18 + 40 + 5) - 5));
        for width in [30, 80, 120, 140, 200, 230, 400] {
            let plan = layout(&cols, width);
            let total: usize = plan.iter().map(|(_, w)| w).sum::<usize>() + plan.len() - 1;
            assert_eq!(total, width, "a flexible column fills the row at {width}");
            assert!(
                plan.iter().any(|(i, _)| *i == 5),
                "the message stays at {width}"
            );
        }
    }

    /// The direct path for printable ASCII leaves exactly the cells ratatui's grapheme path
    /// leaves, whether the text fits, is padded, is cut by the room left or meets a styled
    /// cell already there; other text (wide, symbols, too long, control) takes that path.
    #[test]
    fn cells_written_directly_match_the_grapheme_path() {
        use ratatui::style::{Color, Modifier};
        let styles = [
            Style::default(),
            Style::default().fg(Color::Red).bg(Color::Rgb(1, 2, 3)),
            Style::default().add_modifier(Modifier::BOLD),
        ];
        let texts = [
            "",
            "a",
            "iris-7",
            "0.12 ms",
            "exactly-10",
            "one too long",
            "✓ Ready",
            "日本語",
            "tab\tin",
            "~12%",
        ];
        for style in styles {
            for text in texts {
                for (width, gap, room) in
                    [(10, 1, 40), (10, 0, 40), (10, 1, 4), (3, 1, 40), (0, 1, 40)]
                {
                    let area = Rect::new(2, 1, 20, 2);
                    let mut direct = Buffer::empty(area);
                    let mut expected = Buffer::empty(area);
                    // A styled cell already there, as the base block leaves it.
                    for buf in [&mut direct, &mut expected] {
                        buf.set_style(area, Style::default().bg(Color::Blue));
                    }
                    let x = put(&mut direct, (4, 2), text, (width, gap, room), style, "…");
                    let padded = format!("{}{}", text::pad(text, width, "…"), " ".repeat(gap));
                    let (ex, _) = expected.set_stringn(4, 2, &padded, room, style);
                    assert_eq!(direct, expected, "{text:?} {width} {gap} {room}");
                    assert_eq!(x, ex, "{text:?} {width} {gap} {room}");
                }
            }
        }
        // Outside the buffer nothing is written and nothing panics.
        let mut buf = Buffer::empty(Rect::new(0, 0, 5, 1));
        assert_eq!(
            put(&mut buf, (0, 3), "ab", (4, 1, 9), Style::default(), "…"),
            0
        );
        assert_eq!(buf, Buffer::empty(Rect::new(0, 0, 5, 1)));
    }
}
