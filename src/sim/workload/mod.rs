//! What runs inside the simulated pods: model servers taking traffic (request counters that
//! advance with simulated time, by each revision's latency and error profile), their
//! container logs (startup, model load, sampled access lines, errors for a bad revision),
//! DCGM exporters reporting the GPUs of their node, and what the pod proxy serves (metrics,
//! and the model servers' V1/V2 endpoints: `serve`).

pub mod latency;
pub mod llm;
pub mod logs;
pub mod metrics;
pub mod openai;
mod proxy;
pub mod serve;

use chrono::{DateTime, Utc};
use latency::Profile;
use logs::{ContainerLog, LogLine};
use metrics::Counters;
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use tokio::sync::broadcast;

/// A GPU of a node.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuSlot {
    pub index: u32,
    pub uuid: String,
    pub model: String,
    pub fb_total_mib: f64,
    pub tdp_w: f64,
}

/// What a pod does.
#[derive(Debug, Clone)]
pub enum Role {
    ModelServer {
        service: String,
        revision: String,
        model: String,
        profile: Profile,
        queue_proxy: bool,
        /// GPU memory the model takes, MiB (0 for CPU models).
        gpu_mem_mib: f64,
        /// GPU utilisation at idle and added per request/s.
        gpu_idle: f64,
        gpu_per_rps: f64,
        /// An explainer's model server: it also answers V1 `:explain`.
        explains: bool,
        /// A transformer's model server: its metrics split pre-process, predict (its call
        /// to the predictor pods of its service) and post-process.
        transformer: bool,
    },
    Dcgm {
        node: String,
    },
    /// A vLLM container `main` of an LLMInferenceService (port 8000).
    Vllm {
        service: String,
        model: String,
        profile: llm::TokenProfile,
        /// LoRA adapters served beside the base model.
        adapters: Vec<String>,
        gpu_mem_mib: f64,
        gpu_idle: f64,
        gpu_per_rps: f64,
    },
    Other,
}

/// One pod's simulated insides.
#[derive(Debug)]
pub struct PodWork {
    pub role: Role,
    pub node: Option<String>,
    pub ready: bool,
    pub rps: f64,
    pub counters: Counters,
    pub logs: HashMap<String, ContainerLog>,
    /// GPU uuids assigned to it.
    pub gpus: Vec<String>,
    /// Fractional access-log budget, so low rates still log now and then.
    log_budget: f64,
    error_budget: f64,
}

/// Why the pod proxy cannot serve a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyMiss {
    NoPod,
    NotRunning,
    NothingOnPort(u16),
}

type PodKey = (String, String);

#[derive(Debug, Default)]
struct Inner {
    pods: BTreeMap<PodKey, PodWork>,
    node_gpus: BTreeMap<String, Vec<GpuSlot>>,
    ticks: u64,
    /// Each model-server pod's inference error budget (see `serve::spend`).
    error_budgets: BTreeMap<PodKey, f64>,
    /// Each vLLM pod's cumulative metrics (fixed size per pod).
    vllm: BTreeMap<PodKey, llm::VllmStats>,
}

/// All pods' insides.
#[derive(Debug, Default)]
pub struct Workload {
    inner: RwLock<Inner>,
}

fn key(ns: &str, pod: &str) -> PodKey {
    (ns.to_string(), pod.to_string())
}

