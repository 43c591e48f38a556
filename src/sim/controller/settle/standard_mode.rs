//! A pass over a Standard-mode service: canary Deployments sized by their traffic share,
//! the stable Deployments sized around them, each component's URLs, and the predictor's
//! Ready conditions, `canaryStatuses` and model status.

use super::Pass;
use crate::sim::controller::pods::Stage;
use crate::sim::controller::status::{Cond, model_status};
use crate::sim::controller::{Service, spec, standard};
use serde_json::{Value, json};

/// Settles every Deployment, then writes components, conditions, URLs and model status.
pub(super) fn settle(
    p: &Pass,
    obj: &Value,
    svc: &mut Service,
    status: &mut Value,
    conds: &mut Vec<Cond>,
) {
    let (name, ns) = (p.name, p.ns);
    let stable_min = obj["spec"]["predictor"]["minReplicas"]
        .as_i64()
        .unwrap_or(1)
        .max(1) as u32;
    let (canary_status, ready_canary_replicas) = size_canaries(svc, stable_min);
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
        standard::settle(p.ctl, ns, name, d, p.now);
        standard::publish(p.ctl, ns, name, &svc.uid, d);
        if d.canary.is_none() {
            let ready = d.available();
            all_ready &= ready;
            if failure.is_none() {
                failure = download_failure(d);
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
    push_conditions(all_ready, &failure, &canary_status, status, conds);
    if all_ready {
        status["url"] = json!(format!("http://{name}-{ns}.example.com"));
        status["address"] =
            json!({"url": format!("http://{name}-predictor.{ns}.svc.cluster.local")});
    }
    let ready_pods = svc.pods().filter(|pod| pod.is_ready()).count();
    let total = svc
        .pods()
        .filter(|pod| pod.stage != Stage::Terminating)
        .count();
    status["modelStatus"] = model_status(
        ready_pods,
        total,
        failure.as_ref().map(|(l, m)| (l.as_str(), m.as_str())),
        !all_ready && failure.is_none(),
    );
}

/// Sizes each canary Deployment (its own minReplicas, else its share of the stable
/// minimum); returns the `canaryStatuses` entries and the replicas of the ready canaries.
fn size_canaries(svc: &mut Service, stable_min: u32) -> (Vec<Value>, u32) {
    let mut canary_status = Vec::new();
    let mut ready_canary_replicas = 0u32;
    for d in svc.deployments.values_mut() {
        if let Some((cname, pct)) = d.canary.clone() {
            let own_min = d
                .sets
                .last()
                .and_then(|s| s.template.get("minReplicas"))
                .and_then(Value::as_i64);
            d.desired = own_min
                .map(|n| n.max(1) as u32)
                .unwrap_or(((stable_min as f64 * pct as f64 / 100.0).ceil() as u32).max(1));
            let ready = d.available();
            if ready {
                ready_canary_replicas += d.desired;
            }
            canary_status.push(json!({"name": cname, "ready": ready, "trafficPercent": if ready { pct } else { 0 }}));
        }
    }
    (canary_status, ready_canary_replicas)
}

/// The pod whose storage initializer keeps failing to download the model, with the message.
fn download_failure(d: &standard::Deploy) -> Option<(String, String)> {
    d.sets
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
        })
}

/// Pushes PredictorReady, IngressReady, Ready and (with canaries) CanaryPredictorReady, and
/// writes `canaryStatuses`.
fn push_conditions(
    all_ready: bool,
    failure: &Option<(String, String)>,
    canary_status: &[Value],
    status: &mut Value,
    conds: &mut Vec<Cond>,
) {
    let (reason, message) = match failure {
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
}
