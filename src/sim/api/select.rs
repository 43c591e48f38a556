//! Label and field selectors on list and watch, and the small JSONPath subset printer
//! columns use (`.a.b`, `[?(@.k=='v')]`, `[?(@.k==true)]`, `[*]`).

use super::super::error::ApiError;
use super::label_selector::LabelSelector;
use serde_json::Value;

/// A field selector: `metadata.name=x,status.phase!=Running`.
#[derive(Debug, Clone, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, ApiError> {
        let mut reqs = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector: '{part}'"
                )));
            };
            reqs.push((field.trim().to_string(), equal, value.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let mut v = obj;
            for part in field.split('.') {
                v = &v[part];
            }
            let actual = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (actual == *value) == *equal
        })
    }
}

/// Parses a label selector for the API (errors are 400s). Stricter than the console's own
/// parser, as the API server is: every key must be a qualified name (`[prefix/]name`) and
/// every value a label value.
pub fn labels(text: &str) -> Result<LabelSelector, ApiError> {
    LabelSelector::parse(text)
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))
}

fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in path.trim_start_matches('.').chars() {
        match c {
            '[' => {
                if !current.is_empty() {
                    parts.push(std::mem::take(&mut current));
                }
                depth += 1;
                current.push(c);
            }
            ']' => {
                depth -= 1;
                current.push(c);
                if depth == 0 {
                    parts.push(std::mem::take(&mut current));
                }
            }
            '.' if depth == 0 => {
                if !current.is_empty() {
                    parts.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

fn filter_matches(item: &Value, expr: &str) -> bool {
    // expr like @.type=='Ready' or @.latestRevision==true
    let Some((lhs, rhs)) = expr.split_once("==") else {
        return false;
    };
    let field = lhs.trim().trim_start_matches("@.");
    let mut v = item;
    for part in field.split('.') {
        v = &v[part];
    }
    let rhs = rhs.trim();
    match rhs.trim_matches('\'').trim_matches('"') {
        unquoted if rhs.starts_with('\'') || rhs.starts_with('"') => v.as_str() == Some(unquoted),
        "true" => v.as_bool() == Some(true),
        "false" => v.as_bool() == Some(false),
        number => v
            .as_f64()
            .is_some_and(|n| number.parse::<f64>().ok() == Some(n)),
    }
}

/// Evaluates the JSONPath subset; returns every value found.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current: Vec<&Value> = vec![obj];
    for part in split_path(path) {
        let mut next = Vec::new();
        for v in current {
            if let Some(inner) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
                let items = v.as_array().map(Vec::as_slice).unwrap_or(&[]);
                if inner == "*" {
                    next.extend(items.iter());
                } else if let Some(expr) =
                    inner.strip_prefix("?(").and_then(|e| e.strip_suffix(')'))
                {
                    next.extend(items.iter().filter(|i| filter_matches(i, expr)));
                } else if let Ok(n) = inner.parse::<usize>() {
                    next.extend(items.get(n));
                }
            } else if let Some(child) = v.get(&part) {
                next.push(child);
            }
        }
        current = next;
    }
    current.into_iter().filter(|v| !v.is_null()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_path_subset() {
        let obj = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}],
            "components": {"predictor": {"traffic": [{"latestRevision": true, "percent": 10, "revisionName": "r2"}, {"tag": "prev", "percent": 90}]}}},
            "spec": {"f": [{"name": "a"}, {"name": "b"}]}});
        assert_eq!(
            json_path(&obj, ".status.conditions[?(@.type=='Ready')].status"),
            vec![&json!("True")]
        );
        assert_eq!(
            json_path(
                &obj,
                ".status.components.predictor.traffic[?(@.tag=='prev')].percent"
            ),
            vec![&json!(90)]
        );
        assert_eq!(
            json_path(
                &obj,
                ".status.components.predictor.traffic[?(@.latestRevision==true)].revisionName"
            ),
            vec![&json!("r2")]
        );
        assert_eq!(json_path(&obj, ".spec.f[*].name").len(), 2);
        assert!(json_path(&obj, ".status.url").is_empty());
    }

    #[test]
    fn field_selectors() {
        let obj = json!({"metadata": {"name": "p"}, "status": {"phase": "Running"}});
        assert!(
            FieldSelector::parse("metadata.name=p,status.phase!=Pending")
                .unwrap()
                .matches(&obj)
        );
        assert!(
            !FieldSelector::parse("metadata.name=q")
                .unwrap()
                .matches(&obj)
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }

    #[test]
    fn label_selectors_are_checked_like_the_api_server() {
        for ok in [
            "a=b",
            "serving.kserve.io/inferenceservice=fraud-detector,component!=x",
            "tier in (gold, silver)",
            "!canary",
            "app",
            "k=",
        ] {
            assert!(labels(ok).is_ok(), "{ok}");
        }
        for bad in ["===", "=x", "a=b c", "Bad_/x=1", "a=-x", "a in (b"] {
            assert_eq!(labels(bad).unwrap_err().code, 400, "{bad}");
        }
    }
}
