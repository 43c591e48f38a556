//! kdeck's record of the specs it replaced, so a rollback can restore the previous model and
//! "undo" can put back what kdeck changed.
//!
//! The issue asked for an annotation on the InferenceService. KServe copies the service's
//! annotations into the predictor's pod template, so writing one would itself start a new
//! revision (or a Deployment rollout) — during a rollback that means starting pods of the
//! bad model on scarce GPUs. kdeck therefore keeps the history in a ConfigMap
//! `kdeck-history` in the service's namespace, one key per service (`NAME.json`, newest
//! first, at most `KEEP` entries). If that ConfigMap cannot be written (RBAC), the change
//! still goes ahead and the user is told the history was not kept.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The ConfigMap holding the history.
pub const CONFIGMAP: &str = "kdeck-history";
/// Entries kept per service.
pub const KEEP: usize = 8;

/// One recorded spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    /// The action that replaced this spec.
    pub action: String,
    /// The revision that was serving this spec (Knative), if known.
    pub revision: Option<String>,
    pub by: String,
    pub spec: Value,
}

/// The ConfigMap key of a service.
pub fn key(service: &str) -> String {
    format!("{service}.json")
}

/// Parses a service's history; a malformed value gives an empty history and the reason.
pub fn parse(text: &str) -> (Vec<HistoryEntry>, Option<String>) {
    match serde_json::from_str::<Vec<HistoryEntry>>(text) {
        Ok(entries) => (entries, None),
        Err(e) => (
            Vec::new(),
            Some(format!(
                "kdeck history is unreadable ({e}); starting a new one"
            )),
        ),
    }
}

/// The history with `entry` put first, trimmed to `KEEP`.
pub fn push(mut entries: Vec<HistoryEntry>, entry: HistoryEntry) -> Vec<HistoryEntry> {
    entries.insert(0, entry);
    entries.truncate(KEEP);
    entries
}

/// Renders the history for the ConfigMap.
pub fn render(entries: &[HistoryEntry]) -> String {
    serde_json::to_string(entries).unwrap_or_else(|_| "[]".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn history_is_newest_first_and_bounded() {
        let mut h = Vec::new();
        for i in 0..12 {
            h = push(
                h,
                HistoryEntry {
                    at: Utc::now(),
                    action: format!("a{i}"),
                    revision: None,
                    by: "me".into(),
                    spec: json!({"i": i}),
                },
            );
        }
        assert_eq!(h.len(), KEEP);
        assert_eq!(h[0].action, "a11");
        let (back, err) = parse(&render(&h));
        assert_eq!(back, h);
        assert!(err.is_none());
        assert!(parse("{nope").1.is_some());
    }
}
