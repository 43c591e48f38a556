//! The KServe controller simulation: watches InferenceServices and InferenceGraphs in the
//! store and makes the cluster follow them — revisions or Deployments, pods with their life
//! cycle, traffic splits, status and conditions, Events — and drives the traffic the model
//! servers see. Knative mode is in `knative`, Standard mode in `standard`, the pods in
//! `pods`, the status a reconcile pass writes in `settle`. The default deployment mode of this simulated cluster is Knative (KServe's
//! shipped configmap still says Serverless; its code default is Standard — FACTS.md gotcha 1).

pub mod events;
pub mod knative;
pub mod llm;
pub mod pods;
mod reconcile;
mod settle;
pub mod spec;
pub mod standard;
pub mod status;
pub mod trained;

use super::clock::{SimClock, stamp};
use super::resources;
use super::store::{Change, Store, key_of};
use super::workload::Workload;
use crate::domain::mode::DeploymentMode;
use chrono::{DateTime, Utc};
use knative::KnComponent;
use pods::{NodeInfo, PodPlan, SimPod, Stage};
use serde_json::{Value, json};
use standard::Deploy;
use status::Transitions;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How models behave, set by the scenario.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Storage URIs (substrings) whose model is slow and fails requests (a bad canary).
    pub slow_uris: Vec<String>,
    /// Storage URIs (substrings) whose download fails (a missing bucket).
    pub missing_uris: Vec<String>,
    /// Base request rate per service (namespace, name); others get `default_rps`.
    pub rps: HashMap<(String, String), f64>,
    pub default_rps: f64,
    /// Shifts each service's traffic phase (`kdeck sim --seed`).
    pub seed: u64,
    /// Model URIs (substrings) whose LLM pods are slow: high TTFT, preemptions (a bad
    /// canary member).
    pub slow_llm_uris: Vec<String>,
}

/// What the controller's parts share.
pub struct Ctl {
    pub store: Store,
    pub workload: Arc<Workload>,
    pub clock: SimClock,
    pub behaviour: Behaviour,
    pub nodes: Vec<NodeInfo>,
    /// Start objects already settled (scale scenario): pods ready at once.
    pub warm: bool,
}

impl Ctl {
    /// Creates a pod: schedules it and writes it to the store.
    pub fn start_pod(
        &self,
        namespace: &str,
        name: String,
        plan: PodPlan,
        now: DateTime<Utc>,
    ) -> SimPod {
        let mut pod = SimPod::new(namespace, name, plan, now);
        pod.uid = self.store.new_uid();
        // The pod exists, unscheduled, before the scheduler places it; a warm start (the
        // scale scenario's thousands of pods) writes it once, already placed.
        if !self.warm
            && let Some(r) = resources::find("", "v1", "pods")
        {
            self.store.put(r, pod.render(None));
        }
        pod.schedule(&self.nodes, &self.workload, &self.store, &self.clock, now);
        if self.warm && pod.node.is_some() && !pod.plan.download_fails {
            pod.stage = Stage::Ready;
            pod.log_warm_start(&self.workload, now);
            self.workload.set_ready(namespace, &pod.name, true);
        }
        self.write_pod(&pod);
        pod
    }

    pub fn stop_pod(&self, pod: &mut SimPod, now: DateTime<Utc>) {
        if matches!(pod.stage, Stage::Terminating | Stage::Gone) {
            return;
        }
        pod.terminate(&self.workload, &self.clock, now);
        if let Some(r) = resources::find("", "v1", "pods") {
            self.store.put(r, pod.render(Some(now)));
        }
    }

    pub fn write_pod(&self, pod: &SimPod) {
        if matches!(pod.stage, Stage::Gone) {
            return;
        }
        if let Some(r) = resources::find("", "v1", "pods") {
            let deleting = (pod.stage == Stage::Terminating).then_some(pod.due);
            self.store.put(r, pod.render(deleting));
        }
    }
}

/// One InferenceService as the controller tracks it.
#[derive(Debug, Clone, Default)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub generation: i64,
    pub mode: Option<DeploymentMode>,
    pub knative: BTreeMap<String, KnComponent>,
    pub deployments: BTreeMap<String, Deploy>,
    pub transitions: Transitions,
    pub next_pass: Option<DateTime<Utc>>,
    pub last_traffic: String,
}

