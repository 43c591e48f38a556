//! The pods of an LLMInferenceService: vLLM pods (container `main`, port 8000, GPUs) of the
//! main, worker and prefill workloads, and the scheduler (EPP) pod; their life (scheduled on
//! a GPU node with room, starting, loading the model, ready, terminating) and the Pod objects
//! and `main` logs they show, labelled as KServe labels them.

use crate::sim::clock::{SimClock, stamp};
use crate::sim::controller::Ctl;
use crate::sim::controller::events::{About, fxhash, record};
use crate::sim::resources;
use crate::sim::workload::Role;
use crate::sim::workload::llm::TokenProfile;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Which workload a pod belongs to (KServe's `app.kubernetes.io/component`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Worker,
    Prefill,
    PrefillWorker,
    Scheduler,
}

impl Part {
    pub fn component(self) -> &'static str {
        match self {
            Part::Main => "llminferenceservice-workload",
            Part::Worker => "llminferenceservice-workload-worker",
            Part::Prefill => "llminferenceservice-workload-prefill",
            Part::PrefillWorker => "llminferenceservice-workload-prefill-worker",
            Part::Scheduler => "llminferenceservice-router-scheduler",
        }
    }

    pub fn is_vllm(self) -> bool {
        self != Part::Scheduler
    }
}

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    Pending,
    Starting,
    Loading,
    Ready,
    Terminating,
    Gone,
}

/// What a vLLM pod serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Serving {
    pub model: String,
    pub adapters: Vec<String>,
    pub profile: TokenProfile,
    pub gpus: u32,
    pub node_type: Option<String>,
    /// Model memory per GPU, MiB.
    pub gpu_mem_mib: f64,
}

/// One pod of an LLM service.
#[derive(Debug, Clone)]
pub struct LlmPod {
    pub namespace: String,
    pub service: String,
    pub name: String,
    /// The place it fills (its first name: replacements get a suffix).
    pub slot: String,
    pub uid: String,
    pub part: Part,
    pub owner: (String, String),
    pub serving: Serving,
    pub life: Life,
    pub due: DateTime<Utc>,
    pub node: Option<String>,
    pub ip: String,
    pub gpu_uuids: Vec<String>,
    pub created: DateTime<Utc>,
}

