//! Sparklines as text: a series squeezed into a given width (each column the largest value
//! of its share of the series, so a latency spike is never averaged away), drawn with the
//! theme's bar glyphs (ASCII on terminals without UTF-8). Gaps (no data) stay blank.

use crate::ui::symbols::Symbols;

/// `series` scaled against `max` (the series' own maximum when `None`) in `width` columns.
pub fn sparkline(
    series: &[Option<f64>],
    max: Option<f64>,
    width: usize,
    symbols: &Symbols,
) -> String {
    if series.is_empty() || width == 0 {
        return String::new();
    }
    let columns = width.min(series.len());
    let peak = max
        .or_else(|| series.iter().flatten().copied().reduce(f64::max))
        .filter(|m| m.is_finite() && *m > 0.0)
        .unwrap_or(1.0);
    (0..columns)
        .map(|c| {
            let start = c * series.len() / columns;
            let end = ((c + 1) * series.len() / columns).max(start + 1);
            series[start..end]
                .iter()
                .flatten()
                .copied()
                .reduce(f64::max)
                .map_or(' ', |v| symbols.bar(v / peak))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeezes_by_maximum_and_keeps_gaps() {
        let s = Symbols::UNICODE;
        let series: Vec<Option<f64>> =
            vec![Some(0.0), Some(10.0), None, None, Some(5.0), Some(0.0)];
        let line = sparkline(&series, None, 3, &s);
        assert_eq!(line.chars().count(), 3);
        assert_eq!(line.chars().next(), Some(s.bar(1.0)));
        assert_eq!(line.chars().nth(1), Some(' '));
        assert_eq!(sparkline(&series, None, 10, &s).chars().count(), 6);
        assert_eq!(sparkline(&[], None, 10, &s), "");
        assert_eq!(sparkline(&[Some(f64::NAN)], None, 4, &s).chars().count(), 1);
    }
}
