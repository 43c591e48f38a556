//! Simulated pods of a revision or ReplicaSet and their life: scheduling (GPU capacity per
//! node; `Insufficient nvidia.com/gpu` when none fits), the storage-initializer downloading
//! the model (or failing and crash-looping with back-off for a missing bucket), the model
//! server starting and loading the model, readiness, and termination. Every step updates
//! the Pod object, the container logs and the Events, as kubelet and the scheduler would.

use super::events::{About, record};
use crate::sim::clock::{SimClock, stamp};
use crate::sim::resources;
use crate::sim::store::Store;
use crate::sim::workload::latency::Profile;
use crate::sim::workload::{Role, Workload};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Unschedulable,
    Init,
    InitBackoff,
    Starting,
    Loading,
    Ready,
    Terminating,
    Gone,
}

/// What a pod runs.
#[derive(Debug, Clone)]
pub struct PodPlan {
    pub isvc: String,
    pub component: String,
    /// The Knative revision, when in Knative mode.
    pub revision: Option<String>,
    /// Extra labels (Standard mode `app`, the ReplicaSet's hash).
    pub labels: BTreeMap<String, String>,
    pub storage_uri: Option<String>,
    pub model: String,
    pub image: String,
    pub gpus: u32,
    pub node_selector: Option<String>,
    pub queue_proxy: bool,
    pub agent: bool,
    pub profile: Profile,
    pub download_fails: bool,
    pub load_seconds: f64,
    pub gpu_mem_mib: f64,
    pub cpu: String,
    pub memory: String,
    /// Owner reference (kind, name).
    pub owner: (String, String),
}

/// One pod the controller runs.
#[derive(Debug, Clone)]
pub struct SimPod {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub plan: PodPlan,
    pub stage: Stage,
    pub due: DateTime<Utc>,
    pub node: Option<String>,
    pub ip: String,
    pub gpu_uuids: Vec<String>,
    pub init_restarts: u32,
    pub unschedulable_message: String,
    pub created: DateTime<Utc>,
}

/// The nodes pods can go to.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub name: String,
    pub instance_type: String,
    pub gpus: u32,
    pub index: u32,
}

