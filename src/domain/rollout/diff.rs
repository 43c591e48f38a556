//! The exact change as the confirmation shows it: a unified diff of the spec as YAML, and
//! the JSON merge patch between two documents.

use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
    /// Unchanged lines left out between changes.
    Gap(usize),
}

fn yaml(value: &Value) -> String {
    serde_norway::to_string(value).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
}

/// A unified diff of `before` → `after` rendered as YAML, with `context` lines around
/// each change.
pub fn yaml_diff(before: &Value, after: &Value, context: usize) -> Vec<DiffLine> {
    let (a, b) = (yaml(before), yaml(after));
    let diff = TextDiff::from_lines(&a, &b);
    let mut out = Vec::new();
    for group in diff.grouped_ops(context) {
        if let Some(first) = group.first()
            && first.old_range().start > 0
            && out.is_empty()
        {
            out.push(DiffLine::Gap(first.old_range().start));
        } else if !out.is_empty() {
            out.push(DiffLine::Gap(0));
        }
        for op in group {
            for change in diff.iter_changes(&op) {
                let text = change.value().trim_end_matches('\n').to_string();
                out.push(match change.tag() {
                    ChangeTag::Equal => DiffLine::Same(text),
                    ChangeTag::Insert => DiffLine::Added(text),
                    ChangeTag::Delete => DiffLine::Removed(text),
                });
            }
        }
    }
    out
}

/// The RFC 7386 merge patch that turns `old` into `new` (objects merged key by key, keys
/// that disappear set to null, everything else replaced).
pub fn merge_patch(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (k, nv) in n {
                match o.get(k) {
                    Some(ov) if ov == nv => {}
                    Some(ov) if ov.is_object() && nv.is_object() => {
                        patch.insert(k.clone(), merge_patch(ov, nv));
                    }
                    _ => {
                        patch.insert(k.clone(), nv.clone());
                    }
                }
            }
            for k in o.keys() {
                if !n.contains_key(k) {
                    patch.insert(k.clone(), Value::Null);
                }
            }
            Value::Object(patch)
        }
        _ => new.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_round_trips() {
        let old = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        let new = json!({"a": 1, "b": {"c": 5}, "e": [2], "f": "x"});
        let patch = merge_patch(&old, &new);
        assert_eq!(patch, json!({"b": {"c": 5, "d": null}, "e": [2], "f": "x"}));
        let mut applied = old.clone();
        json_patch::merge(&mut applied, &patch);
        assert_eq!(applied, new);
    }

    #[test]
    fn diff_marks_changed_lines() {
        let before =
            json!({"predictor": {"canaryTrafficPercent": 10, "model": {"storageUri": "s3://m/2"}}});
        let after =
            json!({"predictor": {"canaryTrafficPercent": 0, "model": {"storageUri": "s3://m/2"}}});
        let diff = yaml_diff(&before, &after, 2);
        assert!(
            diff.contains(&DiffLine::Removed("  canaryTrafficPercent: 10".to_string())),
            "{diff:?}"
        );
        assert!(
            diff.contains(&DiffLine::Added("  canaryTrafficPercent: 0".to_string())),
            "{diff:?}"
        );
        assert!(yaml_diff(&before, &before, 2).is_empty());
    }
}