impl Workload {
    fn write<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        match self.inner.write() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Inner) -> T) -> T {
        match self.inner.read() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    pub fn add_node_gpus(&self, node: &str, gpus: Vec<GpuSlot>) {
        self.write(|i| {
            i.node_gpus.insert(node.to_string(), gpus);
        });
    }

    /// GPUs of `node` not used by any pod.
    pub fn free_gpus(&self, node: &str) -> Vec<String> {
        self.read(|i| {
            let used: Vec<&String> = i.pods.values().flat_map(|p| p.gpus.iter()).collect();
            i.node_gpus
                .get(node)
                .map(|g| {
                    g.iter()
                        .filter(|s| !used.contains(&&s.uuid))
                        .map(|s| s.uuid.clone())
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    pub fn add_pod(
        &self,
        ns: &str,
        pod: &str,
        role: Role,
        node: Option<String>,
        gpus: Vec<String>,
        containers: &[&str],
    ) {
        self.write(|i| {
            if matches!(role, Role::Vllm { .. }) {
                i.vllm.insert(
                    key(ns, pod),
                    llm::VllmStats::new(Utc::now().timestamp() as f64),
                );
            }
            let logs = containers
                .iter()
                .map(|c| (c.to_string(), ContainerLog::default()))
                .collect();
            let counters = Counters {
                created: Utc::now().timestamp() as f64,
                ..Counters::default()
            };
            i.pods.insert(
                key(ns, pod),
                PodWork {
                    role,
                    node,
                    ready: false,
                    rps: 0.0,
                    counters,
                    logs,
                    gpus,
                    log_budget: 0.0,
                    error_budget: 0.0,
                },
            );
        });
    }

    pub fn remove_pod(&self, ns: &str, pod: &str) {
        self.write(|i| {
            i.pods.remove(&key(ns, pod));
            i.vllm.remove(&key(ns, pod));
            i.error_budgets.remove(&key(ns, pod));
        });
    }

    pub fn set_ready(&self, ns: &str, pod: &str, ready: bool) {
        self.write(|i| {
            if let Some(p) = i.pods.get_mut(&key(ns, pod)) {
                p.ready = ready;
            }
        });
    }

    pub fn set_rps(&self, ns: &str, pod: &str, rps: f64) {
        self.write(|i| {
            if let Some(p) = i.pods.get_mut(&key(ns, pod)) {
                p.rps = rps;
            }
        });
    }

    /// Appends a line to a container's log.
    pub fn log(&self, ns: &str, pod: &str, container: &str, text: impl Into<String>) {
        let text = text.into();
        self.write(|i| {
            if let Some(p) = i.pods.get_mut(&key(ns, pod)) {
                p.logs
                    .entry(container.to_string())
                    .or_default()
                    .push(Utc::now(), text);
            }
        });
    }

    /// Appends lines that share one timestamp, as lines written in one go are stamped (and as
    /// the traffic tick writes its access lines).
    pub fn log_burst(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        texts: impl IntoIterator<Item = String>,
    ) {
        let now = Utc::now();
        self.write(|i| {
            if let Some(p) = i.pods.get_mut(&key(ns, pod)) {
                let log = p.logs.entry(container.to_string()).or_default();
                for text in texts {
                    log.push(now, text);
                }
            }
        });
    }

    /// The container restarted: its log so far becomes the previous instance's.
    pub fn restart(&self, ns: &str, pod: &str, container: &str) {
        self.write(|i| {
            if let Some(p) = i.pods.get_mut(&key(ns, pod)) {
                p.logs.entry(container.to_string()).or_default().restart();
            }
        });
    }

    /// What every container's log ring holds, in the units of
    /// [`logs::bytes_per_container`].
    pub fn log_bytes(&self) -> usize {
        self.read(|i| {
            i.pods
                .values()
                .flat_map(|p| p.logs.values())
                .map(ContainerLog::bytes)
                .sum()
        })
    }

    /// A container's log lines (of the previous instance with `previous`).
    pub fn log_lines(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
    ) -> Option<Vec<LogLine>> {
        self.read(|i| {
            let log = i.pods.get(&key(ns, pod))?.logs.get(container)?;
            if previous {
                log.previous.clone()
            } else {
                Some(log.lines.iter().cloned().collect())
            }
        })
    }

    /// A container's current lines and a receiver of the lines after them, taken together
    /// so that no line falls between the two (or is in both).
    pub fn lines_and_follow(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Option<(Vec<LogLine>, broadcast::Receiver<LogLine>)> {
        self.write(|i| {
            let log = i.pods.get_mut(&key(ns, pod))?.logs.get_mut(container)?;
            Some((log.lines.iter().cloned().collect(), log.subscribe()))
        })
    }

    /// Follows a container's new lines.
    pub fn subscribe(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Option<broadcast::Receiver<LogLine>> {
        self.write(|i| {
            Some(
                i.pods
                    .get_mut(&key(ns, pod))?
                    .logs
                    .get_mut(container)?
                    .subscribe(),
            )
        })
    }

    /// Whether the pod exists.
    pub fn has_pod(&self, ns: &str, pod: &str) -> bool {
        self.read(|i| i.pods.contains_key(&key(ns, pod)))
    }

    /// Advances every serving pod by `dt` seconds of traffic, writing sampled access lines.
    pub fn tick(&self, dt: f64, now: DateTime<Utc>) {
        self.write(|i| {
            llm::tick(i, dt, now);
            i.ticks += 1;
            let max_bytes = logs::bytes_per_container(i.pods.len());
            for ((ns, name), pod) in i.pods.iter_mut() {
                let Role::ModelServer { profile, model, queue_proxy, .. } = &pod.role else {
                    continue;
                };
                if !pod.ready || pod.rps <= 0.0 {
                    continue;
                }
                let n = pod.rps * dt;
                pod.counters.add(n, profile);
                pod.log_budget += n.min(2.0 * dt);
                pod.error_budget += n * profile.error_ratio;
                let profile = *profile;
                let model = model.clone();
                let log = pod.logs.entry("kserve-container".to_string()).or_default();
                // Several lines a tick: each its own client, port and latency.
                let mut seq = pod.counters.requests as u64;
                while pod.log_budget >= 1.0 {
                    pod.log_budget -= 1.0;
                    seq = seq.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let ms = profile.median_ms * (1.0 + ((seq >> 33) % 7) as f64 / 10.0);
                    log.push_within(now, format!(
                        "{} INFO:     10.244.1.{}:{} - \"POST /v2/models/{model}/infer HTTP/1.1\" 200 OK ({ms:.1} ms)",
                        now.format("%Y-%m-%d %H:%M:%S,%3f"),
                        (seq >> 40) % 250,
                        40_000 + (seq >> 20) % 20_000
                    ), max_bytes);
                }
                let mut errors_logged = 0;
                while pod.error_budget >= 1.0 && errors_logged < 2 {
                    pod.error_budget -= 1.0;
                    errors_logged += 1;
                    let stamp = now.format("%Y-%m-%d %H:%M:%S,%3f");
                    log.push_within(now, format!("{stamp} ERROR kserve.trace: predict failed for model {model}"), max_bytes);
                    log.push_within(now, "Traceback (most recent call last):".to_string(), max_bytes);
                    log.push_within(now, "  File \"/kserve/kserve/model.py\", line 376, in __call__".to_string(), max_bytes);
                    log.push_within(now, "RuntimeError: feature vector length 31 does not match the model (expected 30)".to_string(), max_bytes);
                    log.push_within(now, format!("{stamp} INFO:     10.244.1.9:51234 - \"POST /v2/models/{model}/infer HTTP/1.1\" 500 Internal Server Error"), max_bytes);
                }
                pod.error_budget = pod.error_budget.min(5.0);
                if *queue_proxy && i.ticks % 10 == 0 {
                    let qp = pod.logs.entry("queue-proxy".to_string()).or_default();
                    qp.push_within(now, format!(
                        "{{\"severity\":\"INFO\",\"timestamp\":\"{}\",\"logger\":\"queueproxy\",\"message\":\"requests served\",\"knative.dev/key\":\"{ns}/{name}\",\"count\":{}}}",
                        now.to_rfc3339(),
                        pod.counters.requests.floor()
                    ), max_bytes);
                }
            }
        });
    }

    /// What GET `path` on `port` of the pod returns.
    /// The answer of a pod to `method path` on `port` through the pod proxy: a model
    /// server's V1/V2 endpoints on 8080 (inferences fail at the revision's error ratio),
    /// else what [`Workload::proxy`] serves (metrics), as a 200.
    pub fn serve(
        &self,
        ns: &str,
        pod: &str,
        port: u16,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<serve::Answer, ProxyMiss> {
        let path = path.trim_start_matches('/');
        let answered = self.write(|i| {
            let p = i.pods.get(&key(ns, pod)).ok_or(ProxyMiss::NoPod)?;
            if !p.ready {
                return Err(ProxyMiss::NotRunning);
            }
            let Role::ModelServer {
                model,
                profile,
                explains,
                ..
            } = &p.role
            else {
                return Ok(None);
            };
            if port != 8080 {
                return Ok(None);
            }
            if *explains && let Some(answer) = serve::explain(model, method, path, body) {
                return Ok(Some(answer));
            }
            let (model, profile) = (model.clone(), *profile);
            let fail = serve::is_inference(method, path)
                && serve::spend(i.error_budgets.entry(key(ns, pod)).or_default(), &profile);
            Ok(serve::answer(&model, method, path, body, fail))
        })?;
        match answered {
            Some(answer) => Ok(answer),
            None if method == "GET" => self
                .proxy(ns, pod, port, path)
                .map(|text| (200, "text/plain; version=0.0.4; charset=utf-8", text)),
            None => Err(ProxyMiss::NothingOnPort(port)),
        }
    }

    /// A vLLM pod's answer on its OpenAI API (port 8000), None for other pods and paths.
    pub fn openai(
        &self,
        ns: &str,
        pod: &str,
        port: u16,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Option<openai::Reply>, ProxyMiss> {
        self.read(|i| {
            let p = i.pods.get(&key(ns, pod)).ok_or(ProxyMiss::NoPod)?;
            let Role::Vllm {
                model,
                profile,
                adapters,
                ..
            } = &p.role
            else {
                return Ok(None);
            };
            if port != 8000 {
                return Ok(None);
            }
            if !p.ready {
                return Err(ProxyMiss::NotRunning);
            }
            Ok(openai::reply(model, adapters, profile, method, path, body))
        })
    }
}