impl Service {
    fn pods_mut(&mut self) -> impl Iterator<Item = &mut SimPod> {
        let kn = self
            .knative
            .values_mut()
            .flat_map(|c| c.revisions.iter_mut().flat_map(|r| r.pods.iter_mut()));
        let sd = self
            .deployments
            .values_mut()
            .flat_map(|d| d.sets.iter_mut().flat_map(|s| s.pods.iter_mut()));
        kn.chain(sd)
    }

    fn pods(&self) -> impl Iterator<Item = &SimPod> {
        let kn = self
            .knative
            .values()
            .flat_map(|c| c.revisions.iter().flat_map(|r| r.pods.iter()));
        let sd = self
            .deployments
            .values()
            .flat_map(|d| d.sets.iter().flat_map(|s| s.pods.iter()));
        kn.chain(sd)
    }
}

fn mode_of(obj: &Value) -> DeploymentMode {
    obj["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
        .as_str()
        .and_then(DeploymentMode::parse)
        .unwrap_or(DeploymentMode::Knative)
}

/// A Deployment Standard mode wants: component, pod template, and (name, traffic %) when
/// it is a `spec.canary[]` entry.
type WantedDeployment = (String, Value, Option<(String, i64)>);

/// The controller.
pub struct Controller {
    pub ctl: Ctl,
    pub services: BTreeMap<(String, String), Service>,
    graphs: BTreeMap<(String, String), (DateTime<Utc>, bool)>,
    /// LLMInferenceServices.
    pub llm: llm::LlmControl,
}

const COMPONENTS: [&str; 3] = ["predictor", "transformer", "explainer"];

impl Controller {
    pub fn new(ctl: Ctl) -> Controller {
        Controller {
            ctl,
            services: BTreeMap::new(),
            graphs: BTreeMap::new(),
            llm: llm::LlmControl::default(),
        }
    }

    fn rps(&self, ns: &str, name: &str, now: DateTime<Utc>) -> f64 {
        let base = self
            .ctl
            .behaviour
            .rps
            .get(&(ns.to_string(), name.to_string()))
            .copied()
            .unwrap_or(self.ctl.behaviour.default_rps);
        let phase = ((super::controller::events::fxhash(name) ^ self.ctl.behaviour.seed) % 628)
            as f64
            / 100.0;
        let t = now.timestamp_millis() as f64 / 1000.0;
        base * (0.8 + 0.2 * (std::f64::consts::TAU * t / 600.0 + phase).sin())
    }

    /// Reacts to a new or changed InferenceService spec.
    pub fn reconcile(&mut self, obj: &Value, now: DateTime<Utc>) {
        let (ns, name) = key_of(obj);
        let generation = obj["metadata"]["generation"].as_i64().unwrap_or(1);
        let annotations = obj["metadata"]["annotations"].clone();
        let mode = mode_of(obj);
        let spec = obj["spec"].clone();
        let ctl = &self.ctl;
        let svc = self
            .services
            .entry((ns.clone(), name.clone()))
            .or_insert_with(|| Service {
                namespace: ns.clone(),
                name: name.clone(),
                ..Service::default()
            });
        svc.uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
        if svc.generation == generation && svc.mode == Some(mode) {
            return;
        }
        svc.generation = generation;
        if svc.mode.is_some_and(|m| m != mode) {
            reconcile::replace_everything(ctl, svc, &ns, now);
        }
        svc.mode = Some(mode);
        let uid = svc.uid.clone();
        let about = events::About {
            kind: "InferenceService",
            api_version: "serving.kserve.io/v1beta1",
            namespace: &ns,
            name: &name,
            uid: &uid,
        };
        match mode {
            DeploymentMode::Knative => {
                reconcile::knative_revisions(ctl, svc, &about, &spec, &annotations, now);
            }
            DeploymentMode::Standard => {
                reconcile::standard_deployments(ctl, svc, &about, &spec, now);
            }
            DeploymentMode::ModelMesh => {}
        }
        self.settle(&ns, &name, now);
        if self.ctl.warm {
            // A warm start: the pods the first pass made are ready already; a second pass
            // sees them, as the controller would once they reported ready.
            self.settle(&ns, &name, now);
        }
    }

    /// Tears down a deleted InferenceService.
    pub fn forget(&mut self, ns: &str, name: &str, now: DateTime<Utc>) {
        if let Some(mut svc) = self.services.remove(&(ns.to_string(), name.to_string())) {
            for p in svc.pods_mut() {
                self.ctl.stop_pod(p, now);
            }
            for d in svc.deployments.values_mut() {
                standard::remove(&self.ctl, ns, d, now);
            }
        }
    }

    /// Moves pods along their life; settles services whose pods changed.
    pub fn step(&mut self, now: DateTime<Utc>) {
        let ctl = &self.ctl;
        let mut changed = Vec::new();
        for (key, svc) in self.services.iter_mut() {
            let mut any = false;
            for pod in svc.pods_mut() {
                if pod.step(&ctl.nodes, &ctl.workload, &ctl.store, &ctl.clock, now) {
                    ctl.write_pod(pod);
                    any = true;
                }
            }
            if any || svc.next_pass.is_some_and(|t| now >= t) {
                changed.push(key.clone());
            }
        }
        for (ns, name) in changed {
            self.settle(&ns, &name, now);
        }
        self.step_graphs(now);
        self.llm.step(&self.ctl, now);
    }

    /// Advances traffic by `dt` seconds: each serving pod's rate from the traffic split.
    pub fn traffic(&mut self, dt: f64, now: DateTime<Utc>) {
        let keys: Vec<(String, String)> = self.services.keys().cloned().collect();
        for (ns, name) in keys {
            let rps = self.rps(&ns, &name, now);
            let Some(svc) = self.services.get(&(ns.clone(), name.clone())) else {
                continue;
            };
            let mut plan: Vec<(String, f64)> = Vec::new();
            for comp in svc.knative.values() {
                for rev in &comp.revisions {
                    let pct = comp.percent_of(&rev.name) as f64;
                    let ready: Vec<&SimPod> = rev.pods.iter().filter(|p| p.is_ready()).collect();
                    for p in &ready {
                        plan.push((p.name.clone(), rps * pct / 100.0 / ready.len() as f64));
                    }
                }
            }
            let canary_share: f64 = svc
                .deployments
                .values()
                .filter(|d| d.available())
                .filter_map(|d| d.canary.as_ref().map(|c| c.1 as f64))
                .sum();
            for d in svc.deployments.values() {
                let share = match &d.canary {
                    Some((_, pct)) if d.available() => *pct as f64,
                    Some(_) => 0.0,
                    None if d.component == "predictor" => 100.0 - canary_share,
                    None => 100.0,
                };
                let ready: Vec<&SimPod> = d
                    .sets
                    .iter()
                    .flat_map(|s| s.pods.iter())
                    .filter(|p| p.is_ready())
                    .collect();
                for p in &ready {
                    plan.push((p.name.clone(), rps * share / 100.0 / ready.len() as f64));
                }
            }
            for (pod, r) in plan {
                self.ctl.workload.set_rps(&ns, &pod, r);
            }
        }
        self.llm
            .traffic(&self.ctl, |ns, name| self.rps(ns, name, now));
        self.ctl.workload.tick(dt, now);
    }

    /// InferenceGraphs get a router pod and become Ready after a short delay.
    pub fn graph(&mut self, obj: &Value, deleted: bool, now: DateTime<Utc>) {
        let key = key_of(obj);
        if deleted {
            self.graphs.remove(&key);
            return;
        }
        self.graphs
            .entry(key)
            .or_insert((now + self.ctl.clock.delay(2.0), false));
    }

    fn step_graphs(&mut self, now: DateTime<Utc>) {
        let Some(r) = resources::find("serving.kserve.io", "v1alpha1", "inferencegraphs") else {
            return;
        };
        for ((ns, name), (due, done)) in self.graphs.iter_mut() {
            if *done || now < *due {
                continue;
            }
            *done = true;
            if let Some(obj) = self.ctl.store.get(r, ns, name) {
                let mut next = (*obj).clone();
                let t = stamp(now);
                next["status"] = json!({"url": format!("http://{name}.{ns}.example.com"), "observedGeneration": obj["metadata"]["generation"],
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": t}]});
                self.ctl.store.put(r, next);
                if let Some(pods) = resources::find("", "v1", "pods") {
                    let pod = format!(
                        "{name}-{}-{}",
                        pods::suffix(name),
                        pods::suffix(&format!("{name}router"))
                    );
                    self.ctl.store.put(pods, json!({"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": pod, "namespace": ns, "labels": {"serving.kserve.io/inferencegraph": name, "app": name}},
                        "spec": {"containers": [{"name": name, "image": "kserve/router:v0.15.0", "ports": [{"containerPort": 8080}]}], "nodeName": self.ctl.nodes.first().map(|n| n.name.clone()).unwrap_or_default()},
                        "status": {"phase": "Running", "podIP": "10.244.0.200", "conditions": [{"type": "Ready", "status": "True"}],
                            "containerStatuses": [{"name": name, "ready": true, "restartCount": 0, "state": {"running": {"startedAt": t}}}]}}));
                }
            }
        }
    }

    /// A pod the user deleted: the owner replaces it on the next settle.
    pub fn pod_deleted(&mut self, ns: &str, pod: &str, now: DateTime<Utc>) {
        let mut owner = None;
        for (key, svc) in self.services.iter_mut() {
            for p in svc.pods_mut() {
                if p.namespace == ns && p.name == pod && p.stage != Stage::Gone {
                    self.ctl.workload.remove_pod(ns, pod);
                    p.stage = Stage::Gone;
                    owner = Some(key.clone());
                }
            }
        }
        if let Some((ns, name)) = owner {
            self.settle(&ns, &name, now);
        }
    }
}

/// Runs the controller until cancelled: reacts to changes, steps pods, drives traffic.
pub async fn run(mut controller: Controller, cancel: CancellationToken) {
    let (Some(isvcs), Some(graphs), Some(pods), Some(llmisvcs)) = (
        resources::find("serving.kserve.io", "v1beta1", "inferenceservices"),
        resources::find("serving.kserve.io", "v1alpha1", "inferencegraphs"),
        resources::find("", "v1", "pods"),
        resources::storage_version("serving.kserve.io", "llminferenceservices"),
    ) else {
        return;
    };
    let store = controller.ctl.store.clone();
    let (mut isvc_rx, _) = store.subscribe(isvcs);
    let (mut graph_rx, _) = store.subscribe(graphs);
    let (mut pod_rx, _) = store.subscribe(pods);
    let (mut llm_rx, _) = store.subscribe(llmisvcs);
    let now = Utc::now();
    for obj in store.list(isvcs, None).0 {
        controller.reconcile(&obj, now);
    }
    for obj in store.list(graphs, None).0 {
        controller.graph(&obj, false, now);
    }
    let clock = controller.ctl.clock;
    let mut step = tokio::time::interval(
        clock
            .period(0.25)
            .min(std::time::Duration::from_millis(250)),
    );
    let mut traffic = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut last_traffic = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            e = isvc_rx.recv() => match e {
                Ok(e) => {
                    let now = Utc::now();
                    match e.change {
                        Change::Deleted => {
                            let (ns, name) = key_of(&e.object);
                            controller.forget(&ns, &name, now);
                        }
                        _ => controller.reconcile(&e.object, now),
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let now = Utc::now();
                    for obj in store.list(isvcs, None).0 {
                        controller.reconcile(&obj, now);
                    }
                }
                Err(_) => return,
            },
            e = llm_rx.recv() => match e {
                Ok(e) => {
                    let now = Utc::now();
                    let (ns, name) = key_of(&e.object);
                    match e.change {
                        Change::Deleted => controller.llm.forget(&controller.ctl, &ns, &name, now),
                        _ => controller.llm.reconcile(&controller.ctl, &e.object, now),
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let now = Utc::now();
                    for obj in store.list(llmisvcs, None).0 {
                        controller.llm.reconcile(&controller.ctl, &obj, now);
                    }
                }
                Err(_) => return,
            },
            e = graph_rx.recv() => if let Ok(e) = e {
                controller.graph(&e.object, e.change == Change::Deleted, Utc::now());
            },
            e = pod_rx.recv() => if let Ok(e) = e && e.change == Change::Deleted {
                let (ns, name) = key_of(&e.object);
                controller.pod_deleted(&ns, &name, Utc::now());
            },
            _ = step.tick() => controller.step(Utc::now()),
            _ = traffic.tick() => {
                let dt = last_traffic.elapsed().as_secs_f64() * clock.time_scale;
                last_traffic = tokio::time::Instant::now();
                controller.traffic(dt, Utc::now());
            }
        }
    }
}
