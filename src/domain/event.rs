//! Kubernetes Events (core/v1), compactly: what happened to which object, how often, when.

use super::intern::intern;
use super::json::{int_at, str_at};
use super::k8s::{Meta, parse_time};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

/// An event. Up to [`MAX_EVENTS`](crate::state::cluster::MAX_EVENTS) are kept, and they
/// repeat their object's kind, name and namespace and their source: those are shared
/// (domain::intern); a message is the event's own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub meta: Meta,
    pub object_kind: Arc<str>,
    pub object_name: Arc<str>,
    pub object_namespace: Arc<str>,
    pub reason: String,
    pub message: String,
    pub warning: bool,
    pub count: i64,
    pub last_seen: Option<DateTime<Utc>>,
    pub source: Arc<str>,
}

impl Event {
    pub fn parse(value: &Value) -> Event {
        let meta = Meta::parse(value);
        let time = |k: &str| str_at(value, &[k]).and_then(parse_time);
        Event {
            object_kind: intern(str_at(value, &["involvedObject", "kind"]).unwrap_or("")),
            object_name: intern(str_at(value, &["involvedObject", "name"]).unwrap_or("")),
            object_namespace: intern(str_at(value, &["involvedObject", "namespace"]).unwrap_or("")),
            reason: str_at(value, &["reason"]).unwrap_or("").to_string(),
            message: str_at(value, &["message"]).unwrap_or("").to_string(),
            warning: str_at(value, &["type"]) == Some("Warning"),
            count: int_at(value, &["count"]).unwrap_or(1).max(1),
            last_seen: time("lastTimestamp")
                .or_else(|| time("eventTime"))
                .or_else(|| time("firstTimestamp"))
                .or(meta.created),
            source: intern(
                str_at(value, &["source", "component"])
                    .or_else(|| str_at(value, &["reportingComponent"]))
                    .unwrap_or(""),
            ),
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
        assert_eq!(&*e.object_name, "p");
        assert!(e.last_seen.is_some());
    }

    #[test]
    fn events_about_one_object_share_its_words() {
        let event = |name: &str, reason: &str| {
            Event::parse(&json!({"metadata": {"name": name, "namespace": "ml"},
                "involvedObject": {"kind": "Pod", "name": "iris-predictor-abc", "namespace": "ml"},
                "reason": reason, "message": format!("{reason} happened"),
                "source": {"component": "kubelet"}}))
        };
        let (a, b) = (event("e1", "Pulled"), event("e2", "Started"));
        assert!(Arc::ptr_eq(&a.object_name, &b.object_name));
        assert!(Arc::ptr_eq(&a.object_kind, &b.object_kind));
        assert!(Arc::ptr_eq(&a.source, &b.source));
        assert_eq!(&*a.object_namespace, "ml");
        assert_eq!(
            (a.reason.as_str(), b.message.as_str()),
            ("Pulled", "Started happened")
        );
    }
}