impl LlmPod {
    pub fn ready(&self) -> bool {
        self.life == Life::Ready
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

    /// Places the pod on a GPU node with room (or any CPU node for the scheduler).
    fn schedule(&mut self, ctl: &Ctl, now: DateTime<Utc>) {
        let want = self.serving.gpus as usize;
        let node = ctl.nodes.iter().find(|n| {
            let type_ok = self
                .serving
                .node_type
                .as_ref()
                .is_none_or(|t| *t == n.instance_type);
            if want == 0 {
                n.gpus == 0 && type_ok
            } else {
                type_ok && ctl.workload.free_gpus(&n.name).len() >= want
            }
        });
        let Some(node) = node else {
            record(
                &ctl.store,
                &self.about(),
                true,
                "FailedScheduling",
                &format!(
                    "0/{} nodes are available: {} Insufficient nvidia.com/gpu.",
                    ctl.nodes.len(),
                    ctl.nodes.iter().filter(|n| n.gpus > 0).count()
                ),
                "default-scheduler",
            );
            self.due = now + ctl.clock.delay(15.0);
            return;
        };
        self.node = Some(node.name.clone());
        self.ip = format!("10.244.{}.{}", node.index, 2 + fxhash(&self.name) % 250);
        self.gpu_uuids = ctl
            .workload
            .free_gpus(&node.name)
            .into_iter()
            .take(want)
            .collect();
        let role = if self.part.is_vllm() {
            Role::Vllm {
                service: self.service.clone(),
                model: self.serving.model.clone(),
                profile: self.serving.profile,
                adapters: self.serving.adapters.clone(),
                gpu_mem_mib: self.serving.gpu_mem_mib,
                gpu_idle: 12.0,
                gpu_per_rps: 9.0,
            }
        } else {
            Role::Other
        };
        ctl.workload.add_pod(
            &self.namespace,
            &self.name,
            role,
            self.node.clone(),
            self.gpu_uuids.clone(),
            &["main"],
        );
        record(
            &ctl.store,
            &self.about(),
            false,
            "Scheduled",
            &format!(
                "Successfully assigned {}/{} to {}",
                self.namespace, self.name, node.name
            ),
            "default-scheduler",
        );
        self.life = Life::Starting;
        self.due = now + ctl.clock.delay(1.5);
    }

    fn log(&self, ctl: &Ctl, now: DateTime<Utc>, text: &str) {
        let stamp = now.format("%m-%d %H:%M:%S");
        ctl.workload.log(
            &self.namespace,
            &self.name,
            "main",
            format!("INFO {stamp} {text}"),
        );
    }

    /// Moves the pod along if due; true when it changed.
    pub fn step(&mut self, ctl: &Ctl, now: DateTime<Utc>) -> bool {
        if now < self.due || matches!(self.life, Life::Ready | Life::Gone) {
            return false;
        }
        match self.life {
            Life::Pending => {
                self.schedule(ctl, now);
                if self.node.is_none() {
                    return false;
                }
            }
            Life::Starting => {
                if self.part.is_vllm() {
                    let m = &self.serving.model;
                    self.log(
                        ctl,
                        now,
                        "[api_server.py:1287] vLLM API server version 0.11.0",
                    );
                    self.log(ctl, now, &format!("[utils.py:326] non-default args: {{'model': '{m}', 'port': 8000, 'enable_lora': {}}}", if self.serving.adapters.is_empty() { "False" } else { "True" }));
                    self.log(ctl, now, &format!("[core.py:77] Initializing a V1 LLM engine (v0.11.0) with config: model='{m}', dtype=torch.bfloat16, tensor_parallel_size={}", self.serving.gpus.max(1)));
                } else {
                    ctl.workload.log(&self.namespace, &self.name, "main", "{\"level\":\"info\",\"msg\":\"Starting endpoint picker (EPP)\",\"grpcPort\":9002}");
                }
                self.life = Life::Loading;
                self.due = now + ctl.clock.delay(if self.part.is_vllm() { 6.0 } else { 1.0 });
            }
            Life::Loading => {
                if self.part.is_vllm() {
                    self.log(ctl, now, &format!("[gpu_model_runner.py:2007] Model loading took {:.4} GiB and 41.2 seconds", self.serving.gpu_mem_mib / 1024.0 * 0.6));
                    self.log(
                        ctl,
                        now,
                        "[kv_cache_utils.py:868] GPU KV cache size: 412,896 tokens",
                    );
                    for a in &self.serving.adapters {
                        self.log(
                            ctl,
                            now,
                            &format!("[serving_models.py:163] Loaded new LoRA adapter: name '{a}'"),
                        );
                    }
                    self.log(ctl, now, "[launcher.py:28] Available routes are: /v1/models, /v1/chat/completions, /v1/completions, /metrics, /health");
                    ctl.workload.log(
                        &self.namespace,
                        &self.name,
                        "main",
                        "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
                    );
                }
                ctl.workload.set_ready(&self.namespace, &self.name, true);
                self.life = Life::Ready;
            }
            Life::Terminating => {
                ctl.workload.remove_pod(&self.namespace, &self.name);
                if let Some(r) = resources::find("", "v1", "pods") {
                    ctl.store.delete(r, &self.namespace, &self.name);
                }
                self.life = Life::Gone;
                return true;
            }
            Life::Ready | Life::Gone => {}
        }
        true
    }

    /// Starts terminating the pod (gone after a grace period).
    pub fn terminate(&mut self, ctl: &Ctl, clock: &SimClock, now: DateTime<Utc>) {
        if matches!(self.life, Life::Terminating | Life::Gone) {
            return;
        }
        ctl.workload.set_ready(&self.namespace, &self.name, false);
        self.log(
            ctl,
            now,
            "[launcher.py:99] Shutting down FastAPI HTTP server.",
        );
        if self.node.is_none() {
            if let Some(r) = resources::find("", "v1", "pods") {
                ctl.store.delete(r, &self.namespace, &self.name);
            }
            self.life = Life::Gone;
            return;
        }
        self.life = Life::Terminating;
        self.due = now + clock.delay(3.0);
        ctl.store_pod(&self.render(Some(now)));
    }

    /// The Pod object.
    pub fn render(&self, deleting: Option<DateTime<Utc>>) -> Value {
        let started = stamp(self.created);
        let ready = self.ready();
        let scheduled = self.node.is_some();
        let (phase, state) = match self.life {
            Life::Pending => (
                "Pending",
                json!({"waiting": {"reason": "ContainerCreating"}}),
            ),
            Life::Starting => (
                "Pending",
                json!({"waiting": {"reason": "ContainerCreating"}}),
            ),
            _ => ("Running", json!({"running": {"startedAt": started}})),
        };
        let (image, ports, resources) = if self.part.is_vllm() {
            let mut limits = json!({"cpu": "8", "memory": "64Gi"});
            if self.serving.gpus > 0 {
                limits["nvidia.com/gpu"] = json!(self.serving.gpus.to_string());
            }
            (
                "ghcr.io/llm-d/llm-d:v0.3.0",
                json!([{"containerPort": 8000, "name": "http", "protocol": "TCP"}]),
                json!({"limits": limits.clone(), "requests": limits}),
            )
        } else {
            (
                "ghcr.io/llm-d/llm-d-inference-scheduler:v0.3.0",
                json!([{"containerPort": 9002, "name": "grpc", "protocol": "TCP"}, {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}]),
                json!({"requests": {"cpu": "256m", "memory": "500Mi"}}),
            )
        };
        let mut spec = json!({"containers": [{"name": "main", "image": image, "ports": ports, "resources": resources}],
            "restartPolicy": "Always", "serviceAccountName": "default", "terminationGracePeriodSeconds": 30});
        if let Some(n) = &self.node {
            spec["nodeName"] = json!(n);
        }
        if let Some(t) = &self.serving.node_type {
            spec["nodeSelector"] = json!({"node.kubernetes.io/instance-type": t});
        }
        let mut status = json!({"phase": phase, "qosClass": "Guaranteed",
            "conditions": [
                {"type": "PodScheduled", "status": if scheduled { "True" } else { "False" }, "lastTransitionTime": started},
                {"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": started},
                {"type": "ContainersReady", "status": if ready { "True" } else { "False" }, "lastTransitionTime": started}]});
        if scheduled {
            status["containerStatuses"] = json!([{"name": "main", "ready": ready, "restartCount": 0, "state": state, "image": image, "imageID": "", "started": ready}]);
            status["podIP"] = json!(self.ip);
            status["startTime"] = json!(started);
        }
        let mut meta = json!({"name": self.name, "namespace": self.namespace, "uid": self.uid,
            "creationTimestamp": started,
            "labels": {"app.kubernetes.io/name": self.service, "app.kubernetes.io/part-of": "llminferenceservice",
                "app.kubernetes.io/component": self.part.component(), "kserve.io/component": "workload"},
            "ownerReferences": [{"apiVersion": if self.owner.0 == "LeaderWorkerSet" { "leaderworkerset.x-k8s.io/v1" } else { "apps/v1" },
                "kind": self.owner.0, "name": self.owner.1, "uid": "", "controller": true}]});
        if self.part.is_vllm() {
            meta["annotations"] = json!({"prometheus.io/port": "8000", "prometheus.io/path": "/metrics", "prometheus.io/scrape": "true"});
        }
        if self.part == Part::Scheduler {
            meta["labels"]["kserve.io/component"] = json!("router-scheduler");
        }
        if let Some(t) = deleting {
            meta["deletionTimestamp"] = json!(stamp(t));
        }
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status})
    }
}

impl Ctl {
    /// Writes a Pod object.
    pub fn store_pod(&self, pod: &Value) {
        if let Some(r) = resources::find("", "v1", "pods") {
            self.store.put(r, pod.clone());
        }
    }
}
