//! Keeps the layers of the code: reads every `crate::` path under src/ (in `use` lines and
//! written inline) and fails, naming file and line, when a module imports one above it.
//!
//! Layers, lowest first: domain (pure vocabulary and logic) → state → sources / config / tui
//! (I/O) → app (update, runner, msg) → ui (views that only read) → commands → main (the
//! binary's wiring). The simulator and the bench are layers of their own. Test code (`*_tests.rs`
//! files, `tests.rs`, and everything after a file's first `#[cfg(test)]`) may cross layers.
//!
//! `KNOWN_CROSSINGS` lists the crossings the code still has, by file and target: a new crossing
//! fails, and so does a listed one that is gone (take it off the list), so the list only shrinks.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Which layer a top-level module of src/ belongs to.
fn layer_of(top: &str) -> &'static str {
    match top {
        "domain" => "domain",
        "state" => "state",
        "sources" => "sources",
        "config" => "config",
        "tui" => "tui",
        "app" => "app",
        "ui" => "ui",
        // The command line's arguments belong to the commands they start.
        "commands" | "cli" => "commands",
        "sim" => "sim",
        "bench" => "bench",
        // The binary's wiring: entry points, argument parsing, error and log setup.
        "main" | "lib" | "console" | "errors" | "logging" | "allocator" => "main",
        _ => "unknown",
    }
}

/// The layers each layer may import (besides itself).
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("state", &["domain"]),
    ("config", &["domain"]),
    ("tui", &["domain"]),
    ("sources", &["domain", "state", "config"]),
    ("app", &["domain", "state", "sources", "config", "tui"]),
    ("ui", &["domain", "state", "config", "app"]),
    (
        "commands",
        &["domain", "state", "sources", "config", "app", "ui", "sim"],
    ),
    (
        "main",
        &[
            "domain", "state", "sources", "config", "tui", "app", "ui", "commands", "sim", "main",
        ],
    ),
    // The simulated cluster shares vocabulary with the console, nothing more.
    ("sim", &["domain"]),
    (
        "bench",
        &[
            "domain", "state", "sources", "config", "tui", "app", "ui", "commands", "sim", "main",
        ],
    ),
];

/// Paths no layer but the named one may import, even where the layers allow it: the test double
/// keeps its own parsers, and views read no update code.
const FORBIDDEN: &[(&str, &str)] = &[
    ("sim", "domain::selector"),
    ("sim", "domain::pod"),
    ("ui", "app::update"),
];

/// Crossings the code still has (file, target path). Shrink this list; never grow it.
const KNOWN_CROSSINGS: &[(&str, &str)] = &[];

