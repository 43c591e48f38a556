//! Fail closed: the safety settings (`readonly`, `[contexts.X] protected/readonly`) are only
//! trusted when the config file was read whole and they hold the right types. Otherwise
//! kdeck is read-only and every entry point says why, until the file is fixed. Also finds
//! the line of a key in the file's text, so every problem can name its line.

pub use crate::domain::settings::SafetyLock;

/// Whether a dotted config key is (or holds) a safety setting. Every key under `[contexts]`
/// is one: a misspelt `protect = true` there must not leave a context unprotected silently.
pub fn is_safety_key(key: &str) -> bool {
    key == "readonly" || key == "contexts" || key.starts_with("contexts.")
}

/// The 1-based line of a byte offset in `text`.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn unquote(part: &str) -> String {
    part.trim().trim_matches('"').trim_matches('\'').to_string()
}

fn dotted(parts: &str) -> Vec<String> {
    parts.split('.').map(unquote).collect()
}

/// The 1-based line where the dotted `key` is set (or its table begins), if it can be found.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let wanted: Vec<String> = dotted(key);
    let mut table: Vec<String> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            let inner = line.trim_start_matches('[');
            let inner = inner.split(']').next().unwrap_or_default();
            table = dotted(inner);
            if table == wanted {
                return Some(index + 1);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let mut full = table.clone();
        full.extend(dotted(name));
        if full == wanted {
            return Some(index + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_their_tables() {
        let text =
            "readonly = \"yes\"\n[logs]\nbuffer_lines = 1\n[contexts.\"prod\"]\nprotected = 1\n";
        assert_eq!(line_of_key(text, "readonly"), Some(1));
        assert_eq!(line_of_key(text, "logs.buffer_lines"), Some(3));
        assert_eq!(line_of_key(text, "contexts.prod"), Some(4));
        assert_eq!(line_of_key(text, "contexts.prod.protected"), Some(5));
        assert_eq!(line_of_key(text, "gpu.interval"), None);
        assert_eq!(line_of_offset(text, 0), 1);
        assert_eq!(line_of_offset(text, 18), 2);
    }

    #[test]
    fn safety_keys() {
        assert!(is_safety_key("readonly"));
        assert!(is_safety_key("contexts.prod.protect"));
        assert!(!is_safety_key("logs.buffer_lines"));
    }
}
