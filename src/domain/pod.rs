//! Pods as the console reads them: which service, component and revision they serve
//! (KServe and Knative labels, FACTS.md §d), their containers' state, node, GPUs, and the
//! STATUS word kubectl would print.

use super::intern::SharedPool;
use super::json::{array_at, int_at, str_at};
use super::k8s::{Meta, gpus_in_resources};
use serde_json::Value;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

pub const ISVC_LABEL: &str = "serving.kserve.io/inferenceservice";
pub const GRAPH_LABEL: &str = "serving.kserve.io/inferencegraph";
pub const COMPONENT_LABEL: &str = "component";
pub const REVISION_LABEL: &str = "serving.knative.dev/revision";

/// A container's current state. Reasons repeat across pods (`ContainerCreating`,
/// `Completed` …) and are shared (domain::intern); a message is the pod's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum RunState {
    Running,
    Waiting {
        reason: Arc<str>,
        message: Box<str>,
    },
    Terminated {
        reason: Arc<str>,
        exit_code: i64,
    },
    #[default]
    Unknown,
}

/// One container (or init container) of a pod. Thousands of pods run the same few
/// containers, so the strings they repeat are shared (domain::intern) and nothing has
/// room to grow: at 2,000 services a pod's containers took about 530 bytes with `String`s
/// and `Vec`s.
#[derive(Debug, Clone, Default)]
pub struct Container {
    /// Shared between the pods running it (domain::intern).
    pub name: Arc<str>,
    /// Shared between the pods running it (domain::intern).
    pub image: Arc<str>,
    pub ready: bool,
    pub restarts: i64,
    pub state: RunState,
    /// Why the previous instance ended (`OOMKilled`, `Error` …), if it restarted.
    pub last_terminated: Option<Arc<str>>,
    pub ports: Box<[u16]>,
    pub gpus: f64,
    /// CPU request in millicores, when set.
    pub cpu_request_millis: Option<u64>,
}

// Equality and hashing read the GPU count by its bits, so that equal containers are one
// pooled list's members even when a quantity reads as NaN.
impl PartialEq for Container {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.image == other.image
            && self.ready == other.ready
            && self.restarts == other.restarts
            && self.state == other.state
            && self.last_terminated == other.last_terminated
            && self.ports == other.ports
            && self.gpus.to_bits() == other.gpus.to_bits()
            && self.cpu_request_millis == other.cpu_request_millis
    }
}

impl Eq for Container {}

impl Hash for Container {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.name.hash(h);
        self.image.hash(h);
        self.ready.hash(h);
        self.restarts.hash(h);
        self.state.hash(h);
        self.last_terminated.hash(h);
        self.ports.hash(h);
        self.gpus.to_bits().hash(h);
        self.cpu_request_millis.hash(h);
    }
}

/// A pod's containers (or init containers), as one list shared between the pods whose
/// containers stand the same way: the pods of one revision run the same images, and most
/// are ready with as many restarts, so 30,000 pods hold a few hundred lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Containers(Arc<[Container]>);

static CONTAINER_LISTS: SharedPool<[Container]> = SharedPool::new();

impl Containers {
    /// The shared list of these containers.
    pub fn share(list: &[Container]) -> Containers {
        Containers(CONTAINER_LISTS.share(list, |l| Arc::from(l)))
    }
}

impl std::ops::Deref for Containers {
    type Target = [Container];

