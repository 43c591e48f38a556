//! The simulated API server's own reading of a pod's status: kubectl's READY, STATUS and
//! RESTARTS columns (after kubectl's `printPod`, which walks the container *statuses*, the
//! regular ones last to first), and the container states the `log` subresource checks.
//!
//! Deliberately independent of the console's `domain::pod`: `tests/sim_fidelity.rs` runs the
//! same pods through both and fails where they disagree.

use serde_json::Value;

/// What a container status says, as far as the API server cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Running,
    /// Waiting, with its reason (`ContainerCreating` when the status gives none).
    Waiting(String),
    Terminated {
        reason: String,
        exit_code: i64,
        signal: i64,
    },
    /// No status (yet) for this container.
    Unknown,
}

/// One container of the pod: its name from the spec, its state and restarts from the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    pub name: String,
    pub state: ContainerState,
    pub restarts: i64,
}

/// kubectl's columns for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodColumns {
    pub ready: usize,
    pub total: usize,
    pub status: String,
    pub restarts: i64,
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, a: &str, b: &str) -> &'a [Value] {
    v.get(a)
        .and_then(|x| x.get(b))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn state_of(status: &Value) -> ContainerState {
    let state = &status["state"];
    if state.get("running").is_some_and(Value::is_object) {
        ContainerState::Running
    } else if let Some(t) = state.get("terminated").filter(|t| t.is_object()) {
        ContainerState::Terminated {
            reason: text(t, "reason").to_string(),
            exit_code: t["exitCode"].as_i64().unwrap_or(0),
            signal: t["signal"].as_i64().unwrap_or(0),
        }
    } else if let Some(w) = state.get("waiting").filter(|w| w.is_object()) {
        ContainerState::Waiting(text(w, "reason").to_string())
    } else {
        ContainerState::Unknown
    }
}

fn restarts_of(status: &Value) -> i64 {
    status["restartCount"].as_i64().unwrap_or(0)
}

/// The containers (or init containers) the spec names, each with its status if it has one.
pub fn containers(pod: &Value, init: bool) -> Vec<ContainerView> {
    let (spec_key, status_key) = match init {
        true => ("initContainers", "initContainerStatuses"),
        false => ("containers", "containerStatuses"),
    };
    let statuses = list(pod, "status", status_key);
    list(pod, "spec", spec_key)
        .iter()
        .map(|c| {
            let name = text(c, "name").to_string();
            let status = statuses.iter().find(|s| text(s, "name") == name);
            ContainerView {
                state: status.map_or(ContainerState::Unknown, state_of),
                restarts: status.map_or(0, restarts_of),
                name,
            }
        })
        .collect()
}

fn condition_true(pod: &Value, kind: &str) -> bool {
    list(pod, "status", "conditions")
        .iter()
        .any(|c| text(c, "type") == kind && text(c, "status") == "True")
}

/// The STATUS reason the init containers give, if the pod is still initialising.
fn init_reason(pod: &Value) -> Option<String> {
    let total = list(pod, "spec", "initContainers").len();
    for (i, status) in list(pod, "status", "initContainerStatuses")
        .iter()
        .enumerate()
    {
        match state_of(status) {
            ContainerState::Terminated { exit_code: 0, .. } => continue,
            ContainerState::Terminated {
                reason,
                exit_code,
                signal,
            } => {
                return Some(match (reason.is_empty(), signal) {
                    (false, _) => format!("Init:{reason}"),
                    (true, 0) => format!("Init:ExitCode:{exit_code}"),
                    (true, s) => format!("Init:Signal:{s}"),
                });
            }
            ContainerState::Waiting(reason)
                if !reason.is_empty() && reason != "PodInitializing" =>
            {
                return Some(format!("Init:{reason}"));
            }
            _ => return Some(format!("Init:{i}/{total}")),
        }
    }
    None
}

/// kubectl's READY, STATUS and RESTARTS for a pod object.
pub fn columns(pod: &Value) -> PodColumns {
    let status = &pod["status"];
    let mut reason = match text(status, "reason") {
        "" => match text(status, "phase") {
            "" => "Unknown".to_string(),
            phase => phase.to_string(),
        },
        r => r.to_string(),
    };
    let inits = list(pod, "status", "initContainerStatuses");
    let mut restarts: i64 = inits.iter().map(restarts_of).sum();
    let mut ready = 0;
    let initialising = init_reason(pod);
    if let Some(r) = &initialising {
        reason = r.clone();
    }
    if initialising.is_none() || condition_true(pod, "Initialized") {
        restarts = 0;
        let mut running = false;
        for c in list(pod, "status", "containerStatuses").iter().rev() {
            restarts += restarts_of(c);
            match state_of(c) {
                ContainerState::Waiting(r) if !r.is_empty() => reason = r,
                ContainerState::Terminated { reason: r, .. } if !r.is_empty() => reason = r,
                ContainerState::Terminated {
                    exit_code, signal, ..
                } => {
                    reason = match signal {
                        0 => format!("ExitCode:{exit_code}"),
                        s => format!("Signal:{s}"),
                    }
                }
                ContainerState::Running if c["ready"].as_bool() == Some(true) => {
                    running = true;
                    ready += 1;
                }
                _ => {}
            }
        }
        if reason == "Completed" && running {
            reason = match condition_true(pod, "Ready") {
                true => "Running".to_string(),
                false => "NotReady".to_string(),
            };
        }
    }
    let deleting = pod["metadata"]
        .get("deletionTimestamp")
        .is_some_and(|t| !t.is_null());
    let terminal = matches!(text(status, "phase"), "Succeeded" | "Failed");
    if deleting && text(status, "reason") == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && !terminal {
        reason = "Terminating".to_string();
    }
    PodColumns {
        ready,
        total: list(pod, "spec", "containers").len(),
        status: reason,
        restarts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: Value) -> Value {
        json!({
            "metadata": {"name": "p"},
            "spec": {"initContainers": [{"name": "init"}],
                     "containers": [{"name": "a"}, {"name": "b"}]},
            "status": status
        })
    }

    #[test]
    fn kubectl_columns() {
        let running = pod(json!({"phase": "Running",
            "initContainerStatuses": [{"name": "init", "restartCount": 2, "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}}},
                {"name": "b", "ready": false, "state": {"running": {}}}]}));
        assert_eq!(
            columns(&running),
            PodColumns {
                ready: 1,
                total: 2,
                status: "Running".into(),
                restarts: 1
            }
        );
        let creating = pod(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]}));
        assert_eq!(columns(&creating).status, "ContainerCreating");
        let init = pod(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
        assert_eq!(columns(&init).status, "Init:CrashLoopBackOff");
        assert_eq!(columns(&init).restarts, 4);
        let init_running = pod(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "init", "state": {"running": {}}}]}));
        assert_eq!(columns(&init_running).status, "Init:0/1");
        let oom = pod(json!({"phase": "Running",
            "containerStatuses": [{"name": "a", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}));
        assert_eq!(columns(&oom).status, "OOMKilled");
        let mut deleting = running.clone();
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(columns(&deleting).status, "Terminating");
        assert_eq!(columns(&json!(null)).status, "Unknown");
    }

    #[test]
    fn containers_come_from_the_spec_with_their_status() {
        let p = pod(json!({"containerStatuses": [
            {"name": "b", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
        let cs = containers(&p, false);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].state, ContainerState::Unknown);
        assert_eq!(
            cs[1].state,
            ContainerState::Waiting("CrashLoopBackOff".into())
        );
        assert_eq!(cs[1].restarts, 3);
        assert_eq!(containers(&p, true)[0].name, "init");
    }
}
