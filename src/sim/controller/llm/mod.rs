//! The LLMInferenceService controller simulation: makes the cluster follow each service —
//! vLLM pods (main, multi-node workers, prefill), the scheduler pod, the owned Deployments,
//! LeaderWorkerSets, InferencePool and HTTPRoute — writes the status KServe writes
//! (`status`), keeps routing groups (members labelled, weights and stops shown in
//! `status.router.group` after a short delay) and splits each group's traffic across its
//! members by weight. Runs beside the InferenceService controller, on every step.

pub mod objects;
pub mod pods;
pub mod spec;
pub mod status;

use super::Ctl;
use super::events::{About, record};
use crate::sim::clock::stamp;
use crate::sim::resources;
use crate::sim::store::key_of;
use crate::sim::workload::llm::TokenProfile;
use chrono::{DateTime, Utc};
use pods::{Life, LlmPod, Part, Serving};
use serde_json::{Value, json};
use spec::{GROUP_LABEL, Wanted};
use status::ConfigNotFound;
use std::collections::BTreeMap;

/// The Gateway a service with a managed (`router.gateway: {}`) gateway attaches to.
pub const DEFAULT_GATEWAY: &str = "kserve-ingress-gateway";
/// Seconds until a weight or stop change shows in `status.router.group`.
const GROUP_DELAY_S: f64 = 2.0;
/// Seconds the main workload may stay unready before ProgressDeadlineExceeded.
const PROGRESS_DEADLINE_S: f64 = 600.0;

/// One LLMInferenceService as the controller tracks it.
#[derive(Debug, Clone)]
pub struct LlmService {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub generation: i64,
    pub wanted: Wanted,
    pub profile: TokenProfile,
    pub pods: Vec<LlmPod>,
    seq: u64,
    /// (weight, stopped) as `status.router.group` shows it, and when the wanted one shows.
    shown: (i64, bool),
    shown_due: Option<DateTime<Utc>>,
    unready_since: Option<DateTime<Utc>>,
    presets: Result<Vec<String>, ConfigNotFound>,
}

/// The LLM services of the cluster.
#[derive(Debug, Default)]
pub struct LlmControl {
    pub services: BTreeMap<(String, String), LlmService>,
    /// Pods of deleted services, terminating.
    dying: Vec<LlmPod>,
}

fn llm_resource() -> Option<&'static resources::Resource> {
    resources::storage_version("serving.kserve.io", "llminferenceservices")
}

/// The configs a service is built from: KServe's well-known ones plus its `baseRefs`.
fn presets(ctl: &Ctl, ns: &str, w: &Wanted) -> Result<Vec<String>, ConfigNotFound> {
    let mut applied = vec!["kserve-config-llm-template".to_string()];
    if w.scheduler {
        applied.push("kserve-config-llm-scheduler".to_string());
    }
    if !w.gateways.is_empty() {
        applied.push("kserve-config-llm-router-route".to_string());
    }
    if w.main.workers > 0 {
        applied.push("kserve-config-llm-worker-data-parallel".to_string());
    }
    if w.prefill.is_some() {
        applied.push("kserve-config-llm-prefill-template".to_string());
    }
    for r in &w.base_refs {
        if !objects::config_exists(&ctl.store, ns, r) {
            return Err(ConfigNotFound(r.clone()));
        }
        applied.push(r.clone());
    }
    Ok(applied)
}