/// A 5-character suffix like the ones Kubernetes generates, stable for a seed.
pub fn suffix(seed: &str) -> String {
    let h = super::events::fxhash(seed);
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

/// A pod name the way a Deployment's ReplicaSet would make it.
pub fn pod_name(owner: &str, seq: u64) -> String {
    format!(
        "{owner}-{}-{}",
        suffix(owner),
        suffix(&format!("{owner}{seq}"))
    )
}

impl SimPod {
    pub fn new(namespace: &str, name: String, plan: PodPlan, now: DateTime<Utc>) -> SimPod {
        SimPod {
            namespace: namespace.to_string(),
            uid: String::new(),
            name,
            plan,
            stage: Stage::Unschedulable,
            due: now,
            node: None,
            ip: String::new(),
            gpu_uuids: Vec::new(),
            init_restarts: 0,
            unschedulable_message: String::new(),
            created: now,
        }
    }

    fn about(&self) -> About<'_> {
        About {
            kind: "Pod",
            api_version: "v1",
            namespace: &self.namespace,
            name: &self.name,
            uid: &self.uid,
        }
    }

    fn containers(&self) -> Vec<&'static str> {
        let mut c = vec!["kserve-container"];
        if self.plan.queue_proxy {
            c.push("queue-proxy");
        }
        if self.plan.agent {
            c.push("agent");
        }
        c
    }

    pub fn is_ready(&self) -> bool {
        self.stage == Stage::Ready
    }

    /// Tries to place the pod on a node with room (GPUs, and the node selector).
    pub fn schedule(
        &mut self,
        nodes: &[NodeInfo],
        workload: &Workload,
        store: &Store,
        clock: &SimClock,
        now: DateTime<Utc>,
    ) {
        let candidates: Vec<&NodeInfo> = nodes
            .iter()
            .filter(|n| {
                self.plan
                    .node_selector
                    .as_ref()
                    .is_none_or(|s| *s == n.instance_type)
            })
            .filter(|n| (self.plan.gpus > 0) == (n.gpus > 0))
            .collect();
        let fits = candidates.iter().find(|n| {
            self.plan.gpus == 0 || workload.free_gpus(&n.name).len() >= self.plan.gpus as usize
        });
        match fits {
            Some(node) => {
                self.node = Some(node.name.clone());
                self.ip = format!(
                    "10.244.{}.{}",
                    node.index,
                    2 + super::events::fxhash(&self.name) % 250
                );
                if self.plan.gpus > 0 {
                    self.gpu_uuids = workload
                        .free_gpus(&node.name)
                        .into_iter()
                        .take(self.plan.gpus as usize)
                        .collect();
                }
                record(
                    store,
                    &self.about(),
                    false,
                    "Scheduled",
                    &format!(
                        "Successfully assigned {}/{} to {}",
                        self.namespace, self.name, node.name
                    ),
                    "default-scheduler",
                );
                self.stage = if self.plan.storage_uri.is_some() {
                    Stage::Init
                } else {
                    Stage::Starting
                };
                self.due = now + clock.delay(1.5);
                workload.add_pod(
                    &self.namespace,
                    &self.name,
                    self.role(),
                    self.node.clone(),
                    self.gpu_uuids.clone(),
                    &self.all_containers(),
                );
                if let Some(uri) = &self.plan.storage_uri {
                    let ns = self.namespace.clone();
                    workload.log(
                        &ns,
                        &self.name,
                        "storage-initializer",
                        format!(
                            "INFO:root:Initializing, args: src_uri [{uri}] dest_path[ [/mnt/models]"
                        ),
                    );
                    workload.log(
                        &ns,
                        &self.name,
                        "storage-initializer",
                        format!("INFO:kserve.storage:Copying contents of {uri} to local"),
                    );
                }
            }
            None => {
                let total = nodes.len();
                // As the scheduler reports it: each node counted once, under the first filter it fails.
                let gpu_short = candidates
                    .iter()
                    .filter(|n| workload.free_gpus(&n.name).len() < self.plan.gpus as usize)
                    .count();
                let mismatch = total - candidates.len();
                let mut parts = Vec::new();
                if self.plan.gpus > 0 && gpu_short > 0 {
                    parts.push(format!("{gpu_short} Insufficient nvidia.com/gpu"));
                }
                if mismatch > 0 {
                    parts.push(format!(
                        "{mismatch} node(s) didn't match Pod's node affinity/selector"
                    ));
                }
                self.unschedulable_message = format!(
                    "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {total} No preemption victims found for incoming pod.",
                    parts.join(", ")
                );
                record(
                    store,
                    &self.about(),
                    true,
                    "FailedScheduling",
                    &self.unschedulable_message,
                    "default-scheduler",
                );
                self.stage = Stage::Unschedulable;
                self.due = now + clock.delay(15.0);
            }
        }
    }

    fn all_containers(&self) -> Vec<&'static str> {
        let mut all = self.containers();
        if self.plan.storage_uri.is_some() {
            all.push("storage-initializer");
        }
        all
    }

    fn role(&self) -> Role {
        Role::ModelServer {
            service: self.plan.isvc.clone(),
            revision: self
                .plan
                .revision
                .clone()
                .unwrap_or_else(|| self.plan.owner.1.clone()),
            model: self.plan.model.clone(),
            profile: self.plan.profile,
            queue_proxy: self.plan.queue_proxy,
            gpu_mem_mib: self.plan.gpu_mem_mib,
            gpu_idle: if self.plan.gpus > 0 { 8.0 } else { 0.0 },
            gpu_per_rps: if self.plan.gpus > 0 { 2.2 } else { 0.0 },
            explains: self.plan.component == "explainer",
            transformer: self.plan.component == "transformer",
        }
    }

    /// Moves the pod to its next stage if it is due. Returns true when something changed.
    /// What a container that starts writes: the storage initializer's last line, the model
    /// server's first ones, the queue proxy's start.
    fn log_started(&self, workload: &Workload, now: DateTime<Utc>) {
        let ns = &self.namespace;
        let model = &self.plan.model;
        workload.log(
            ns,
            &self.name,
            "kserve-container",
            format!("INFO:root:Copying model files from /mnt/models for model {model}"),
        );
        workload.log(
            ns,
            &self.name,
            "kserve-container",
            format!(
                "INFO:kserve:Loading model {model} ({})",
                if self.plan.gpus > 0 { "cuda:0" } else { "cpu" }
            ),
        );
        if self.plan.queue_proxy {
            workload.log(ns, &self.name, "queue-proxy", format!("{{\"severity\":\"INFO\",\"timestamp\":\"{}\",\"logger\":\"queueproxy\",\"message\":\"Starting queue-proxy\"}}", now.to_rfc3339()));
        }
    }

    /// What the model server writes once its model is loaded.
    fn log_loaded(&self, workload: &Workload) {
        let ns = &self.namespace;
        let model = &self.plan.model;
        workload.log(
            ns,
            &self.name,
            "kserve-container",
            format!("INFO:kserve:Registering model: {model}"),
        );
        workload.log(
            ns,
            &self.name,
            "kserve-container",
            "INFO:kserve:Setting max asyncio worker threads as 16",
        );
        workload.log(
            ns,
            &self.name,
            "kserve-container",
            "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)",
        );
    }

    /// A warm start (the pod is ready at once): its containers' logs hold what they would
    /// have written on the way, as `kubectl logs` of a long-running pod shows.
    pub fn log_warm_start(&self, workload: &Workload, now: DateTime<Utc>) {
        if let Some(uri) = &self.plan.storage_uri {
            workload.log(
                &self.namespace,
                &self.name,
                "storage-initializer",
                format!("INFO:kserve.storage:Successfully copied {uri} to /mnt/models"),
            );
        }
        self.log_started(workload, now);
        self.log_loaded(workload);
    }

    pub fn step(
        &mut self,
        nodes: &[NodeInfo],
        workload: &Workload,
        store: &Store,
        clock: &SimClock,
        now: DateTime<Utc>,
    ) -> bool {
        if now < self.due || matches!(self.stage, Stage::Ready | Stage::Gone) {
            return false;
        }
        let ns = self.namespace.clone();
        match self.stage {
            Stage::Unschedulable => self.schedule(nodes, workload, store, clock, now),
            Stage::Init | Stage::InitBackoff => {
                if self.plan.download_fails {
                    let uri = self.plan.storage_uri.clone().unwrap_or_default();
                    workload.log(
                        &ns,
                        &self.name,
                        "storage-initializer",
                        "Traceback (most recent call last):",
                    );
                    workload.log(&ns, &self.name, "storage-initializer", "  File \"/storage-initializer/scripts/initializer-entrypoint\", line 21, in <module>");
                    workload.log(&ns, &self.name, "storage-initializer", format!("RuntimeError: Failed to fetch model. No model found in {uri}: 404 The specified bucket does not exist."));
                    workload.restart(&ns, &self.name, "storage-initializer");
                    self.init_restarts += 1;
                    record(
                        store,
                        &self.about(),
                        true,
                        "BackOff",
                        "Back-off restarting failed container storage-initializer in pod",
                        "kubelet",
                    );
                    self.stage = Stage::InitBackoff;
                    let backoff = 10.0 * 2f64.powi(self.init_restarts.min(4) as i32);
                    self.due = now + clock.delay(backoff);
                    workload.log(
                        &ns,
                        &self.name,
                        "storage-initializer",
                        format!(
                            "INFO:root:Initializing, args: src_uri [{uri}] dest_path[ [/mnt/models]"
                        ),
                    );
                } else {
                    if let Some(uri) = &self.plan.storage_uri {
                        workload.log(
                            &ns,
                            &self.name,
                            "storage-initializer",
                            format!("INFO:kserve.storage:Successfully copied {uri} to /mnt/models"),
                        );
                    }
                    self.stage = Stage::Starting;
                    self.due = now + clock.delay(1.0);
                }
            }
            Stage::Starting => {
                record(
                    store,
                    &self.about(),
                    false,
                    "Pulled",
                    &format!(
                        "Container image \"{}\" already present on machine",
                        self.plan.image
                    ),
                    "kubelet",
                );
                record(
                    store,
                    &self.about(),
                    false,
                    "Started",
                    "Started container kserve-container",
                    "kubelet",
                );
                self.log_started(workload, now);
                self.stage = Stage::Loading;
                self.due = now + clock.delay(self.plan.load_seconds);
            }
            Stage::Loading => {
                self.log_loaded(workload);
                workload.set_ready(&ns, &self.name, true);
                self.stage = Stage::Ready;
            }
            Stage::Terminating => {
                workload.remove_pod(&ns, &self.name);
                if let Some(r) = resources::find("", "v1", "pods") {
                    store.delete(r, &ns, &self.name);
                }
                self.stage = Stage::Gone;
                return true;
            }
            Stage::Ready | Stage::Gone => {}
        }
        true
    }

    /// Starts terminating the pod (it disappears after a grace period).
    pub fn terminate(&mut self, workload: &Workload, clock: &SimClock, now: DateTime<Utc>) {
        if matches!(self.stage, Stage::Terminating | Stage::Gone) {
            return;
        }
        workload.set_ready(&self.namespace, &self.name, false);
        workload.log(
            &self.namespace,
            &self.name,
            "kserve-container",
            "INFO:     Shutting down",
        );
        self.stage = Stage::Terminating;
        self.due = now + clock.delay(3.0);
    }
}

mod render;
