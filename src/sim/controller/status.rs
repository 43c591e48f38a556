//! Building an InferenceService's status the way KServe propagates it (FACTS.md §b):
//! conditions with their transition times (Ready = PredictorReady ∧ IngressReady; route and
//! configuration conditions with severity Info), URLs, and the model status.

use crate::sim::clock::stamp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A condition to report.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    pub kind: &'static str,
    pub status: &'static str,
    pub reason: String,
    pub message: String,
    pub info: bool,
}

impl Cond {
    pub fn ok(kind: &'static str, info: bool) -> Cond {
        Cond {
            kind,
            status: "True",
            reason: String::new(),
            message: String::new(),
            info,
        }
    }

    pub fn no(kind: &'static str, reason: &str, message: &str, info: bool) -> Cond {
        Cond {
            kind,
            status: "False",
            reason: reason.to_string(),
            message: message.to_string(),
            info,
        }
    }

    pub fn unknown(kind: &'static str, reason: &str, message: &str, info: bool) -> Cond {
        Cond {
            kind,
            status: "Unknown",
            reason: reason.to_string(),
            message: message.to_string(),
            info,
        }
    }
}

/// Remembers when each condition last changed, so lastTransitionTime is honest.
#[derive(Debug, Clone, Default)]
pub struct Transitions(BTreeMap<&'static str, (&'static str, String)>);

impl Transitions {
    /// The conditions as JSON, sorted by type as KServe sorts them.
    pub fn render(&mut self, conds: &[Cond]) -> Value {
        let now = stamp(chrono::Utc::now());
        let mut out: Vec<(&'static str, Value)> = conds
            .iter()
            .map(|c| {
                let when = match self.0.get(c.kind) {
                    Some((status, when)) if *status == c.status => when.clone(),
                    _ => {
                        self.0.insert(c.kind, (c.status, now.clone()));
                        now.clone()
                    }
                };
                let mut v = json!({"type": c.kind, "status": c.status, "lastTransitionTime": when});
                if !c.reason.is_empty() {
                    v["reason"] = json!(c.reason);
                }
                if !c.message.is_empty() {
                    v["message"] = json!(c.message);
                }
                if c.info {
                    v["severity"] = json!("Info");
                }
                (c.kind, v)
            })
            .collect();
        out.sort_by_key(|(k, _)| *k);
        Value::Array(out.into_iter().map(|(_, v)| v).collect())
    }
}

/// The worst of several condition statuses (False beats Unknown beats True).
pub fn all(statuses: &[&'static str]) -> &'static str {
    if statuses.contains(&"False") {
        "False"
    } else if statuses.contains(&"Unknown") {
        "Unknown"
    } else {
        "True"
    }
}

/// `status.modelStatus`.
pub fn model_status(
    ready_copies: usize,
    total: usize,
    failure: Option<(&str, &str)>,
    loading: bool,
) -> Value {
    match failure {
        Some((location, message)) => json!({
            "transitionStatus": "BlockedByFailedLoad",
            "states": {"activeModelState": if ready_copies > 0 { "Loaded" } else { "" }, "targetModelState": "FailedToLoad"},
            "lastFailureInfo": {"reason": "ModelLoadFailed", "message": message, "location": location, "time": stamp(chrono::Utc::now())},
            "copies": {"failedCopies": total.saturating_sub(ready_copies).max(1), "totalCopies": total.max(1)}
        }),
        None if loading => json!({
            "transitionStatus": "InProgress",
            "states": {"activeModelState": if ready_copies > 0 { "Loaded" } else { "Pending" }, "targetModelState": "Loading"},
            "copies": {"failedCopies": 0, "totalCopies": total}
        }),
        None => json!({
            "transitionStatus": "UpToDate",
            "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
            "copies": {"failedCopies": 0, "totalCopies": ready_copies}
        }),
    }
}