impl LlmControl {
    /// Reacts to a new or changed LLMInferenceService.
    pub fn reconcile(&mut self, ctl: &Ctl, obj: &Value, now: DateTime<Utc>) {
        let (ns, name) = key_of(obj);
        let wanted = spec::wanted(obj);
        if let Some(g) = &wanted.group
            && obj["metadata"]["labels"][GROUP_LABEL].as_str() != Some(g)
            && let Some(r) = llm_resource()
        {
            // The webhook labels members of a routing group.
            let mut next = obj.clone();
            next["metadata"]["labels"][GROUP_LABEL] = json!(g);
            ctl.store.put(r, next);
        }
        let slow = ctl
            .behaviour
            .slow_llm_uris
            .iter()
            .any(|u| wanted.model_uri.contains(u.as_str()));
        let profile = if slow {
            TokenProfile::SLOW
        } else {
            TokenProfile::HEALTHY
        };
        let svc = self
            .services
            .entry((ns.clone(), name.clone()))
            .or_insert_with(|| LlmService {
                namespace: ns.clone(),
                name: name.clone(),
                uid: String::new(),
                generation: 0,
                shown: (wanted.weight, wanted.stopped),
                wanted: wanted.clone(),
                profile,
                pods: Vec::new(),
                seq: 0,
                shown_due: None,
                unready_since: None,
                presets: Ok(Vec::new()),
            });
        svc.uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
        svc.generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
        if svc.wanted.stopped != wanted.stopped {
            let about = About {
                kind: "LLMInferenceService",
                api_version: "serving.kserve.io/v1alpha2",
                namespace: &ns,
                name: &name,
                uid: &svc.uid,
            };
            let (reason, text) = if wanted.stopped {
                ("Stopped", "Stopping: scaling the workloads to zero")
            } else {
                ("Started", "Starting: the stop annotation was removed")
            };
            record(
                &ctl.store,
                &about,
                false,
                reason,
                text,
                "llmisvc-controller",
            );
        }
        if (svc.wanted.weight, svc.wanted.stopped) != (wanted.weight, wanted.stopped) {
            svc.shown_due = Some(now + ctl.clock.delay(GROUP_DELAY_S));
        }
        svc.wanted = wanted;
        svc.profile = profile;
        if ctl.warm {
            svc.shown = (svc.wanted.weight, svc.wanted.stopped);
        }
        svc.ensure_pods(ctl, now);
        if ctl.warm {
            for _ in 0..4 {
                for p in svc.pods.iter_mut() {
                    p.due = now;
                    if p.step(ctl, now) {
                        ctl.store_pod(&p.render(None));
                    }
                }
            }
        }
    }

    /// A deleted service: its pods and objects go.
    pub fn forget(&mut self, ctl: &Ctl, ns: &str, name: &str, now: DateTime<Utc>) {
        if let Some(svc) = self.services.remove(&(ns.to_string(), name.to_string())) {
            for mut p in svc.pods {
                p.terminate(ctl, &ctl.clock, now);
                self.dying.push(p);
            }
            objects::remove(&ctl.store, ns, name);
        }
    }

    /// Steps pods, programs gateways, writes statuses.
    pub fn step(&mut self, ctl: &Ctl, now: DateTime<Utc>) {
        objects::program_gateways(&ctl.store);
        for p in self.dying.iter_mut() {
            if p.step(ctl, now) && p.life != Life::Gone {
                ctl.store_pod(&p.render(None));
            }
        }
        self.dying.retain(|p| p.life != Life::Gone);
        for svc in self.services.values_mut() {
            svc.ensure_pods(ctl, now);
            for p in svc.pods.iter_mut() {
                if p.step(ctl, now) && p.life != Life::Gone {
                    ctl.store_pod(&p.render(None));
                }
            }
            svc.pods.retain(|p| p.life != Life::Gone);
            if svc.shown_due.is_some_and(|t| now >= t) {
                svc.shown = (svc.wanted.weight, svc.wanted.stopped);
                svc.shown_due = None;
            }
        }
        self.write_statuses(ctl, now);
    }

    fn observe(&self, ctl: &Ctl, svc: &LlmService, now: DateTime<Utc>) -> status::Observed {
        let w = &svc.wanted;
        let count = |part: Part| {
            svc.pods
                .iter()
                .filter(|p| p.part == part && p.ready())
                .count() as u32
        };
        let per_replica = |wl: spec::Workload| if w.stopped { 0 } else { wl.replicas };
        let main_ready = count(Part::Main);
        let gateways = w
            .gateways
            .iter()
            .map(|(ns, n)| {
                (
                    ns.clone(),
                    n.clone(),
                    objects::gateway_address(&ctl.store, ns, n),
                )
            })
            .collect();
        let deadline = ctl.clock.delay(PROGRESS_DEADLINE_S);
        status::Observed {
            name: svc.name.clone(),
            namespace: svc.namespace.clone(),
            generation: svc.generation,
            presets: svc.presets.clone(),
            stopped: w.stopped,
            deadline_exceeded: svc.unready_since.is_some_and(|t| now - t > deadline),
            main: (main_ready, per_replica(w.main)),
            worker: (w.main.workers > 0)
                .then(|| (count(Part::Worker), per_replica(w.main) * w.main.workers)),
            prefill: w.prefill.map(|p| (count(Part::Prefill), per_replica(p))),
            prefill_worker: w
                .prefill
                .filter(|p| p.workers > 0)
                .map(|p| (count(Part::PrefillWorker), per_replica(p) * p.workers)),
            gateways,
            scheduler: w.scheduler.then(|| count(Part::Scheduler) > 0),
            pool: w.scheduler.then(|| objects::pool_name(&svc.name)),
            group: None,
            group_health: None,
        }
    }

