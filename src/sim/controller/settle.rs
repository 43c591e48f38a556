//! One reconcile pass over a service: traffic, pods and the status KServe would write —
//! conditions (Ready, PredictorReady, IngressReady, … with their reasons), components with
//! their traffic and tags, rolled-out revisions, model status, `canaryStatuses` — and the
//! Events for what changed. Each deployment mode settles in its own module; this one picks
//! the mode and writes what every mode shares.

mod knative_mode;
mod standard_mode;

use super::status::{Cond, model_status};
use super::{Controller, Ctl, resources};
use crate::domain::mode::DeploymentMode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Where and when one pass runs.
struct Pass<'a> {
    ctl: &'a Ctl,
    ns: &'a str,
    name: &'a str,
    now: DateTime<Utc>,
}

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
        let pass = Pass {
            ctl: &self.ctl,
            ns,
            name,
            now,
        };
        let Some(svc) = self.services.get_mut(&(ns.to_string(), name.to_string())) else {
            return;
        };
        let mut status = json!({"observedGeneration": svc.generation});
        let mut conds: Vec<Cond> = Vec::new();
        let mode = svc.mode.unwrap_or(DeploymentMode::Knative);
        status["deploymentMode"] = json!(mode.label());
        match mode {
            DeploymentMode::Knative => {
                knative_mode::settle(&pass, &obj, svc, rps, &mut status, &mut conds);
            }
            DeploymentMode::Standard => {
                standard_mode::settle(&pass, &obj, svc, &mut status, &mut conds);
            }
            DeploymentMode::ModelMesh => {
                conds.push(Cond::ok("PredictorReady", false));
                conds.push(Cond::ok("IngressReady", false));
                conds.push(Cond::ok("Ready", false));
                status["url"] = json!(format!("grpc://modelmesh-serving.{ns}:8033"));
                status["modelStatus"] = model_status(1, 1, None, false);
            }
        }
        status["conditions"] = svc.transitions.render(&conds);
        runtime_names(&obj, &mut status);
        let mut next = (*obj).clone();
        next["status"] = status;
        if next != *obj {
            self.ctl.store.put(isvc_res, next);
        }
    }
}

/// The serving runtime KServe picked: the one named in the spec, else the cluster runtime
/// for the model format.
fn runtime_names(obj: &Value, status: &mut Value) {
    if let Some(runtime) = obj["spec"]["predictor"]["model"]["runtime"].as_str() {
        status["servingRuntimeName"] = json!(runtime);
    } else if let Some(format) = obj["spec"]["predictor"]["model"]["modelFormat"]["name"].as_str() {
        status["clusterServingRuntimeName"] = json!(format!("kserve-{format}server"));
    }
}