    fn deref(&self) -> &[Container] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Containers {
    type Item = &'a Container;
    type IntoIter = std::slice::Iter<'a, Container>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A pod, compactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pod {
    pub meta: Meta,
    pub phase: String,
    pub reason: Option<String>,
    pub node: Option<String>,
    pub ip: Option<String>,
    pub containers: Containers,
    pub init_containers: Containers,
    /// The scheduler's message when the pod cannot be placed.
    pub unschedulable: Option<String>,
}

fn parse_containers(value: &Value, spec_key: &str, status_key: &str) -> Containers {
    let statuses = array_at(value, &["status", status_key]);
    let list: Vec<Container> = array_at(value, &["spec", spec_key])
        .iter()
        .map(|c| {
            let name = super::intern::intern(str_at(c, &["name"]).unwrap_or(""));
            let status = statuses
                .iter()
                .find(|s| str_at(s, &["name"]) == Some(&*name));
            let state = status.and_then(|s| s.get("state")).map(|state| {
                if state.get("running").is_some() {
                    RunState::Running
                } else if let Some(w) = state.get("waiting") {
                    RunState::Waiting {
                        reason: super::intern::intern(str_at(w, &["reason"]).unwrap_or("Waiting")),
                        message: str_at(w, &["message"]).unwrap_or("").into(),
                    }
                } else if let Some(t) = state.get("terminated") {
                    RunState::Terminated {
                        reason: super::intern::intern(str_at(t, &["reason"]).unwrap_or("")),
                        exit_code: int_at(t, &["exitCode"]).unwrap_or(0),
                    }
                } else {
                    RunState::Unknown
                }
            });
            Container {
                image: super::intern::intern(str_at(c, &["image"]).unwrap_or("")),
                ready: status
                    .and_then(|s| s.get("ready"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                restarts: status
                    .and_then(|s| int_at(s, &["restartCount"]))
                    .unwrap_or(0),
                state: state.unwrap_or_default(),
                last_terminated: status
                    .and_then(|s| str_at(s, &["lastState", "terminated", "reason"]))
                    .map(super::intern::intern),
                ports: array_at(c, &["ports"])
                    .iter()
                    .filter_map(|p| {
                        int_at(p, &["containerPort"]).and_then(|n| u16::try_from(n).ok())
                    })
                    .collect(),
                gpus: c.get("resources").map(gpus_in_resources).unwrap_or(0.0),
                cpu_request_millis: c
                    .get("resources")
                    .and_then(|r| r.get("requests"))
                    .and_then(|r| r.get("cpu"))
                    .and_then(super::k8s::quantity_value)
                    .map(|cores| (cores * 1000.0).round() as u64),
                name,
            }
        })
        .collect();
    Containers::share(&list)
}

impl Pod {
    /// Reads a pod from its JSON. Never fails.
    pub fn parse(value: &Value) -> Pod {
        let unschedulable = array_at(value, &["status", "conditions"])
            .iter()
            .find(|c| {
                str_at(c, &["type"]) == Some("PodScheduled")
                    && str_at(c, &["status"]) == Some("False")
            })
            .map(|c| {
                str_at(c, &["message"])
                    .or_else(|| str_at(c, &["reason"]))
                    .unwrap_or("Unschedulable")
                    .to_string()
            });
        Pod {
            meta: Meta::parse(value),
            phase: str_at(value, &["status", "phase"])
                .unwrap_or("Unknown")
                .to_string(),
            reason: str_at(value, &["status", "reason"]).map(str::to_string),
            node: str_at(value, &["spec", "nodeName"]).map(str::to_string),
            ip: str_at(value, &["status", "podIP"]).map(str::to_string),
            containers: parse_containers(value, "containers", "containerStatuses"),
            init_containers: parse_containers(value, "initContainers", "initContainerStatuses"),
            unschedulable,
        }
    }

    pub fn isvc(&self) -> Option<&str> {
        self.meta.label(ISVC_LABEL)
    }

    pub fn component(&self) -> Option<&str> {
        self.meta.label(COMPONENT_LABEL)
    }

    pub fn revision(&self) -> Option<&str> {
        self.meta.label(REVISION_LABEL)
    }

    /// Ready containers / containers, as kubectl's READY column.
    pub fn ready_counts(&self) -> (usize, usize) {
        (
            self.containers.iter().filter(|c| c.ready).count(),
            self.containers.len(),
        )
    }

    pub fn is_ready(&self) -> bool {
        let (ready, total) = self.ready_counts();
        total > 0 && ready == total && self.phase == "Running" && !self.meta.deleting
    }

    /// Restarts as kubectl's RESTARTS column counts them: the init containers' while the pod
    /// is still initialising, the regular containers' once it is not (an init container that
    /// retried and then completed no longer counts).
    pub fn restarts(&self) -> i64 {
        let initialising = self.status_word().starts_with("Init:");
        let counted = match initialising {
            true => &self.init_containers,
            false => &self.containers,
        };
        counted.iter().map(|c| c.restarts).sum()
    }

    /// CPU requested by the pod's containers, in millicores (None when no container sets it).
    pub fn cpu_request_millis(&self) -> Option<u64> {
        let set: Vec<u64> = self
            .containers
            .iter()
            .filter_map(|c| c.cpu_request_millis)
            .collect();
        (!set.is_empty()).then(|| set.iter().sum())
    }

    /// GPUs requested by the pod's containers.
    pub fn gpus(&self) -> f64 {
        self.containers.iter().map(|c| c.gpus).sum()
    }

    /// The STATUS word kubectl prints: `Running`, `Pending`, `CrashLoopBackOff`,
    /// `Init:CrashLoopBackOff`, `Init:1/2`, `OOMKilled`, `Terminating` …
    pub fn status_word(&self) -> String {
        if self.meta.deleting {
            return "Terminating".to_string();
        }
        let total_init = self.init_containers.len();
        for (i, c) in self.init_containers.iter().enumerate() {
            match &c.state {
                RunState::Terminated { exit_code: 0, .. } => continue,
                RunState::Terminated { reason, exit_code } => {
                    return if reason.is_empty() {
                        format!("Init:ExitCode:{exit_code}")
                    } else {
                        format!("Init:{reason}")
                    };
                }
                RunState::Waiting { reason, .. } if &**reason != "PodInitializing" => {
                    return format!("Init:{reason}");
                }
                // No status yet: kubectl reads only the statuses there are.
                RunState::Unknown => continue,
                _ => return format!("Init:{i}/{total_init}"),
            }
        }
        for c in &self.containers {
            match &c.state {
                RunState::Waiting { reason, .. } => return reason.to_string(),
                RunState::Terminated { reason, exit_code } => {
                    return if reason.is_empty() {
                        format!("ExitCode:{exit_code}")
                    } else {
                        reason.to_string()
                    };
                }
                _ => {}
            }
        }
        if let Some(reason) = &self.reason {
            return reason.clone();
        }
        if self.phase == "Running" && !self.is_ready() {
            return "Running".to_string();
        }
        self.phase.clone()
    }

    /// The metrics port and path annotations (`prometheus.kserve.io/*`, `prometheus.io/*`).
    pub fn metrics_annotation(&self) -> Option<(u16, String)> {
        for prefix in ["prometheus.kserve.io", "prometheus.io"] {
            if let Some(port) = self
                .meta
                .annotation(&format!("{prefix}/port"))
                .and_then(|p| p.parse().ok())
            {
                let path = self
                    .meta
                    .annotation(&format!("{prefix}/path"))
                    .unwrap_or("/metrics")
                    .to_string();
                return Some((port, path));
            }
        }
        None
    }

    /// Whether the pod has a container named `name`.
    pub fn has_container(&self, name: &str) -> bool {
        self.containers.iter().any(|c| &*c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: Value) -> Pod {
        Pod::parse(&json!({
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ml", "labels": {
                "serving.kserve.io/inferenceservice": "iris", "component": "predictor",
                "serving.knative.dev/revision": "iris-predictor-00002"}},
            "spec": {"nodeName": "n1",
                "initContainers": [{"name": "storage-initializer"}],
                "containers": [{"name": "kserve-container", "ports": [{"containerPort": 8080}],
                                "resources": {"limits": {"nvidia.com/gpu": "1"}}},
                               {"name": "queue-proxy", "ports": [{"containerPort": 9091}]}]},
            "status": status
        }))
    }

    #[test]
    fn a_running_pod() {
        let p = pod(json!({"phase": "Running",
            "initContainerStatuses": [{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
            "containerStatuses": [
                {"name": "kserve-container", "ready": true, "restartCount": 1, "state": {"running": {}},
                 "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}},
                {"name": "queue-proxy", "ready": true, "state": {"running": {}}}]}));
        assert_eq!(p.isvc(), Some("iris"));
        assert_eq!(p.revision(), Some("iris-predictor-00002"));
        assert_eq!(p.ready_counts(), (2, 2));
        assert!(p.is_ready());
        assert_eq!(p.status_word(), "Running");
        assert_eq!(p.restarts(), 1);
        assert_eq!(p.gpus(), 1.0);
        assert_eq!(
            p.containers[0].last_terminated.as_deref(),
            Some("OOMKilled")
        );
        assert_eq!(&*p.containers[0].ports, [8080]);
    }

    #[test]
    fn kubectl_status_words() {
        let crash_init = pod(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "storage-initializer", "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
        assert_eq!(crash_init.status_word(), "Init:CrashLoopBackOff");
        let pending = pod(
            json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
            "reason": "Unschedulable", "message": "0/5 nodes are available: 5 Insufficient nvidia.com/gpu."}]}),
        );
        // kubectl prints the phase while no container has a status yet.
        assert_eq!(pending.status_word(), "Pending");
        let creating = pod(json!({"phase": "Pending",
            "initContainerStatuses": [{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [{"name": "kserve-container", "state": {"waiting": {"reason": "ContainerCreating"}}}]}));
        assert_eq!(creating.status_word(), "ContainerCreating");
        assert!(
            pending
                .unschedulable
                .as_deref()
                .unwrap()
                .contains("Insufficient nvidia.com/gpu")
        );
        let crash = pod(json!({"phase": "Running",
            "initContainerStatuses": [{"name": "storage-initializer", "state": {"terminated": {"exitCode": 0}}}],
            "containerStatuses": [{"name": "kserve-container", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}));
        assert_eq!(crash.status_word(), "CrashLoopBackOff");
        assert!(!crash.is_ready());
    }

    #[test]
    fn pods_whose_containers_stand_alike_share_one_list() {
        let running = |restarts: i64| {
            json!({"phase": "Running",
                "initContainerStatuses": [{"name": "storage-initializer",
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                "containerStatuses": [
                    {"name": "kserve-container", "ready": true, "restartCount": restarts,
                     "state": {"running": {}}},
                    {"name": "queue-proxy", "ready": true, "state": {"running": {}}}]})
        };
        let (a, b) = (pod(running(0)), pod(running(0)));
        assert!(std::ptr::eq(&*a.containers, &*b.containers));
        assert!(std::ptr::eq(&*a.init_containers, &*b.init_containers));
        // A pod whose container restarted has a list of its own; the others' is unchanged.
        let restarted = pod(running(2));
        assert!(!std::ptr::eq(&*a.containers, &*restarted.containers));
        assert_eq!(restarted.restarts(), 2);
        assert_eq!(a.restarts(), 0);
        assert_eq!(a.containers.len(), 2);
        assert_eq!(&*a.containers[1].name, "queue-proxy");
        let names: Vec<&str> = (&b.containers).into_iter().map(|c| &*c.name).collect();
        assert_eq!(names, ["kserve-container", "queue-proxy"]);
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            json!(null),
            json!({"spec": {"containers": "x"}}),
            json!({"status": {"containerStatuses": [1, 2]}}),
        ] {
            let p = Pod::parse(&v);
            let _ = p.status_word();
        }
    }
}