    fn write_statuses(&mut self, ctl: &Ctl, now: DateTime<Utc>) {
        let Some(r) = llm_resource() else {
            return;
        };
        let t = stamp(now);
        let mut observed: Vec<((String, String), status::Observed, bool)> = Vec::new();
        for (key, svc) in self.services.iter() {
            let o = self.observe(ctl, svc, now);
            let ready = status::render(&o, &Value::Null, &t)["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                .is_some_and(|c| c["status"] == "True");
            observed.push((key.clone(), o, ready));
        }
        let members = |ns: &str, group: &str| -> Vec<(&LlmService, bool)> {
            observed
                .iter()
                .filter_map(|(k, _, ready)| {
                    let s = self.services.get(k)?;
                    (k.0 == ns && s.wanted.group.as_deref() == Some(group)).then_some((s, *ready))
                })
                .collect()
        };
        let mut out = Vec::new();
        for (key, mut o, ready) in observed.iter().cloned() {
            let Some(svc) = self.services.get(&key) else {
                continue;
            };
            if let Some(g) = &svc.wanted.group {
                let m = members(&key.0, g);
                o.group = Some((
                    g.clone(),
                    m.iter()
                        .map(|(s, _)| (s.name.clone(), s.shown.0, s.shown.1))
                        .collect(),
                ));
                let serving: Vec<bool> = m
                    .iter()
                    .filter(|(s, _)| !s.wanted.stopped)
                    .map(|(_, r)| *r)
                    .collect();
                let all_ready = serving.iter().all(|r| *r);
                let diverging = serving.iter().any(|r| *r) && !all_ready;
                o.group_health = Some((all_ready, diverging));
            }
            let _ = ready;
            out.push((key, o));
        }
        for (key, o) in out {
            let Some(svc) = self.services.get_mut(&key) else {
                continue;
            };
            let main_done = o.stopped || o.main.0 >= o.main.1;
            svc.unready_since = if main_done {
                None
            } else {
                svc.unready_since.or(Some(now))
            };
            let Some(obj) = ctl.store.get(r, &key.0, &key.1) else {
                continue;
            };
            let counts = objects::Counts {
                main: o.main.0,
                prefill: o.prefill.map(|p| p.0).unwrap_or(0),
                scheduler: o.scheduler == Some(true),
            };
            if svc.presets.is_ok() {
                objects::write(&ctl.store, &key.0, &key.1, &svc.uid, &svc.wanted, counts);
                let programmed: Vec<bool> = o.gateways.iter().map(|g| g.2.is_some()).collect();
                objects::route(
                    &ctl.store,
                    &key.0,
                    &key.1,
                    &svc.uid,
                    &svc.wanted,
                    &programmed,
                );
            }
            let next_status = status::render(&o, &obj["status"], &t);
            if obj["status"] != next_status {
                let mut next = (*obj).clone();
                next["status"] = next_status;
                ctl.store.put(r, next);
            }
        }
    }

    /// Splits traffic: each group's (or lone service's) rate across its serving members by
    /// weight, and within a member across its ready vLLM pods that take requests.
    pub fn traffic(&self, ctl: &Ctl, rps_of: impl Fn(&str, &str) -> f64) {
        for svc in self.services.values() {
            let (key, weights): (&str, Vec<(i64, &LlmService)>) = match &svc.wanted.group {
                Some(g) => (
                    g.as_str(),
                    self.services
                        .values()
                        .filter(|s| {
                            s.namespace == svc.namespace && s.wanted.group.as_deref() == Some(g)
                        })
                        .filter(|s| {
                            !s.wanted.stopped
                                && s.pods.iter().any(|p| p.part == Part::Main && p.ready())
                        })
                        .map(|s| (s.wanted.weight.max(0), s))
                        .collect(),
                ),
                None => (svc.name.as_str(), vec![(1, svc)]),
            };
            let total: i64 = weights.iter().map(|(w, _)| *w).sum();
            let share = weights
                .iter()
                .find(|(_, s)| s.name == svc.name)
                .map(|(w, _)| {
                    if total > 0 {
                        *w as f64 / total as f64
                    } else {
                        0.0
                    }
                })
                .unwrap_or(0.0);
            let rps = rps_of(&svc.namespace, key) * share;
            let takers: Vec<&LlmPod> = svc
                .pods
                .iter()
                .filter(|p| matches!(p.part, Part::Main | Part::Prefill) && p.ready())
                .collect();
            for p in svc.pods.iter().filter(|p| p.part.is_vllm()) {
                let r = if takers.iter().any(|t| t.name == p.name) {
                    rps / takers.len().max(1) as f64
                } else {
                    0.0
                };
                ctl.workload.set_rps(&p.namespace, &p.name, r);
            }
        }
    }
}

impl LlmService {
    /// The pods the service wants: (part, name, owner, serving).
    fn desired(&self) -> Vec<(Part, String, (String, String), Serving)> {
        let w = &self.wanted;
        if w.stopped || self.presets.is_err() {
            return Vec::new();
        }
        let serving = Serving {
            model: w.model_name.clone(),
            adapters: w.adapters.clone(),
            profile: self.profile,
            gpus: w.gpus,
            node_type: w.node_type.clone(),
            gpu_mem_mib: 18_000.0 * f64::from(w.gpus.max(1)),
        };
        let mut out = Vec::new();
        let mut workload = |suffix: &str, wl: spec::Workload, lead: Part, worker: Part| {
            if wl.workers > 0 {
                let lws = format!("{}-kserve-mn{suffix}", self.name);
                for r in 0..wl.replicas {
                    out.push((
                        lead,
                        format!("{lws}-{r}"),
                        ("LeaderWorkerSet".to_string(), lws.clone()),
                        serving.clone(),
                    ));
                    for k in 1..=wl.workers {
                        out.push((
                            worker,
                            format!("{lws}-{r}-{k}"),
                            ("LeaderWorkerSet".to_string(), lws.clone()),
                            serving.clone(),
                        ));
                    }
                }
            } else {
                let deploy = format!("{}-kserve{suffix}", self.name);
                for r in 0..wl.replicas {
                    out.push((
                        lead,
                        crate::sim::controller::pods::pod_name(&deploy, u64::from(r)),
                        ("ReplicaSet".to_string(), deploy.clone()),
                        serving.clone(),
                    ));
                }
            }
        };
        workload("", w.main, Part::Main, Part::Worker);
        if let Some(p) = w.prefill {
            workload("-prefill", p, Part::Prefill, Part::PrefillWorker);
        }
        if w.scheduler {
            let deploy = format!("{}-kserve-router-scheduler", self.name);
            let sched = Serving {
                gpus: 0,
                node_type: None,
                adapters: Vec::new(),
                gpu_mem_mib: 0.0,
                ..serving
            };
            out.push((
                Part::Scheduler,
                crate::sim::controller::pods::pod_name(&deploy, 0),
                ("ReplicaSet".to_string(), deploy),
                sched,
            ));
        }
        out
    }

