//! Table layout as pure arithmetic: which columns of a table fit a width, and how wide each
//! one is. The views draw with it, and the update asks it which columns are on screen.

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