/// One `crate::` path found in production code.
struct Import {
    file: String,
    line: usize,
    /// The first two segments, e.g. `app::msg`.
    path: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Whether the file at `rel` (e.g. `src/ui/snapshot_sizes.rs`) is test code: named so, or
/// declared under `#[cfg(test)]` in its parent module.
fn is_test_file(root: &Path, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name == "tests.rs" || name.ends_with("_tests.rs") || rel.contains("/tests/") {
        return true;
    }
    let Some((dir, file)) = rel.rsplit_once('/') else {
        return false;
    };
    let module = file.trim_end_matches(".rs");
    let parent = match dir.rsplit_once('/') {
        Some((up, last)) => [format!("{dir}/mod.rs"), format!("{up}/{last}.rs")],
        None => [format!("{dir}/lib.rs"), format!("{dir}/main.rs")],
    };
    parent.iter().any(|p| {
        let text = std::fs::read_to_string(root.join(p)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        lines.windows(2).any(|w| {
            w[0] == "#[cfg(test)]"
                && [format!("mod {module};"), format!("pub mod {module};")]
                    .contains(&w[1].to_string())
        })
    })
}

/// The text before the file's test module, with line comments blanked (lengths kept, so byte
/// offsets still give line numbers).
fn production_text(text: &str) -> String {
    let cut = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => " ".repeat(line.len()),
            false => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first two `::` segments of the path starting at `s` (`app::msg::{…}` → `app::msg`).
fn two_segments(s: &str) -> String {
    let mut segs = Vec::new();
    let mut rest = s.trim_start();
    while segs.len() < 2 {
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        segs.push(&rest[..end]);
        match rest[end..].strip_prefix("::") {
            Some(after) => rest = after,
            None => break,
        }
    }
    segs.join("::")
}

/// The items of a brace group `{a::b, c::{d, e}}` starting at `s[0] == '{'`: each item's offset
/// in `s` and its first two segments.
fn brace_items(s: &str) -> Vec<(usize, String)> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 1;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' | ',' if depth == 1 => {
                let item = &s[start..i];
                let lead = item.len() - item.trim_start().len();
                if !item.trim().is_empty() {
                    items.push((start + lead, two_segments(item)));
                }
                start = i + 1;
                if c == '}' {
                    break;
                }
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    items
}

fn imports_of(file: &str, text: &str) -> Vec<Import> {
    let line_at = |offset: usize| text[..offset].matches('\n').count() + 1;
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        let base = at + "crate::".len();
        if rest.starts_with('{') {
            for (offset, path) in brace_items(rest) {
                out.push(Import {
                    file: file.to_string(),
                    line: line_at(base + offset),
                    path,
                });
            }
        } else {
            out.push(Import {
                file: file.to_string(),
                line: line_at(at),
                path: two_segments(rest),
            });
        }
    }
    out
}

fn crossing(from: &str, path: &str) -> Option<String> {
    let top = path.split("::").next().unwrap_or(path);
    let to = layer_of(top);
    if to == "unknown" {
        return Some(format!(
            "imports `{path}`, a module this test has no layer for"
        ));
    }
    if let Some((_, part)) = FORBIDDEN.iter().find(|(layer, target)| {
        *layer == from && (path == *target || path.starts_with(&format!("{target}::")))
    }) {
        return Some(format!("{from} may not import `{part}`"));
    }
    if to == from {
        return None;
    }
    let allowed = ALLOWED
        .iter()
        .find(|(layer, _)| *layer == from)
        .map(|(_, to)| *to)
        .unwrap_or(&[]);
    (!allowed.contains(&to))
        .then(|| format!("{from} imports `{path}` from the {to} layer, above it or beside it"))
}

#[test]
fn no_layer_imports_one_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );

    let mut unexpected = String::new();
    let mut seen = BTreeSet::new();
    let mut imports_read = 0;
    for path in &files {
        let rel = path
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if is_test_file(root, &rel) {
            continue;
        }
        let top = rel
            .trim_start_matches("src/")
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".rs");
        let from = layer_of(top);
        assert_ne!(
            from, "unknown",
            "{rel}: a top-level module this test has no layer for; add it"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        for import in imports_of(&rel, &production_text(&text)) {
            imports_read += 1;
            let Some(why) = crossing(from, &import.path) else {
                continue;
            };
            let known = KNOWN_CROSSINGS
                .iter()
                .any(|(file, target)| *file == import.file && *target == import.path);
            if known {
                seen.insert((import.file.clone(), import.path.clone()));
            } else {
                let _ = writeln!(unexpected, "{}:{}: {why}", import.file, import.line);
            }
        }
    }
    assert!(
        imports_read > 200,
        "read only {imports_read} crate:: paths; is the parser broken?"
    );

    let gone: Vec<String> = KNOWN_CROSSINGS
        .iter()
        .filter(|(file, target)| !seen.contains(&(file.to_string(), target.to_string())))
        .map(|(file, target)| format!("(\"{file}\", \"{target}\")"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "layers crossed (move the type down, or send an event up):\n{unexpected}"
    );
    assert!(
        gone.is_empty(),
        "these known crossings are gone; take them off KNOWN_CROSSINGS:\n{}",
        gone.join("\n")
    );
}

#[test]
fn the_reader_finds_paths_in_braces_and_inline() {
    let text = "use crate::{app::msg::Msg, state::{ui, cluster}};\nfn f() { crate::ui::draw(); }\n";
    let found: Vec<(usize, String)> = imports_of("x.rs", text)
        .into_iter()
        .map(|i| (i.line, i.path))
        .collect();
    assert_eq!(
        found,
        vec![
            (1, "app::msg".to_string()),
            (1, "state".to_string()),
            (2, "ui::draw".to_string()),
        ]
    );
    assert!(crossing("sources", "app::msg").is_some());
    assert!(crossing("app", "sources::kube").is_none());
    assert!(crossing("sim", "domain::selector").is_some());
    assert!(crossing("sim", "domain::k8s").is_none());
    assert!(crossing("ui", "app::update").is_some());
    assert!(crossing("ui", "app::msg").is_none());
}
