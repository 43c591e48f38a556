//! Text helpers for drawing: display width and truncation that never splits a wide
//! character, with the theme's ellipsis.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The display width of `text` in terminal cells.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to at most `max` cells, ending in `ellipsis` when something was cut.
pub fn fit(text: &str, max: usize, ellipsis: &str) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(width(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if max >= width(ellipsis) {
        out.push_str(ellipsis);
    }
    out
}

/// `text` padded with spaces (or cut) to exactly `cells` cells.
pub fn pad(text: &str, cells: usize, ellipsis: &str) -> String {
    let mut out = fit(text, cells, ellipsis);
    let w = width(&out);
    if w < cells {
        out.push_str(&" ".repeat(cells - w));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_respects_cells_and_wide_chars() {
        assert_eq!(fit("hello", 10, "…"), "hello");
        assert_eq!(fit("hello world", 6, "…"), "hello…");
        assert_eq!(fit("hello world", 6, "..."), "hel...");
        assert_eq!(fit("日本語テキスト", 5, "…"), "日本…");
        assert_eq!(fit("abc", 0, "…"), "");
        assert_eq!(pad("ab", 4, "…"), "ab  ");
        assert_eq!(width(&pad("日本語", 5, "…")), 5);
    }
}
