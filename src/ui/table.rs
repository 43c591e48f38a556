//! A minimal table for lists that can be very long: the caller passes only the visible rows,
//! columns shrink or drop by priority to fit the width, and the selected row is highlighted.

use super::slot::Slot;
use super::text;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A column: title, width wanted, minimum width, and priority (lower drops last).
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub want: usize,
    pub min: usize,
    pub priority: u8,
}

impl Column {
    pub fn new(title: &str, want: usize, min: usize, priority: u8) -> Column {
        Column {
            title: title.to_string(),
            want: want.max(min),
            min,
            priority,
        }
    }
}

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

/// Decides which columns fit in `width` and how wide each is: the most important columns
/// (lowest priority number) get the width they want first; a less important column is shown
/// only if at least its minimum still fits, and dropped otherwise. The first column always
/// shows. Returns (index, width) in display order.
pub fn layout(columns: &[Column], width: usize) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut widths: Vec<Option<usize>> = vec![None; columns.len()];
    let mut used = 0usize;
    for i in order {
        let gap = usize::from(used > 0);
        let left = width.saturating_sub(used + gap);
        let col = &columns[i];
        let w = if left >= col.want {
            col.want
        } else if left >= col.min {
            left
        } else if used == 0 {
            left.max(1)
        } else {
            continue;
        };
        widths[i] = Some(w);
        used += w + gap;
    }
    widths
        .into_iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect()
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
    let header: Vec<Span> = plan
        .iter()
        .enumerate()
        .map(|(n, (i, w))| {
            let gap = if n + 1 < plan.len() { " " } else { "" };
            Span::styled(
                format!("{}{gap}", text::pad(&columns[*i].title, *w, ellipsis)),
                theme.style(Slot::TableHeader),
            )
        })
        .collect();
    let mut lines = vec![Line::from(header)];
    for (r, row) in rows
        .iter()
        .enumerate()
        .take(usize::from(area.height).saturating_sub(1))
    {
        let is_selected = selected == Some(r);
        let spans: Vec<Span> = plan
            .iter()
            .enumerate()
            .map(|(n, (i, w))| {
                let cell = row.get(*i).cloned().unwrap_or_else(|| Cell::plain(""));
                let gap = if n + 1 < plan.len() { " " } else { "" };
                let style: Style = if is_selected {
                    theme.style(Slot::Selection)
                } else {
                    cell.slot
                        .map(|s| theme.style(s))
                        .unwrap_or_else(|| theme.style(Slot::Base))
                };
                Span::styled(
                    format!("{}{gap}", text::pad(&cell.text, *w, ellipsis)),
                    style,
                )
            })
            .collect();
        let mut line = Line::from(spans);
        if is_selected {
            line = line.style(theme.style(Slot::Selection));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
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
        assert_eq!(layout(&cols, 17), vec![(0, 17)]);
        assert_eq!(layout(&cols, 5), vec![(0, 5)]);
        for width in 1..120 {
            let plan = layout(&cols, width);
            let total: usize = plan.iter().map(|(_, w)| w).sum::<usize>() + plan.len() - 1;
            assert!(total <= width.max(1), "{width}: {plan:?}");
            assert_eq!(plan[0].0, 0, "the first column always shows");
        }
    }
}
