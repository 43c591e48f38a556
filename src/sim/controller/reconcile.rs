//! The steps of reconciling an InferenceService's spec: what a deployment-mode change tears
//! down, the Knative revisions each component's template makes, and the Deployments (stable,
//! transformer, explainer, canaries) Standard mode wants.

use super::events::{self, About};
use super::standard::{self, Deploy};
use super::{COMPONENTS, Ctl, Service, WantedDeployment, knative};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// A mode change replaces everything: every pod stops, revisions and Deployments go.
pub(super) fn replace_everything(ctl: &Ctl, svc: &mut Service, ns: &str, now: DateTime<Utc>) {
    for p in svc.pods_mut() {
        ctl.stop_pod(p, now);
    }
    svc.knative.clear();
    for d in svc.deployments.values_mut() {
        standard::remove(ctl, ns, d, now);
    }
    svc.deployments.clear();
}

/// Knative mode: a component gone from the spec stops its pods; a component whose template
/// changed gets a new revision (and a RevisionCreated event).
pub(super) fn knative_revisions(
    ctl: &Ctl,
    svc: &mut Service,
    about: &About,
    spec: &Value,
    annotations: &Value,
    now: DateTime<Utc>,
) {
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
            about.name,
            kind,
            knative::template(component, annotations),
            now,
        ) {
            events::record(
                &ctl.store,
                about,
                false,
                "RevisionCreated",
                &format!("Created Knative revision {rev}"),
                "v1beta1Controllers",
            );
        }
    }
}

/// The Deployments Standard mode wants for `spec`, by name: the stable predictor, the
/// transformer and explainer, and one per canary entry (the predictor with its overrides).
fn wanted_deployments(spec: &Value, name: &str) -> BTreeMap<String, WantedDeployment> {
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
    wanted
}

/// Standard mode: Deployments no longer wanted are removed; each wanted one takes its
/// template (a changed template rolls out a new ReplicaSet, with an Updated event).
pub(super) fn standard_deployments(
    ctl: &Ctl,
    svc: &mut Service,
    about: &About,
    spec: &Value,
    now: DateTime<Utc>,
) {
    let wanted = wanted_deployments(spec, about.name);
    let stale: Vec<String> = svc
        .deployments
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    for k in stale {
        if let Some(mut d) = svc.deployments.remove(&k) {
            standard::remove(ctl, about.namespace, &mut d, now);
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
                about,
                false,
                "Updated",
                &format!("Rolling out Deployment {dname} revision {}", d.sets.len()),
                "v1beta1Controllers",
            );
        }
    }
}
