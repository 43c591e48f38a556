//! Colours as themes write them, and their fallback to what the terminal can show:
//! truecolor → 256 colours → the 16 basic colours → no colour at all (`NO_COLOR`).

use ratatui::style::Color;

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    /// `NO_COLOR` is set, or the terminal is dumb: modifiers only.
    None,
    Ansi16,
    Indexed256,
    TrueColor,
}

impl ColorDepth {
    /// Detects the depth from the environment: `NO_COLOR`, then `KDECK_COLOR`
    /// (none|16|256|truecolor), then `COLORTERM` and `TERM`.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorDepth {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::None;
        }
        if let Some(forced) = env("KDECK_COLOR") {
            match forced.to_ascii_lowercase().as_str() {
                "none" | "0" => return ColorDepth::None,
                "16" => return ColorDepth::Ansi16,
                "256" => return ColorDepth::Indexed256,
                "truecolor" | "24bit" => return ColorDepth::TrueColor,
                _ => {}
            }
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        let term = env("TERM").unwrap_or_default().to_ascii_lowercase();
        if term == "dumb" {
            ColorDepth::None
        } else if term.contains("256color") || term.contains("direct") {
            ColorDepth::Indexed256
        } else {
            ColorDepth::Ansi16
        }
    }
}

const NAMED: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

/// The usual xterm RGB values of the 16 basic colours, in index order.
const ANSI16_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

pub const ANSI16: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// Parses a colour literal: `#rrggbb`, a basic colour name, or an index 0–255.
pub fn parse_literal(text: &str) -> Option<Color> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix('#') {
        if hex.len() != 6 {
            return None;
        }
        let value = u32::from_str_radix(hex, 16).ok()?;
        let [_, r, g, b] = value.to_be_bytes();
        return Some(Color::Rgb(r, g, b));
    }
    if let Some((_, color)) = NAMED.iter().find(|(name, _)| *name == lower) {
        return Some(*color);
    }
    lower.parse::<u8>().ok().map(Color::Indexed)
}

/// Converts `color` to one the terminal can show at `depth` (`None` at depth `None`).
pub fn downgrade(color: Color, depth: ColorDepth) -> Option<Color> {
    match depth {
        ColorDepth::None => None,
        ColorDepth::TrueColor => Some(color),
        ColorDepth::Indexed256 => Some(match color {
            Color::Rgb(r, g, b) => Color::Indexed(nearest_256(r, g, b)),
            other => other,
        }),
        ColorDepth::Ansi16 => Some(match color {
            Color::Rgb(r, g, b) => nearest_16(r, g, b),
            Color::Indexed(i) if i < 16 => ANSI16[usize::from(i)],
            Color::Indexed(i) => {
                let (r, g, b) = index_to_rgb(i);
                nearest_16(r, g, b)
            }
            other => other,
        }),
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    // Weighted for the eye's sensitivity (green > red > blue).
    3 * d(a.0, b.0).pow(2) + 4 * d(a.1, b.1).pow(2) + 2 * d(a.2, b.2).pow(2)
}

/// The nearest of the 16 basic colours. A clearly coloured input keeps its hue (a pastel
/// green must stay green, not become gray, and a dark green must not become black like the
/// text): it maps to the basic colour of the nearest hue, normal or bright by distance.
/// Grays map to the nearest of black, dark gray, gray and white.
fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = f64::from(max - min);
    let candidates: &[usize] = if chroma >= 48.0 && chroma / f64::from(max.max(1)) >= 0.3 {
        let (rf, gf, bf) = (f64::from(r), f64::from(g), f64::from(b));
        let hue = if max == r {
            60.0 * ((gf - bf) / chroma).rem_euclid(6.0)
        } else if max == g {
            60.0 * ((bf - rf) / chroma + 2.0)
        } else {
            60.0 * ((rf - gf) / chroma + 4.0)
        };
        // red, yellow, green, cyan, blue, magenta: (normal, bright) indices.
        const HUES: [(f64, [usize; 2]); 6] = [
            (0.0, [1, 9]),
            (60.0, [3, 11]),
            (120.0, [2, 10]),
            (180.0, [6, 14]),
            (240.0, [4, 12]),
            (300.0, [5, 13]),
        ];
        let off = |h: f64| {
            let d = (hue - h).abs();
            d.min(360.0 - d)
        };
        let mut best = &HUES[0];
        for entry in &HUES {
            if off(entry.0) < off(best.0) {
                best = entry;
            }
        }
        &best.1
    } else {
        &[0, 7, 8, 15]
    };
    let mut best = candidates[0];
    for &i in candidates {
        if distance((r, g, b), ANSI16_RGB[i]) < distance((r, g, b), ANSI16_RGB[best]) {
            best = i;
        }
    }
    ANSI16[best]
}

const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The usual RGB value of a 256-colour index.
pub fn index_to_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => ANSI16_RGB[usize::from(index)],
        16..=231 => {
            let i = index - 16;
            (
                CUBE_LEVELS[usize::from(i / 36)],
                CUBE_LEVELS[usize::from((i / 6) % 6)],
                CUBE_LEVELS[usize::from(i % 6)],
            )
        }
        _ => {
            let level = 8 + 10 * (index - 232);
            (level, level, level)
        }
    }
}

fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let mut best = 16u8;
    for index in 16..=255u8 {
        if distance((r, g, b), index_to_rgb(index)) < distance((r, g, b), index_to_rgb(best)) {
            best = index;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn depth_detection_follows_the_environment() {
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")])),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(env(&[("NO_COLOR", ""), ("COLORTERM", "truecolor")])),
            ColorDepth::TrueColor
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm-256color")])),
            ColorDepth::Indexed256
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm")])),
            ColorDepth::Ansi16
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "dumb")])),
            ColorDepth::None
        );
        assert_eq!(
            ColorDepth::detect(env(&[("TERM", "xterm"), ("KDECK_COLOR", "256")])),
            ColorDepth::Indexed256
        );
    }

    #[test]
    fn literals_parse() {
        assert_eq!(parse_literal("#ff0000"), Some(Color::Rgb(255, 0, 0)));
        assert_eq!(parse_literal("LightRed"), Some(Color::LightRed));
        assert_eq!(parse_literal("208"), Some(Color::Indexed(208)));
        assert_eq!(parse_literal("#ff00"), None);
        assert_eq!(parse_literal("chartreuse"), None);
    }

    #[test]
    fn colours_fall_back_to_the_nearest_the_terminal_has() {
        assert_eq!(
            downgrade(Color::Rgb(255, 0, 0), ColorDepth::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(
            downgrade(Color::Rgb(0, 0, 0), ColorDepth::Ansi16),
            Some(Color::Black)
        );
        assert_eq!(
            downgrade(Color::Rgb(255, 135, 0), ColorDepth::Indexed256),
            Some(Color::Indexed(208))
        );
        assert_eq!(
            downgrade(Color::Indexed(196), ColorDepth::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(downgrade(Color::Green, ColorDepth::None), None);
        assert_eq!(
            downgrade(Color::Rgb(1, 2, 3), ColorDepth::TrueColor),
            Some(Color::Rgb(1, 2, 3))
        );
    }
}
