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

/// Decides which columns fit in `width` and how wide each is. Returns (index, width).
pub fn layout(columns: &[Column], width: usize) -> Vec<(usize, usize)> {
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let gaps = |n: usize| n.saturating_sub(1);
    // Drop the least important columns until their minimum widths fit.
    while kept.len() > 1
        && kept.iter().map(|&i| columns[i].min).sum::<usize>() + gaps(kept.len()) > width
    {
        let Some(pos) = kept
            .iter()
            .enumerate()
            .max_by_key(|(_, i)| (columns[**i].priority, **i))
            .map(|(p, _)| p)
        else {
            break;
        };
        kept.remove(pos);
    }
    let mut widths: Vec<usize> = kept.iter().map(|&i| columns[i].min).collect();
    let mut spare = width.saturating_sub(widths.iter().sum::<usize>() + gaps(kept.len()));
    // Grow columns towards what they want, most important first.
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by_key(|&p| columns[kept[p]].priority);
    for p in order {
        let grow = (columns[kept[p]].want - widths[p]).min(spare);
        widths[p] += grow;
        spare -= grow;
    }
    kept.into_iter().zip(widths).collect()
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
        assert_eq!(layout(&cols, 17), vec![(0, 10), (2, 6)]);
        assert_eq!(layout(&cols, 5), vec![(0, 10)]);
        let total: usize = layout(&cols, 40).iter().map(|(_, w)| w).sum::<usize>() + 2;
        assert!(total <= 40);
    }
}
