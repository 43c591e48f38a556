//! Tolerant reading of Kubernetes objects held as JSON. Objects from a live cluster can have
//! missing status or fields of an unexpected type; every getter returns `None` instead of
//! failing, and `Problems` collects what was wrong so the row can carry an error marker.

use serde_json::Value;

/// Follows `path` through nested objects.
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// A string at `path`.
pub fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(value, path)?.as_str()
}

/// An integer at `path`, also accepting integral floats and numeric strings.
pub fn int_at(value: &Value, path: &[&str]) -> Option<i64> {
    match at(value, path)? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A boolean at `path`, also accepting "true"/"false" strings (annotations).
pub fn bool_at(value: &Value, path: &[&str]) -> Option<bool> {
    match at(value, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The array at `path`, or an empty slice.
pub fn array_at<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    at(value, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The string map at `path` (labels, annotations) as pairs; non-string values are skipped.
pub fn string_map_at(value: &Value, path: &[&str]) -> Vec<(String, String)> {
    at(value, path)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// What was wrong with an object while reading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<String>);

impl Problems {
    /// Records that `path` has an unexpected type (present but not what was expected).
    pub fn check_type(
        &mut self,
        value: &Value,
        path: &[&str],
        expected: &str,
        ok: impl Fn(&Value) -> bool,
    ) {
        if let Some(v) = at(value, path)
            && !v.is_null()
            && !ok(v)
        {
            self.0.push(format!("{} is not {expected}", path.join(".")));
        }
    }

    pub fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn getters_tolerate_wrong_types() {
        let v = json!({"a": {"b": "x", "n": 3, "f": 2.0, "s": "7", "t": "true", "arr": [1], "m": {"k": "v", "bad": 1}}});
        assert_eq!(str_at(&v, &["a", "b"]), Some("x"));
        assert_eq!(str_at(&v, &["a", "n"]), None);
        assert_eq!(int_at(&v, &["a", "n"]), Some(3));
        assert_eq!(int_at(&v, &["a", "f"]), Some(2));
        assert_eq!(int_at(&v, &["a", "s"]), Some(7));
        assert_eq!(bool_at(&v, &["a", "t"]), Some(true));
        assert_eq!(array_at(&v, &["a", "arr"]).len(), 1);
        assert!(array_at(&v, &["a", "b"]).is_empty());
        assert_eq!(
            string_map_at(&v, &["a", "m"]),
            vec![("k".to_string(), "v".to_string())]
        );
        let mut p = Problems::default();
        p.check_type(&v, &["a", "b"], "a number", Value::is_number);
        p.check_type(&v, &["a", "missing"], "a number", Value::is_number);
        assert_eq!(p.0, vec!["a.b is not a number"]);
    }
}
