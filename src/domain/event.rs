//! Kubernetes Events (core/v1), compactly: what happened to which object, how often, when.

use super::json::{int_at, str_at};
use super::k8s::{Meta, parse_time};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// An event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub meta: Meta,
    pub object_kind: String,
    pub object_name: String,
    pub object_namespace: String,
    pub reason: String,
    pub message: String,
    pub warning: bool,
    pub count: i64,
    pub last_seen: Option<DateTime<Utc>>,
    pub source: String,
}

impl Event {
    pub fn parse(value: &Value) -> Event {
        let meta = Meta::parse(value);
        let time = |k: &str| str_at(value, &[k]).and_then(parse_time);
        Event {
            object_kind: str_at(value, &["involvedObject", "kind"])
                .unwrap_or("")
                .to_string(),
            object_name: str_at(value, &["involvedObject", "name"])
                .unwrap_or("")
                .to_string(),
            object_namespace: str_at(value, &["involvedObject", "namespace"])
                .unwrap_or("")
                .to_string(),
            reason: str_at(value, &["reason"]).unwrap_or("").to_string(),
            message: str_at(value, &["message"]).unwrap_or("").to_string(),
            warning: str_at(value, &["type"]) == Some("Warning"),
            count: int_at(value, &["count"]).unwrap_or(1).max(1),
            last_seen: time("lastTimestamp")
                .or_else(|| time("eventTime"))
                .or_else(|| time("firstTimestamp"))
                .or(meta.created),
            source: str_at(value, &["source", "component"])
                .or_else(|| str_at(value, &["reportingComponent"]))
                .unwrap_or("")
                .to_string(),
            meta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warning_event() {
        let e = Event::parse(&json!({"metadata": {"name": "e1", "namespace": "ml"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "ml"},
            "reason": "FailedScheduling", "message": "0/3 nodes are available", "type": "Warning",
            "count": 4, "lastTimestamp": "2026-01-01T00:00:00Z", "source": {"component": "default-scheduler"}}));
        assert!(e.warning);
        assert_eq!(e.count, 4);
        assert_eq!(e.object_name, "p");
        assert!(e.last_seen.is_some());
    }
}
