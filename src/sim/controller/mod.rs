//! The KServe controller simulation: watches InferenceServices and InferenceGraphs in the
//! store and makes the cluster follow them — revisions or Deployments, pods with their life
//! cycle, traffic splits, status and conditions, Events — and drives the traffic the model
//! servers see. Knative mode is in `knative`, Standard mode in `standard`, the pods in
//! `pods`. The default deployment mode of this simulated cluster is Knative (KServe's
//! shipped configmap still says Serverless; its code default is Standard — FACTS.md gotcha 1).

pub mod events;
pub mod knative;
pub mod pods;
pub mod spec;
pub mod standard;
pub mod status;

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
use status::{Cond, Transitions, all};
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
}

const COMPONENTS: [&str; 3] = ["predictor", "transformer", "explainer"];

impl Controller {
    pub fn new(ctl: Ctl) -> Controller {
        Controller {
            ctl,
            services: BTreeMap::new(),
            graphs: BTreeMap::new(),
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
            // A mode change replaces everything.
            for p in svc.pods_mut() {
                ctl.stop_pod(p, now);
            }
            svc.knative.clear();
            for d in svc.deployments.values_mut() {
                standard::remove(ctl, &ns, d, now);
            }
            svc.deployments.clear();
        }
        svc.mode = Some(mode);
        let about = events::About {
            kind: "InferenceService",
            api_version: "serving.kserve.io/v1beta1",
            namespace: &ns,
            name: &name,
            uid: &svc.uid,
        };
        match mode {
            DeploymentMode::Knative => {
                for kind in COMPONENTS {
                    let Some(component) = spec.get(kind).filter(|c| c.is_object()) else {
                        if let Some(mut gone) = svc.knative.remove(kind) {
                            for r in gone.revisions.iter_mut() {
                                for p in r.pods.iter_mut() {
                                    ctl.stop_pod(p, now);
                                }
                            }
                        }
                        continue;
                    };
                    let comp = svc.knative.entry(kind.to_string()).or_default();
                    if let Some(rev) = knative::ensure_revision(
                        comp,
                        &name,
                        kind,
                        knative::template(component, &annotations),
                        now,
                    ) {
                        events::record(
                            &ctl.store,
                            &about,
                            false,
                            "RevisionCreated",
                            &format!("Created Knative revision {rev}"),
                            "v1beta1Controllers",
                        );
                    }
                }
            }
            DeploymentMode::Standard => {
                let predictor = spec.get("predictor").cloned().unwrap_or(Value::Null);
                let stable_name = match predictor.get("name").and_then(Value::as_str) {
                    Some(n) => format!("{name}-{n}-predictor"),
                    None => format!("{name}-predictor"),
                };
                let mut wanted: BTreeMap<String, WantedDeployment> = BTreeMap::new();
                wanted.insert(
                    stable_name,
                    ("predictor".to_string(), predictor.clone(), None),
                );
                for kind in ["transformer", "explainer"] {
                    if let Some(c) = spec.get(kind).filter(|c| c.is_object()) {
                        wanted.insert(
                            format!("{name}-{kind}"),
                            (kind.to_string(), c.clone(), None),
                        );
                    }
                }
                for c in spec
                    .get("canary")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    let cname = c["predictor"]["name"]
                        .as_str()
                        .unwrap_or("canary")
                        .to_string();
                    let mut merged = predictor.clone();
                    json_patch::merge(&mut merged, &c["predictor"]);
                    let pct = c["trafficPercent"].as_i64().unwrap_or(0);
                    wanted.insert(
                        format!("{name}-{cname}-predictor"),
                        ("predictor".to_string(), merged, Some((cname, pct))),
                    );
                }
                let stale: Vec<String> = svc
                    .deployments
                    .keys()
                    .filter(|k| !wanted.contains_key(*k))
                    .cloned()
                    .collect();
                for k in stale {
                    if let Some(mut d) = svc.deployments.remove(&k) {
                        standard::remove(ctl, &ns, &mut d, now);
                    }
                }
                for (dname, (component, template, canary)) in wanted {
                    let d = svc
                        .deployments
                        .entry(dname.clone())
                        .or_insert_with(|| Deploy {
                            name: dname.clone(),
                            component: component.clone(),
                            ..Deploy::default()
                        });
                    d.canary = canary;
                    let before = d.sets.len();
                    standard::ensure_template(d, template);
                    if d.sets.len() > before && before > 0 {
                        events::record(
                            &ctl.store,
                            &about,
                            false,
                            "Updated",
                            &format!("Rolling out Deployment {dname} revision {}", d.sets.len()),
                            "v1beta1Controllers",
                        );
                    }
                }
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

    /// Recomputes traffic, pods and status of one service and writes the status.
    pub fn settle(&mut self, ns: &str, name: &str, now: DateTime<Utc>) {
        let Some(isvc_res) = resources::find("serving.kserve.io", "v1beta1", "inferenceservices")
        else {
            return;
        };
        let Some(obj) = self.ctl.store.get(isvc_res, ns, name) else {
            return;
        };
        let rps = self.rps(ns, name, now);
        let ctl = &self.ctl;
        let Some(svc) = self.services.get_mut(&(ns.to_string(), name.to_string())) else {
            return;
        };
        let canary = obj["spec"]["predictor"]["canaryTrafficPercent"].as_i64();
        let tag_routing = obj["metadata"]["annotations"]["serving.kserve.io/enable-tag-routing"]
            .as_str()
            == Some("true");
        let mut status = json!({"observedGeneration": svc.generation});
        let mut conds: Vec<Cond> = Vec::new();
        let mode = svc.mode.unwrap_or(DeploymentMode::Knative);
        status["deploymentMode"] = json!(mode.label());
        let about = events::About {
            kind: "InferenceService",
            api_version: "serving.kserve.io/v1beta1",
            namespace: ns,
            name,
            uid: &svc.uid,
        };
        match mode {
            DeploymentMode::Knative => {
                let mut components = serde_json::Map::new();
                let mut component_ready = Vec::new();
                let mut another = false;
                for (kind, comp) in svc.knative.iter_mut() {
                    let pct = if kind == "predictor" { canary } else { None };
                    another |=
                        knative::settle(ctl, ns, name, kind, comp, pct, tag_routing, rps, now);
                    components.insert(
                        kind.clone(),
                        knative::component_status(ns, name, kind, comp),
                    );
                    let latest = comp.latest_created();
                    let config = match latest {
                        Some(r) if r.failed.is_some() => Cond::no(
                            "",
                            "RevisionFailed",
                            &r.failed.as_ref().map(|f| f.1.clone()).unwrap_or_default(),
                            true,
                        ),
                        Some(r) if r.ready_once => Cond::ok("", true),
                        _ => Cond::unknown(
                            "",
                            "RevisionMissing",
                            &format!(
                                "Configuration \"{name}-{kind}\" is waiting for a Revision to become ready."
                            ),
                            true,
                        ),
                    };
                    let route = if comp.latest_ready().is_some() {
                        Cond::ok("", true)
                    } else {
                        Cond::unknown("", "RevisionMissing", "waiting for a ready revision", true)
                    };
                    let ready_status = all(&[config.status, route.status]);
                    let (k_ready, k_config, k_route): (&'static str, &'static str, &'static str) =
                        match kind.as_str() {
                            "transformer" => (
                                "TransformerReady",
                                "TransformerConfigurationReady",
                                "TransformerRouteReady",
                            ),
                            "explainer" => (
                                "ExplainerReady",
                                "ExplainerConfigurationReady",
                                "ExplainerRoutesReady",
                            ),
                            _ => (
                                "PredictorReady",
                                "PredictorConfigurationReady",
                                "PredictorRouteReady",
                            ),
                        };
                    conds.push(Cond {
                        kind: k_config,
                        ..config.clone()
                    });
                    conds.push(Cond {
                        kind: k_route,
                        ..route.clone()
                    });
                    let ready = match ready_status {
                        "True" => Cond::ok(k_ready, false),
                        "False" => Cond::no(k_ready, &config.reason, &config.message, false),
                        _ => Cond::unknown(k_ready, &config.reason, &config.message, false),
                    };
                    component_ready.push((kind.clone(), ready.clone(), route.status));
                    conds.push(ready);
                }
                status["components"] = Value::Object(components);
                let predictor_ready = component_ready
                    .iter()
                    .find(|c| c.0 == "predictor")
                    .map(|c| c.1.status)
                    .unwrap_or("Unknown");
                let routes = all(&component_ready.iter().map(|c| c.2).collect::<Vec<_>>());
                let others = all(&component_ready
                    .iter()
                    .filter(|c| c.0 != "predictor")
                    .map(|c| c.1.status)
                    .collect::<Vec<_>>());
                let ingress = all(&[routes, others]);
                conds.push(if ingress == "True" {
                    Cond::ok("IngressReady", false)
                } else {
                    Cond::unknown(
                        "IngressReady",
                        "RoutesNotReady",
                        "waiting for routes",
                        false,
                    )
                });
                conds.push(if routes == "True" {
                    Cond::ok("RoutesReady", true)
                } else {
                    Cond::unknown("RoutesReady", "RoutesNotReady", "", true)
                });
                let latest_deploy = all(&component_ready
                    .iter()
                    .map(|c| c.1.status)
                    .collect::<Vec<_>>());
                conds.push(Cond {
                    kind: "LatestDeploymentReady",
                    info: true,
                    ..component_ready
                        .first()
                        .map(|c| c.1.clone())
                        .unwrap_or(Cond::unknown("", "", "", true))
                });
                let _ = latest_deploy;
                let ready_pred = component_ready
                    .iter()
                    .find(|c| c.0 == "predictor")
                    .map(|c| c.1.clone());
                conds.push(match (predictor_ready, ingress) {
                    ("True", "True") => Cond::ok("Ready", false),
                    ("False", _) => Cond {
                        kind: "Ready",
                        info: false,
                        ..ready_pred.unwrap_or(Cond::no("", "PredictorNotReady", "", false))
                    },
                    _ => Cond::unknown(
                        "Ready",
                        "PredictorNotReady",
                        "the predictor is not ready yet",
                        false,
                    ),
                });
                if predictor_ready == "True"
                    || svc
                        .knative
                        .get("predictor")
                        .is_some_and(|c| c.latest_ready().is_some())
                {
                    status["url"] = json!(format!("http://{name}.{ns}.example.com"));
                    status["address"] =
                        json!({"url": format!("http://{name}.{ns}.svc.cluster.local")});
                }
                if let Some(pred) = svc.knative.get("predictor") {
                    let ready_pods = pred
                        .revisions
                        .iter()
                        .flat_map(|r| r.pods.iter())
                        .filter(|p| p.is_ready())
                        .count();
                    let total = pred
                        .revisions
                        .iter()
                        .flat_map(|r| r.pods.iter())
                        .filter(|p| p.stage != Stage::Terminating)
                        .count();
                    let failure = pred.latest_created().and_then(|r| r.failed.clone());
                    let loading = pred
                        .latest_created()
                        .is_some_and(|r| !r.ready_once && r.failed.is_none());
                    status["modelStatus"] = status::model_status(
                        ready_pods,
                        total,
                        failure.as_ref().map(|(l, m)| (l.as_str(), m.as_str())),
                        loading,
                    );
                    let traffic = pred
                        .traffic
                        .iter()
                        .map(|t| format!("{} {}%", t.0, t.1))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if traffic != svc.last_traffic && !traffic.is_empty() {
                        events::record(
                            &ctl.store,
                            &about,
                            false,
                            "TrafficUpdated",
                            &format!("Traffic: {traffic}"),
                            "v1beta1Controllers",
                        );
                        svc.last_traffic = traffic;
                    }
                    if let Some(r) = pred.latest_created().filter(|r| r.failed.is_some()) {
                        events::record(
                            &ctl.store,
                            &about,
                            true,
                            "RevisionFailed",
                            &format!("Revision {} failed to become ready", r.name),
                            "v1beta1Controllers",
                        );
                    }
                }
                svc.next_pass = another.then(|| now + ctl.clock.delay(1.0));
            }
            DeploymentMode::Standard => {
                let stable_min = obj["spec"]["predictor"]["minReplicas"]
                    .as_i64()
                    .unwrap_or(1)
                    .max(1) as u32;
                let mut canary_status = Vec::new();
                let mut ready_canary_replicas = 0u32;
                for d in svc.deployments.values_mut() {
                    if let Some((cname, pct)) = d.canary.clone() {
                        let own_min = d
                            .sets
                            .last()
                            .and_then(|s| s.template.get("minReplicas"))
                            .and_then(Value::as_i64);
                        d.desired = own_min.map(|n| n.max(1) as u32).unwrap_or(
                            ((stable_min as f64 * pct as f64 / 100.0).ceil() as u32).max(1),
                        );
                        let ready = d.available();
                        if ready {
                            ready_canary_replicas += d.desired;
                        }
                        canary_status.push(json!({"name": cname, "ready": ready, "trafficPercent": if ready { pct } else { 0 }}));
                    }
                }
                let mut components = serde_json::Map::new();
                let mut all_ready = true;
                let mut failure = None;
                for d in svc.deployments.values_mut() {
                    if d.canary.is_none() {
                        let min = d
                            .sets
                            .last()
                            .map(|s| spec::min_replicas(&s.template))
                            .unwrap_or(1)
                            .max(1);
                        d.desired = if d.component == "predictor" {
                            min.saturating_sub(ready_canary_replicas).max(1)
                        } else {
                            min
                        };
                    }
                    standard::settle(ctl, ns, name, d, now);
                    standard::publish(ctl, ns, name, &svc.uid, d);
                    if d.canary.is_none() {
                        let ready = d.available();
                        all_ready &= ready;
                        if failure.is_none() {
                            failure = d
                                .sets
                                .last()
                                .and_then(|s| {
                                    s.pods
                                        .iter()
                                        .find(|p| p.plan.download_fails && p.init_restarts >= 2)
                                })
                                .map(|p| {
                                    (
                                        p.name.clone(),
                                        format!(
                                            "storage-initializer failed to download {}",
                                            p.plan.storage_uri.clone().unwrap_or_default()
                                        ),
                                    )
                                });
                        }
                        let host = format!("{}.{ns}", d.name);
                        let mut c = json!({"restUrl": format!("http://{host}.svc.cluster.local"), "grpcUrl": format!("grpc://{host}.svc.cluster.local:80"), "address": {"url": format!("http://{host}.svc.cluster.local")}});
                        if ready {
                            c["url"] = json!(format!("http://{}-{ns}.example.com", d.name));
                        }
                        components.insert(d.component.clone(), c);
                    }
                }
                status["components"] = Value::Object(components);
                let (reason, message) = match &failure {
                    Some((_, m)) => ("ProgressDeadlineExceeded", m.clone()),
                    None => (
                        "MinimumReplicasUnavailable",
                        "Deployment does not have minimum availability.".to_string(),
                    ),
                };
                conds.push(if all_ready {
                    Cond::ok("PredictorReady", false)
                } else if failure.is_some() {
                    Cond::no("PredictorReady", reason, &message, false)
                } else {
                    Cond::unknown("PredictorReady", reason, &message, false)
                });
                conds.push(Cond::ok("IngressReady", false));
                conds.push(if all_ready {
                    Cond::ok("Ready", false)
                } else if failure.is_some() {
                    Cond::no("Ready", reason, &message, false)
                } else {
                    Cond::unknown("Ready", reason, &message, false)
                });
                if !canary_status.is_empty() {
                    let ok = canary_status.iter().all(|c| c["ready"] == json!(true));
                    conds.push(if ok {
                        Cond {
                            reason: "AllCanariesReady".into(),
                            ..Cond::ok("CanaryPredictorReady", false)
                        }
                    } else {
                        Cond::no("CanaryPredictorReady", "CanariesNotReady", "", false)
                    });
                    status["canaryStatuses"] = json!(canary_status);
                }
                if all_ready {
                    status["url"] = json!(format!("http://{name}-{ns}.example.com"));
                    status["address"] =
                        json!({"url": format!("http://{name}-predictor.{ns}.svc.cluster.local")});
                }
                let ready_pods = svc.pods().filter(|p| p.is_ready()).count();
                let total = svc.pods().filter(|p| p.stage != Stage::Terminating).count();
                status["modelStatus"] = status::model_status(
                    ready_pods,
                    total,
                    failure.as_ref().map(|(l, m)| (l.as_str(), m.as_str())),
                    !all_ready && failure.is_none(),
                );
            }
            DeploymentMode::ModelMesh => {
                conds.push(Cond::ok("PredictorReady", false));
                conds.push(Cond::ok("IngressReady", false));
                conds.push(Cond::ok("Ready", false));
                status["url"] = json!(format!("grpc://modelmesh-serving.{ns}:8033"));
                status["modelStatus"] = status::model_status(1, 1, None, false);
            }
        }
        status["conditions"] = svc.transitions.render(&conds);
        if let Some(runtime) = obj["spec"]["predictor"]["model"]["runtime"].as_str() {
            status["servingRuntimeName"] = json!(runtime);
        } else if let Some(format) =
            obj["spec"]["predictor"]["model"]["modelFormat"]["name"].as_str()
        {
            status["clusterServingRuntimeName"] = json!(format!("kserve-{format}server"));
        }
        let mut next = (*obj).clone();
        next["status"] = status;
        if next != *obj {
            self.ctl.store.put(isvc_res, next);
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
    let (Some(isvcs), Some(graphs), Some(pods)) = (
        resources::find("serving.kserve.io", "v1beta1", "inferenceservices"),
        resources::find("serving.kserve.io", "v1alpha1", "inferencegraphs"),
        resources::find("", "v1", "pods"),
    ) else {
        return;
    };
    let store = controller.ctl.store.clone();
    let (mut isvc_rx, _) = store.subscribe(isvcs);
    let (mut graph_rx, _) = store.subscribe(graphs);
    let (mut pod_rx, _) = store.subscribe(pods);
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
