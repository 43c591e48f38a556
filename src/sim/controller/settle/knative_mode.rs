//! A pass over a Knative-mode service: each component's revisions and traffic, its
//! Configuration/Route/Ready conditions, the service-level Ingress/Routes/Ready conditions,
//! and the predictor's model status and traffic Events.

use super::Pass;
use crate::sim::controller::Service;
use crate::sim::controller::events;
use crate::sim::controller::knative::{self, KnComponent};
use crate::sim::controller::pods::Stage;
use crate::sim::controller::status::{Cond, all, model_status};
use serde_json::{Value, json};

/// A component's Ready condition and its route's status.
struct ComponentReady {
    kind: String,
    ready: Cond,
    route: &'static str,
}

/// Settles every component, then writes components, conditions, URLs and model status.
pub(super) fn settle(
    p: &Pass,
    obj: &Value,
    svc: &mut Service,
    rps: f64,
    status: &mut Value,
    conds: &mut Vec<Cond>,
) {
    let canary = obj["spec"]["predictor"]["canaryTrafficPercent"].as_i64();
    let tag_routing = obj["metadata"]["annotations"]["serving.kserve.io/enable-tag-routing"]
        .as_str()
        == Some("true");
    let mut components = serde_json::Map::new();
    let mut component_ready = Vec::new();
    let mut another = false;
    for (kind, comp) in svc.knative.iter_mut() {
        let pct = if kind == "predictor" { canary } else { None };
        another |= knative::settle(
            p.ctl,
            p.ns,
            p.name,
            kind,
            comp,
            pct,
            tag_routing,
            rps,
            p.now,
        );
        components.insert(
            kind.clone(),
            knative::component_status(p.ns, p.name, kind, comp),
        );
        component_ready.push(component_conditions(p.name, kind, comp, conds));
    }
    status["components"] = Value::Object(components);
    let predictor_ready = service_conditions(&component_ready, conds);
    if predictor_ready == "True"
        || svc
            .knative
            .get("predictor")
            .is_some_and(|c| c.latest_ready().is_some())
    {
        let (name, ns) = (p.name, p.ns);
        status["url"] = json!(format!("http://{name}.{ns}.example.com"));
        status["address"] = json!({"url": format!("http://{name}.{ns}.svc.cluster.local")});
    }
    if let Some(pred) = svc.knative.get("predictor") {
        let about = events::About {
            kind: "InferenceService",
            api_version: "serving.kserve.io/v1beta1",
            namespace: p.ns,
            name: p.name,
            uid: &svc.uid,
        };
        predictor_status(p, &about, pred, &mut svc.last_traffic, status);
    }
    svc.next_pass = another.then(|| p.now + p.ctl.clock.delay(1.0));
}

/// Pushes one component's Configuration and Route conditions and returns its Ready one.
fn component_conditions(
    name: &str,
    kind: &str,
    comp: &KnComponent,
    conds: &mut Vec<Cond>,
) -> ComponentReady {
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
            &format!("Configuration \"{name}-{kind}\" is waiting for a Revision to become ready."),
            true,
        ),
    };
    let route = if comp.latest_ready().is_some() {
        Cond::ok("", true)
    } else {
        Cond::unknown("", "RevisionMissing", "waiting for a ready revision", true)
    };
    let ready_status = all(&[config.status, route.status]);
    let (k_ready, k_config, k_route) = condition_kinds(kind);
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
    conds.push(ready.clone());
    ComponentReady {
        kind: kind.to_string(),
        ready,
        route: route.status,
    }
}

/// The Ready, ConfigurationReady and RouteReady condition types of a component.
fn condition_kinds(kind: &str) -> (&'static str, &'static str, &'static str) {
    match kind {
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
    }
}

/// Pushes the service-level IngressReady, RoutesReady, LatestDeploymentReady and Ready
/// conditions; returns the predictor's Ready status.
fn service_conditions(component_ready: &[ComponentReady], conds: &mut Vec<Cond>) -> &'static str {
    let predictor_ready = component_ready
        .iter()
        .find(|c| c.kind == "predictor")
        .map(|c| c.ready.status)
        .unwrap_or("Unknown");
    let routes = all(&component_ready.iter().map(|c| c.route).collect::<Vec<_>>());
    let others = all(&component_ready
        .iter()
        .filter(|c| c.kind != "predictor")
        .map(|c| c.ready.status)
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
    conds.push(Cond {
        kind: "LatestDeploymentReady",
        info: true,
        ..component_ready
            .first()
            .map(|c| c.ready.clone())
            .unwrap_or(Cond::unknown("", "", "", true))
    });
    let ready_pred = component_ready
        .iter()
        .find(|c| c.kind == "predictor")
        .map(|c| c.ready.clone());
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
    predictor_ready
}

/// Writes the model status from the predictor's pods and records traffic changes and a
/// failed latest revision as Events.
fn predictor_status(
    p: &Pass,
    about: &events::About,
    pred: &KnComponent,
    last_traffic: &mut String,
    status: &mut Value,
) {
    let ready_pods = pred
        .revisions
        .iter()
        .flat_map(|r| r.pods.iter())
        .filter(|pod| pod.is_ready())
        .count();
    let total = pred
        .revisions
        .iter()
        .flat_map(|r| r.pods.iter())
        .filter(|pod| pod.stage != Stage::Terminating)
        .count();
    let failure = pred.latest_created().and_then(|r| r.failed.clone());
    let loading = pred
        .latest_created()
        .is_some_and(|r| !r.ready_once && r.failed.is_none());
    status["modelStatus"] = model_status(
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
    if traffic != *last_traffic && !traffic.is_empty() {
        events::record(
            &p.ctl.store,
            about,
            false,
            "TrafficUpdated",
            &format!("Traffic: {traffic}"),
            "v1beta1Controllers",
        );
        *last_traffic = traffic;
    }
    if let Some(r) = pred.latest_created().filter(|r| r.failed.is_some()) {
        events::record(
            &p.ctl.store,
            about,
            true,
            "RevisionFailed",
            &format!("Revision {} failed to become ready", r.name),
            "v1beta1Controllers",
        );
    }
}
