//! WCAG contrast of the theme's colours: relative luminance and contrast ratio of a
//! foreground on a background, as they look on a terminal (256-colour indices and the 16
//! basic colours at their usual xterm values; reverse video swaps the two).

use super::color::{ANSI16, index_to_rgb};
use ratatui::style::{Color, Modifier, Style};

/// The RGB a terminal usually shows for `color`; `None` for the terminal's own default.
pub fn rgb(color: Color) -> Option<(u8, u8, u8)> {
    match color {
        Color::Rgb(r, g, b) => Some((r, g, b)),
        Color::Indexed(i) => Some(index_to_rgb(i)),
        Color::Reset => None,
        named => ANSI16
            .iter()
            .position(|c| *c == named)
            .and_then(|i| u8::try_from(i).ok())
            .map(index_to_rgb),
    }
}

/// WCAG 2 relative luminance of an sRGB colour.
pub fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// WCAG 2 contrast ratio, from 1 (same) to 21 (black on white).
pub fn ratio(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The (text, background) colours a cell drawn in `style` shows over `under` (the style it
/// is drawn on: its colours fill in what `style` leaves unset), after reverse video.
pub fn visible(
    style: Style,
    under: (u8, u8, u8),
    under_fg: (u8, u8, u8),
) -> ((u8, u8, u8), (u8, u8, u8)) {
    let fg = style.fg.and_then(rgb).unwrap_or(under_fg);
    let bg = style.bg.and_then(rgb).unwrap_or(under);
    if style.add_modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::slot::Slot;
    use crate::config::theme;
    use crate::ui::color::ColorDepth;
    use crate::ui::symbols::Symbols;
    use crate::ui::theme::Theme;
    use strum::IntoEnumIterator;

    const BLACK: (u8, u8, u8) = (0, 0, 0);

    #[test]
    fn ratios_match_the_wcag_examples() {
        assert!((ratio(BLACK, (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((ratio((255, 255, 255), (255, 255, 255)) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1.
        assert!((ratio((0x76, 0x76, 0x76), (255, 255, 255)) - 4.54).abs() < 0.01);
    }

    /// The minimum contrast of a slot's text on its background. Body text (what is read at
    /// length: base, table headers, selection, YAML values, the command line, error banners)
    /// needs WCAG AA's 4.5:1. Everything else (status words, figures, accents, borders, dim
    /// hints) is short, bold or a UI element: WCAG's 3:1 for large text and non-text
    /// components (1.4.11), which a glance at a status column still needs.
    fn threshold(slot: Slot) -> f64 {
        match slot {
            Slot::Base
            | Slot::TextStrong
            | Slot::Header
            | Slot::Selection
            | Slot::TableHeader
            | Slot::YamlValue
            | Slot::Cmdline
            | Slot::NoticeError
            | Slot::ConfirmDanger => 4.5,
            _ => 3.0,
        }
    }

    /// Slots the header line draws over the header's own background.
    const ON_HEADER: [Slot; 8] = [
        Slot::HeaderContext,
        Slot::HeaderProtected,
        Slot::StatusReady,
        Slot::StatusProgressing,
        Slot::StatusFailed,
        Slot::StatusUnknown,
        Slot::NoticeError,
        Slot::TextWarning,
    ];

    fn problems(name: &str, depth: ColorDepth) -> Vec<String> {
        let (spec, _) = theme::load(name, None);
        let (t, _) = Theme::resolve(&spec, depth, Symbols::UNICODE);
        let base = t.style(Slot::Base);
        // Without a background the theme draws on the terminal's own; the shipped dark
        // themes are meant for dark terminals (black is the strictest dark background for
        // dim colours; the light theme sets its background).
        let base_bg = base.bg.and_then(rgb).unwrap_or(BLACK);
        let base_fg = base.fg.and_then(rgb).unwrap_or((229, 229, 229));
        let (header_fg, header_bg) = visible(t.style(Slot::Header), base_bg, base_fg);
        let mut out = Vec::new();
        let mut check = |slot: Slot, under: (u8, u8, u8), under_fg: (u8, u8, u8), place: &str| {
            let (fg, bg) = visible(t.style(slot), under, under_fg);
            let r = ratio(fg, bg);
            if r < threshold(slot) {
                out.push(format!(
                    "{name} {depth:?}: {slot} {place} {fg:?} on {bg:?} is {r:.2}:1 < {}",
                    threshold(slot)
                ));
            }
        };
        for slot in Slot::iter() {
            check(slot, base_bg, base_fg, "in the body");
        }
        for slot in ON_HEADER {
            check(slot, header_bg, header_fg, "in the header");
        }
        out
    }

    #[test]
    fn every_theme_slot_is_readable_at_every_colour_depth() {
        let mut all = Vec::new();
        for (name, _) in theme::BUILTIN_THEMES {
            for depth in [
                ColorDepth::TrueColor,
                ColorDepth::Indexed256,
                ColorDepth::Ansi16,
            ] {
                all.extend(problems(name, depth));
            }
        }
        assert!(all.is_empty(), "{}", all.join("\n"));
    }

    /// At 16 colours the status colours must stay apart from plain text and from each other
    /// (the light theme's dark green used to become black, like the text).
    #[test]
    fn status_colours_keep_their_meaning_at_16_colours() {
        for (name, _) in theme::BUILTIN_THEMES {
            let (spec, _) = theme::load(name, None);
            let (t, _) = Theme::resolve(&spec, ColorDepth::Ansi16, Symbols::UNICODE);
            let base = t.style(Slot::Base);
            let base_bg = base.bg.and_then(rgb).unwrap_or(BLACK);
            let base_fg = base.fg.and_then(rgb).unwrap_or((229, 229, 229));
            let look = |slot| visible(t.style(slot), base_bg, base_fg);
            let plain = look(Slot::Base);
            let statuses = [
                Slot::StatusReady,
                Slot::StatusProgressing,
                Slot::StatusFailed,
            ];
            for (n, a) in statuses.iter().enumerate() {
                assert_ne!(look(*a), plain, "{name}: {a} looks like plain text");
                for b in &statuses[n + 1..] {
                    assert_ne!(look(*a), look(*b), "{name}: {a} looks like {b}");
                }
            }
        }
    }
}
