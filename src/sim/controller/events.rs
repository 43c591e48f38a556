//! Kubernetes Events the simulation writes for what happens (scheduling, pulls, starts,
//! back-offs, revisions, readiness). A repeat of the same reason on the same object bumps
//! the event's count and lastTimestamp, as the event recorder does.

use crate::sim::clock::stamp;
use crate::sim::resources;
use crate::sim::store::Store;
use serde_json::json;

/// The object an event is about.
pub struct About<'a> {
    pub kind: &'a str,
    pub api_version: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
}

/// Records an event (`warning` for type Warning) from `component`.
pub fn record(
    store: &Store,
    about: &About,
    warning: bool,
    reason: &str,
    message: &str,
    component: &str,
) {
    let Some(r) = resources::find("", "v1", "events") else {
        return;
    };
    let now = stamp(chrono::Utc::now());
    let name = format!(
        "{}.{:x}",
        about.name,
        fxhash(&format!("{}{reason}", about.kind))
    );
    let (count, first) = match store.get(r, about.namespace, &name) {
        Some(old) if old["message"] == json!(message) => (
            old["count"].as_i64().unwrap_or(1) + 1,
            old["firstTimestamp"].as_str().unwrap_or(&now).to_string(),
        ),
        _ => (1, now.clone()),
    };
    store.put(
        r,
        json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": about.namespace},
            "involvedObject": {"kind": about.kind, "apiVersion": about.api_version, "namespace": about.namespace, "name": about.name, "uid": about.uid},
            "reason": reason,
            "message": message,
            "type": if warning { "Warning" } else { "Normal" },
            "source": {"component": component},
            "reportingComponent": component,
            "count": count,
            "firstTimestamp": first,
            "lastTimestamp": now,
        }),
    );
}

/// A small stable hash for event names.
pub fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) & 0xffff_ffff_ffff
}
