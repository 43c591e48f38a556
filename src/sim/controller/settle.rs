//! One reconcile pass over a service: traffic, pods and the status KServe would write —
//! conditions (Ready, PredictorReady, IngressReady, … with their reasons), components with
//! their traffic and tags, rolled-out revisions, model status, `canaryStatuses` — and the
//! Events for what changed.

use super::pods::Stage;
use super::status::{Cond, all};
use super::{Controller, events, knative, resources, spec, standard, status};
use crate::domain::mode::DeploymentMode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

impl Controller {
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
}
