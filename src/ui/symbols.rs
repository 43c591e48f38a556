//! Glyphs for borders, markers and sparklines, with an ASCII set for terminals whose locale
//! is not UTF-8 (common on old bastion hosts).

use ratatui::symbols::border;

/// The glyphs views use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbols {
    pub unicode: bool,
    pub border: border::Set<'static>,
    pub ok: &'static str,
    pub fail: &'static str,
    pub warn: &'static str,
    pub pending: &'static str,
    pub dash: &'static str,
    pub ellipsis: &'static str,
    pub arrow: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    pub sep: &'static str,
    pub selected: &'static str,
    pub bars: &'static [char],
}

const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Symbols {
    pub const UNICODE: Symbols = Symbols {
        unicode: true,
        border: border::ROUNDED,
        ok: "✓",
        fail: "✗",
        warn: "⚠",
        pending: "…",
        dash: "–",
        ellipsis: "…",
        arrow: "→",
        up: "↑",
        down: "↓",
        sep: "·",
        selected: "▶",
        bars: &[' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
    };

    pub const ASCII: Symbols = Symbols {
        unicode: false,
        border: ASCII_BORDER,
        ok: "+",
        fail: "x",
        warn: "!",
        pending: "~",
        dash: "-",
        ellipsis: "...",
        arrow: "->",
        up: "^",
        down: "v",
        sep: "|",
        selected: ">",
        bars: &[' ', '.', '.', '-', '-', '=', '=', '#', '#'],
    };

    /// Unicode when the locale says UTF-8 (`LC_ALL`, then `LC_CTYPE`, then `LANG`) and the
    /// terminal can draw it; ASCII on a non-UTF-8 locale and on terminals whose fonts lack
    /// box drawing and symbols (`TERM=linux`, the Linux console; `vt100`/`vt220`; `dumb`).
    /// `KDECK_UNICODE=0|1` overrides.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> Symbols {
        if let Some(forced) = env("KDECK_UNICODE") {
            return if forced == "0" {
                Symbols::ASCII
            } else {
                Symbols::UNICODE
            };
        }
        let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
        if matches!(
            term.as_str(),
            "linux" | "vt100" | "vt102" | "vt220" | "vt52" | "dumb" | "ansi" | "cons25"
        ) {
            return Symbols::ASCII;
        }
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
            .iter()
            .find_map(|k| env(k).filter(|v| !v.is_empty()))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if locale.contains("utf-8") || locale.contains("utf8") {
            Symbols::UNICODE
        } else {
            Symbols::ASCII
        }
    }

    /// One bar glyph for a value in 0.0..=1.0.
    pub fn bar(&self, fraction: f64) -> char {
        let top = self.bars.len() - 1;
        let scaled = (fraction.clamp(0.0, 1.0) * top as f64).round() as usize;
        self.bars[scaled.min(top)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_decides_the_glyph_set() {
        let utf8 = |k: &str| (k == "LANG").then(|| "en_US.UTF-8".to_string());
        let c_locale = |k: &str| (k == "LANG").then(|| "C".to_string());
        let lc_all_wins = |k: &str| match k {
            "LC_ALL" => Some("POSIX".to_string()),
            "LANG" => Some("en_US.UTF-8".to_string()),
            _ => None,
        };
        assert!(Symbols::detect(utf8).unicode);
        assert!(!Symbols::detect(c_locale).unicode);
        assert!(!Symbols::detect(lc_all_wins).unicode);
        assert!(!Symbols::detect(|_| None).unicode);
        for term in ["linux", "vt100", "vt220"] {
            let console = |k: &str| match k {
                "TERM" => Some(term.to_string()),
                "LANG" => Some("en_US.UTF-8".to_string()),
                _ => None,
            };
            assert!(!Symbols::detect(console).unicode, "TERM={term}");
            assert!(Symbols::detect(console).border.top_left.is_ascii());
        }
        let xterm = |k: &str| match k {
            "TERM" => Some("xterm-256color".to_string()),
            "LANG" => Some("en_US.UTF-8".to_string()),
            _ => None,
        };
        assert!(Symbols::detect(xterm).unicode);
    }

    #[test]
    fn ascii_set_is_ascii() {
        let s = Symbols::ASCII;
        for text in [
            s.ok, s.fail, s.warn, s.pending, s.dash, s.ellipsis, s.arrow, s.sep, s.selected,
        ] {
            assert!(text.is_ascii(), "{text}");
        }
        assert!(s.bars.iter().all(char::is_ascii));
        assert_eq!(s.bar(0.0), ' ');
        assert_eq!(s.bar(1.0), '#');
    }
}
