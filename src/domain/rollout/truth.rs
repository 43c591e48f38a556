//! What the cluster shows after a write whose answer was lost: applied, not applied, or
//! unknown. Pure: the object read again is compared with the merge patch that was sent.

use serde_json::Value;

/// The cluster's word on a write, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    /// The object shows every field of the patch and a new resourceVersion.
    Applied,
    /// The object still has the resourceVersion the patch was made against.
    NotApplied,
    /// The object changed, but not (only) as the patch says: someone else wrote meanwhile.
    Unknown,
}

/// Whether every field the merge patch sets is in `object` (a `null` means removed). The
/// patch's own `metadata.resourceVersion` (the precondition) is not compared.
pub fn shows_patch(patch: &Value, object: &Value) -> bool {
    fn shows(patch: &Value, object: Option<&Value>, top: bool) -> bool {
        match patch {
            Value::Object(fields) => fields.iter().all(|(key, wanted)| {
                if top && key == "metadata" {
                    let mut meta = wanted.clone();
                    if let Some(m) = meta.as_object_mut() {
                        m.remove("resourceVersion");
                    }
                    return shows(&meta, object.and_then(|o| o.get(key)), false);
                }
                shows(wanted, object.and_then(|o| o.get(key)), false)
            }),
            Value::Null => object.is_none_or(Value::is_null),
            other => object == Some(other),
        }
    }
    shows(patch, Some(object), true)
}

/// Judges the object read again after a write of `patch` made against `resource_version`.
pub fn judge(patch: &Value, resource_version: &str, object: &Value) -> ReadBack {
    let now = object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !resource_version.is_empty() && now == resource_version {
        ReadBack::NotApplied
    } else if shows_patch(patch, object) {
        ReadBack::Applied
    } else {
        ReadBack::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch() -> Value {
        json!({"metadata": {"resourceVersion": "7"},
               "spec": {"predictor": {"canaryTrafficPercent": 0, "minReplicas": null}}})
    }

    #[test]
    fn the_read_back_object_decides_applied_not_applied_or_unknown() {
        let unchanged = json!({"metadata": {"resourceVersion": "7"},
            "spec": {"predictor": {"canaryTrafficPercent": 10}}});
        assert_eq!(judge(&patch(), "7", &unchanged), ReadBack::NotApplied);
        let applied = json!({"metadata": {"resourceVersion": "9"},
            "spec": {"predictor": {"canaryTrafficPercent": 0, "model": {}}}});
        assert_eq!(judge(&patch(), "7", &applied), ReadBack::Applied);
        let other = json!({"metadata": {"resourceVersion": "9"},
            "spec": {"predictor": {"canaryTrafficPercent": 30}}});
        assert_eq!(judge(&patch(), "7", &other), ReadBack::Unknown);
        let kept_field = json!({"metadata": {"resourceVersion": "9"},
            "spec": {"predictor": {"canaryTrafficPercent": 0, "minReplicas": 2}}});
        assert_eq!(judge(&patch(), "7", &kept_field), ReadBack::Unknown);
    }
}
