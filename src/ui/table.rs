//! A minimal table for lists that can be very long: the caller passes only the visible rows,
//! columns shrink or drop by priority to fit the width, one flexible column (long free text
//! such as an event's MESSAGE) takes the width left over, and the selected row is highlighted.

use super::text;
use super::theme::Theme;
use crate::config::slot::Slot;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A column: title, width wanted, minimum width, and priority (lower drops last). A flexible
/// column asks only for its minimum while columns are chosen and then takes what is left.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub want: usize,
    pub min: usize,
    pub priority: u8,
    pub flex: bool,
}

impl Column {
    pub fn new(title: &str, want: usize, min: usize, priority: u8) -> Column {
        Column {
            title: title.to_string(),
            want: want.max(min),
            min,
            priority,
            flex: false,
        }
    }

    /// A column of free text (a message, a hint) that is shown from `min` cells and grows
    /// into all the width the other columns leave, so it is the last to be cut.
    pub fn flex(title: &str, min: usize, priority: u8) -> Column {
        Column {
            title: title.to_string(),
            want: min,
            min,
            priority,
            flex: true,
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

/// Decides which columns fit in `width` and how wide each is, in three passes:
/// 1. choose: in priority order (lowest number first) each column claims the width it wants
///    (a flexible one only its minimum); a column that no longer fits what it wants is shown
///    at its minimum if that fits and dropped otherwise, and less important columns are still
///    tried after it. The first column chosen always shows;
/// 2. grow: width left over widens the chosen fixed columns towards what they want, most
///    important first;
/// 3. fill: flexible columns share what is still left.
///
/// Returns (index, width) in display order.
pub fn layout(columns: &[Column], width: usize) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut widths: Vec<Option<usize>> = vec![None; columns.len()];
    let mut used = 0usize;
    for &i in &order {
        let gap = usize::from(used > 0);
        let left = width.saturating_sub(used + gap);
        let col = &columns[i];
        let claim = if col.flex { col.min } else { col.want };
        let w = if left >= claim {
            claim
        } else if left >= col.min {
            col.min
        } else if used == 0 {
            left.max(1)
        } else {
            continue;
        };
        widths[i] = Some(w);
        used += w + gap;
    }
    let mut spare = width.saturating_sub(used);
    for &i in &order {
        if let Some(w) = widths[i].as_mut()
            && !columns[i].flex
        {
            let grow = columns[i].want.saturating_sub(*w).min(spare);
            *w += grow;
            spare -= grow;
        }
    }
    let flexible: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| columns[i].flex && widths[i].is_some())
        .collect();
    let count = flexible.len();
    for (n, i) in flexible.into_iter().enumerate() {
        let share = spare / count + usize::from(n < spare % count);
        if let Some(w) = widths[i].as_mut() {
            *w += share;
        }
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
}
