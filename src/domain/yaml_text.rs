//! An object's JSON as the YAML the console shows (and searches), with a note on what is
//! hidden.

/// The object as YAML text, with a note on what is hidden.
pub fn yaml_text(raw: &str) -> String {
    let value: serde_json::Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => return format!("# cannot show this object as YAML: {e}\n{raw}"),
    };
    object_yaml(value)
}

/// An object as read from the API server, as YAML without the bulk nobody reads in a
/// console (managedFields, last-applied-configuration), with a note saying so.
pub fn object_yaml(mut value: serde_json::Value) -> String {
    crate::domain::isvc::strip_bulk(&mut value);
    let body =
        serde_norway::to_string(&value).unwrap_or_else(|e| format!("# cannot render YAML: {e}\n"));
    format!("# managedFields and last-applied-configuration are hidden\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_yaml_and_garbage_is_shown_as_it_is() {
        let text = yaml_text(r#"{"metadata": {"name": "iris"}}"#);
        assert!(text.starts_with("# managedFields"), "{text}");
        assert!(text.contains("metadata:\n  name: iris"), "{text}");
        let bad = yaml_text("{not json");
        assert!(
            bad.starts_with("# cannot show this object as YAML"),
            "{bad}"
        );
        assert!(bad.ends_with("{not json"), "{bad}");
    }

    #[test]
    fn an_objects_yaml_leaves_out_managed_fields_and_the_last_applied_copy() {
        let text = object_yaml(serde_json::json!({"metadata": {"name": "iris",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"}}}));
        assert!(!text.contains("managedFields:"), "{text}");
        assert!(!text.contains("last-applied-configuration:"), "{text}");
        assert!(text.contains("team: a"), "{text}");
    }
}
