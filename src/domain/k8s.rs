//! Small Kubernetes value types shared by every kind: conditions, timestamps and ages,
//! resource quantities.

use super::json::{str_at, string_map_at};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

/// A status condition (`type`, `status`, `reason`, `message`, `lastTransitionTime`). Every
/// service repeats the same types, reasons and severities, so those are shared
/// (domain::intern); a message is the object's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub kind: Arc<str>,
    pub status: CondStatus,
    pub reason: Arc<str>,
    pub message: String,
    pub severity: Arc<str>,
    pub last_transition: Option<DateTime<Utc>>,
}

/// A condition's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondStatus {
    True,
    False,
    Unknown,
}

impl CondStatus {
    pub fn parse(text: Option<&str>) -> CondStatus {
        match text {
            Some("True") => CondStatus::True,
            Some("False") => CondStatus::False,
            _ => CondStatus::Unknown,
        }
    }
}

/// Parses the conditions array of an object's status.
pub fn conditions(value: &Value, path: &[&str]) -> Vec<Condition> {
    let mut conditions: Vec<Condition> = super::json::array_at(value, path)
        .iter()
        .filter_map(|c| {
            Some(Condition {
                kind: super::intern::intern(c.get("type")?.as_str()?),
                status: CondStatus::parse(c.get("status").and_then(Value::as_str)),
                reason: super::intern::intern(
                    c.get("reason").and_then(Value::as_str).unwrap_or(""),
                ),
                message: c
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                severity: super::intern::intern(
                    c.get("severity").and_then(Value::as_str).unwrap_or(""),
                ),
                last_transition: c
                    .get("lastTransitionTime")
                    .and_then(Value::as_str)
                    .and_then(parse_time),
            })
        })
        .collect();
    // Kept as long as the object: no growth slack (a filtered list grows by doubling).
    conditions.shrink_to_fit();
    conditions
}

/// The condition of type `kind`.
pub fn find<'a>(conditions: &'a [Condition], kind: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| &*c.kind == kind)
}

/// Parses an RFC 3339 timestamp.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The common metadata every row needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub resource_version: String,
    pub generation: i64,
    pub created: Option<DateTime<Utc>>,
    pub deleting: bool,
    /// Every label (list filters match any of them), each string shared between objects.
    pub labels: Labels,
    /// Only the annotations kdeck reads (see [`READ_ANNOTATION_PREFIXES`]).
    pub annotations: Labels,
}

/// Key-value pairs of metadata, shared whole between the objects that carry the same ones,
/// and their strings shared too (domain::intern).
pub type Labels = Arc<super::intern::Pairs>;

/// The annotations kdeck reads start with one of these (deployment mode, stop, tag routing,
/// metrics port and path, GitOps ownership); the rest (often large, written by other tools)
/// are not kept. The YAML view shows the object as read from the API server.
pub const READ_ANNOTATION_PREFIXES: &[&str] = &[
    "serving.kserve.io/",
    "prometheus.kserve.io/",
    "prometheus.io/",
    "argocd.argoproj.io/",
];

impl Meta {
    pub fn parse(value: &Value) -> Meta {
        Meta {
            name: str_at(value, &["metadata", "name"])
                .unwrap_or("")
                .to_string(),
            namespace: str_at(value, &["metadata", "namespace"])
                .unwrap_or("")
                .to_string(),
            uid: str_at(value, &["metadata", "uid"])
                .unwrap_or("")
                .to_string(),
            resource_version: str_at(value, &["metadata", "resourceVersion"])
                .unwrap_or("")
                .to_string(),
            generation: super::json::int_at(value, &["metadata", "generation"]).unwrap_or(0),
            created: str_at(value, &["metadata", "creationTimestamp"]).and_then(parse_time),
            deleting: super::json::at(value, &["metadata", "deletionTimestamp"])
                .is_some_and(|v| !v.is_null()),
            labels: shared_pairs(string_map_at(value, &["metadata", "labels"])),
            annotations: kept_annotations(value),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }
}

/// Annotations longer than this are not kept: none that kdeck reads comes near it, and
/// tools write whole objects into some (kubectl's last-applied-configuration, Helm, Argo CD).
pub const MAX_KEPT_ANNOTATION: usize = 2048;

/// The annotations kdeck reads, without the large copies tools write into them, which would
/// double the memory each object takes.
fn kept_annotations(value: &Value) -> Labels {
    let mut annotations = string_map_at(value, &["metadata", "annotations"]);
    annotations.retain(|(k, v)| {
        READ_ANNOTATION_PREFIXES.iter().any(|p| k.starts_with(p)) && v.len() <= MAX_KEPT_ANNOTATION
    });
    shared_pairs(annotations)
}

/// The pairs as a shared list (domain::intern).
fn shared_pairs(pairs: Vec<(String, String)>) -> Labels {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (&**k, &**v)).collect();
    super::intern::intern_pairs(&pairs)
}

/// A compact age like kubectl prints: `45s`, `12m`, `3h`, `5d`, `2y`.
pub fn age(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(since) = since else {
        return "–".to_string();
    };
    let secs = (now - since).num_seconds().max(0);
    match secs {
        0..=119 => format!("{secs}s"),
        120..=7199 => format!("{}m", secs / 60),
        7200..=172_799 => format!("{}h", secs / 3600),
        172_800..=63_071_999 => format!("{}d", secs / 86_400),
        _ => format!("{}y", secs / 31_536_000),
    }
}