    /// Starts the pods that are wanted and not there; stops the ones no longer wanted (or
    /// whose model, GPUs or behaviour changed: they are replaced under a new name).
    fn ensure_pods(&mut self, ctl: &Ctl, now: DateTime<Utc>) {
        self.presets = presets(ctl, &self.namespace, &self.wanted);
        let desired = self.desired();
        for p in self.pods.iter_mut() {
            let keep = desired.iter().any(|(part, slot, _, serving)| {
                *part == p.part && p.slot == *slot && *serving == p.serving
            });
            if !keep {
                p.terminate(ctl, &ctl.clock, now);
            }
        }
        for (part, name, owner, serving) in desired {
            let present = self.pods.iter().any(|p| {
                p.part == part
                    && p.slot == name
                    && p.serving == serving
                    && !matches!(p.life, Life::Terminating | Life::Gone)
            });
            if present {
                continue;
            }
            self.seq += 1;
            // A replacement gets a fresh name; the first pod keeps the plain one.
            let pod_name = if self.pods.iter().any(|p| p.name == name)
                || ctl.workload.has_pod(&self.namespace, &name)
            {
                format!(
                    "{name}-{}",
                    crate::sim::controller::pods::suffix(&format!("{name}{}", self.seq))
                )
            } else {
                name.clone()
            };
            let mut pod = LlmPod {
                namespace: self.namespace.clone(),
                service: self.name.clone(),
                name: pod_name,
                slot: name,
                uid: ctl.store.new_uid(),
                part,
                owner,
                serving,
                life: Life::Pending,
                due: now,
                node: None,
                ip: String::new(),
                gpu_uuids: Vec::new(),
                created: now,
            };
            pod.step(ctl, now);
            ctl.store_pod(&pod.render(None));
            self.pods.push(pod);
        }
    }
}