/// Parses a resource quantity (`500m`, `2`, `1Gi`, `10M`, `1e3`) to a float in base units.
pub fn quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, factor) in suffixes {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Reads a quantity that may be written as a JSON string or number.
pub fn quantity_value(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => quantity(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Sum of every GPU-like resource (`nvidia.com/gpu`, `amd.com/gpu`, `*/gpu…`) in a
/// resources map (`limits` preferred over `requests`, as the scheduler uses limits for
/// extended resources).
pub fn gpus_in_resources(resources: &Value) -> f64 {
    let read = |section: &str| -> Option<f64> {
        let map = resources.get(section)?.as_object()?;
        let total: f64 = map
            .iter()
            .filter(|(k, _)| is_gpu_resource(k))
            .filter_map(|(_, v)| quantity_value(v))
            .sum();
        Some(total)
    };
    read("limits")
        .filter(|n| *n > 0.0)
        .or_else(|| read("requests"))
        .unwrap_or(0.0)
}

/// Whether a resource name is a GPU: `nvidia.com/gpu`, `amd.com/gpu`,
/// `nvidia.com/mig-1g.5gb`, `gpu.intel.com/i915`.
pub fn is_gpu_resource(name: &str) -> bool {
    let Some((vendor, kind)) = name.split_once('/') else {
        return false;
    };
    kind.contains("gpu") || kind.starts_with("mig-") || vendor.starts_with("gpu.")
}

#[cfg(test)]
mod tests {
    #[test]
    fn meta_keeps_small_annotations_and_drops_whole_object_copies() {
        let big = "x".repeat(MAX_KEPT_ANNOTATION + 1);
        let meta = Meta::parse(
            &serde_json::json!({"metadata": {"name": "a", "annotations": {
                "serving.kserve.io/deploymentMode": "Serverless",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"InferenceService\"}",
                "meta.helm.sh/big": big,
                "serving.kserve.io/huge": "y".repeat(MAX_KEPT_ANNOTATION + 1),
                "prometheus.kserve.io/port": "8080",
                "argocd.argoproj.io/tracking-id": "app:serving.kserve.io/InferenceService:ml/a",
                "deployment.kubernetes.io/revision": "3",
                "autoscaling.knative.dev/target": "10",
            }, "labels": {"team": "fraud", "autoscaling.knative.dev/anything": "kept"}}}),
        );
        let mut kept: Vec<(&str, &str)> =
            meta.annotations.iter().map(|(k, v)| (&**k, &**v)).collect();
        kept.sort();
        assert_eq!(
            kept,
            vec![
                (
                    "argocd.argoproj.io/tracking-id",
                    "app:serving.kserve.io/InferenceService:ml/a"
                ),
                ("prometheus.kserve.io/port", "8080"),
                ("serving.kserve.io/deploymentMode", "Serverless"),
            ]
        );
        // Labels are all kept: list filters match any of them.
        assert_eq!(meta.label("autoscaling.knative.dev/anything"), Some("kept"));
        assert_eq!(meta.label("team"), Some("fraud"));
    }

    #[test]
    fn objects_share_their_label_strings() {
        let pod = |name: &str| {
            Meta::parse(&json!({"metadata": {"name": name, "labels": {
                "serving.kserve.io/inferenceservice": "fraud-detector", "component": "predictor"}}}))
        };
        let (a, b) = (pod("a"), pod("b"));
        for ((ka, va), (kb, vb)) in a.labels.iter().zip(b.labels.iter()) {
            assert!(Arc::ptr_eq(ka, kb) && Arc::ptr_eq(va, vb), "{ka}={va}");
        }
        assert!(Arc::ptr_eq(&a.labels, &b.labels), "one list for both");
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn ages_read_like_kubectl() {
        let now = parse_time("2026-01-10T00:00:00Z").unwrap();
        let ago = |s: i64| Some(now - chrono::Duration::seconds(s));
        assert_eq!(age(ago(5), now), "5s");
        assert_eq!(age(ago(600), now), "10m");
        assert_eq!(age(ago(3 * 3600), now), "3h");
        assert_eq!(age(ago(5 * 86400), now), "5d");
        assert_eq!(age(ago(-50), now), "0s");
        assert_eq!(age(None, now), "–");
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1Gi"), Some(1073741824.0));
        assert_eq!(quantity("x"), None);
        let r = json!({"limits": {"nvidia.com/gpu": "2", "cpu": "1"}, "requests": {"nvidia.com/gpu": 1}});
        assert_eq!(gpus_in_resources(&r), 2.0);
        let r = json!({"requests": {"nvidia.com/gpu": 1}});
        assert_eq!(gpus_in_resources(&r), 1.0);
        assert_eq!(gpus_in_resources(&json!({"limits": {"cpu": "1"}})), 0.0);
        assert!(is_gpu_resource("nvidia.com/mig-1g.5gb"));
        assert!(!is_gpu_resource("cpu"));
    }

    #[test]
    fn conditions_parse_with_missing_fields() {
        let v = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "RevisionMissing", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"status": "True"},
            {"type": "IngressReady"}
        ]}});
        let c = conditions(&v, &["status", "conditions"]);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].status, CondStatus::False);
        assert_eq!(c[1].status, CondStatus::Unknown);
        assert!(find(&c, "Ready").is_some());
    }
}
