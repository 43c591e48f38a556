//! Standard mode (formerly RawDeployment): a Deployment `{isvc}-predictor` whose template
//! changes roll out as new ReplicaSets (the previous one is kept, scaled to zero, with its
//! `deployment.kubernetes.io/revision`, so clients can roll back to it);
//! `canaryTrafficPercent` is ignored. KServe v0.20's `spec.canary[]`: each canary gets its
//! own Deployment `{isvc}-{name}-predictor` running the stable predictor deep-merged with
//! the canary's overrides, `ceil(stableMinReplicas × percent / 100)` replicas (or its own
//! minReplicas), and traffic only once ready (FACTS.md §c).

use super::Ctl;
use super::pods::{SimPod, Stage, suffix};
use super::spec;
use crate::sim::clock::stamp;
use crate::sim::resources;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One ReplicaSet of a Deployment.
#[derive(Debug, Clone)]
pub struct ReplicaSet {
    pub name: String,
    pub hash: String,
    pub revision: u32,
    pub template: Value,
    pub pods: Vec<SimPod>,
    pub seq: u64,
}

/// A Deployment and its ReplicaSets (newest last).
#[derive(Debug, Clone, Default)]
pub struct Deploy {
    pub name: String,
    pub component: String,
    /// For a canary: its name and traffic share.
    pub canary: Option<(String, i64)>,
    pub sets: Vec<ReplicaSet>,
    pub desired: u32,
}

impl Deploy {
    pub fn ready_pods(&self) -> usize {
        self.sets
            .last()
            .map(|s| s.pods.iter().filter(|p| p.is_ready()).count())
            .unwrap_or(0)
    }

    pub fn available(&self) -> bool {
        self.ready_pods() as u32 >= self.desired.max(1)
    }

    fn current(&self) -> Option<&ReplicaSet> {
        self.sets.last()
    }
}

/// Rolls the Deployment to `template` if it changed (a new ReplicaSet).
pub fn ensure_template(d: &mut Deploy, template: Value) {
    if d.current().is_some_and(|s| s.template == template) {
        return;
    }
    let revision = d.sets.len() as u32 + 1;
    let hash = format!(
        "{:x}",
        super::events::fxhash(&template.to_string()) & 0xff_ffff_ffff
    );
    let hash: String = hash.chars().take(10).collect();
    d.sets.push(ReplicaSet {
        name: format!("{}-{hash}", d.name),
        hash,
        revision,
        template,
        pods: Vec::new(),
        seq: 0,
    });
}

fn labels(deploy: &str, set: &ReplicaSet) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert("app".to_string(), format!("isvc.{deploy}"));
    l.insert("pod-template-hash".to_string(), set.hash.clone());
    l
}

/// Scales the current ReplicaSet to `desired` and, once it is available, the older ones to
/// zero (a rolling update).
pub fn settle(ctl: &Ctl, namespace: &str, isvc: &str, d: &mut Deploy, now: DateTime<Utc>) {
    let new_ready = d.ready_pods() as u32 >= d.desired.max(1);
    let count = d.sets.len();
    let desired = d.desired;
    let name = d.name.clone();
    let component = d.component.clone();
    for (i, set) in d.sets.iter_mut().enumerate() {
        set.pods.retain(|p| p.stage != Stage::Gone);
        let want = if i + 1 == count {
            desired
        } else if new_ready {
            0
        } else {
            set.pods
                .iter()
                .filter(|p| p.stage != Stage::Terminating)
                .count() as u32
        };
        let live: Vec<usize> = set
            .pods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.stage != Stage::Terminating)
            .map(|(i, _)| i)
            .collect();
        if (live.len() as u32) < want {
            for _ in live.len() as u32..want {
                set.seq += 1;
                let plan = spec::plan(
                    &ctl.behaviour,
                    isvc,
                    &component,
                    &set.template,
                    None,
                    ("ReplicaSet".to_string(), set.name.clone()),
                    labels(&name, set),
                    false,
                );
                let pod = ctl.start_pod(
                    namespace,
                    format!(
                        "{}-{}",
                        set.name,
                        suffix(&format!("{}{}", set.name, set.seq))
                    ),
                    plan,
                    now,
                );
                set.pods.push(pod);
            }
        } else if live.len() as u32 > want {
            for &i in live.iter().rev().take(live.len() - want as usize) {
                ctl.stop_pod(&mut set.pods[i], now);
            }
        }
    }
}

/// Writes the Deployment and its ReplicaSets to the store.
pub fn publish(ctl: &Ctl, namespace: &str, isvc: &str, owner_uid: &str, d: &Deploy) {
    let (Some(deployments), Some(replicasets)) = (
        resources::find("apps", "v1", "deployments"),
        resources::find("apps", "v1", "replicasets"),
    ) else {
        return;
    };
    let ready = d.ready_pods() as u32;
    let available = d.available();
    let app = json!({"app": format!("isvc.{}", d.name), "serving.kserve.io/inferenceservice": isvc, "component": d.component});
    let current = d.sets.last();
    let template = |set: &ReplicaSet| {
        let uri = spec::storage_uri(&set.template);
        let mut t = json!({"metadata": {"labels": {"app": format!("isvc.{}", d.name), "pod-template-hash": set.hash}},
            "spec": {"containers": [{"name": "kserve-container", "image": set.template.get("image").cloned().unwrap_or(json!("kserve/sklearnserver:v0.15.0")), "args": ["--model_name", isvc]}]}});
        if let Some(uri) = uri {
            t["spec"]["initContainers"] = json!([{"name": "storage-initializer", "image": "kserve/storage-initializer:v0.15.0", "args": [uri, "/mnt/models"]}]);
        }
        t
    };
    let existing = ctl.store.get(deployments, namespace, &d.name);
    let created = existing
        .as_ref()
        .and_then(|e| {
            e["metadata"]["creationTimestamp"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| stamp(Utc::now()));
    let owner = json!([{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": isvc, "uid": owner_uid, "controller": true}]);
    let dep = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": d.name, "namespace": namespace, "labels": app, "ownerReferences": owner, "creationTimestamp": created,
            "annotations": {"deployment.kubernetes.io/revision": current.map(|s| s.revision.to_string()).unwrap_or_default()}},
        "spec": {"replicas": d.desired, "selector": {"matchLabels": {"app": format!("isvc.{}", d.name)}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": current.map(template).unwrap_or(Value::Null)},
        "status": {"replicas": d.desired, "readyReplicas": ready, "availableReplicas": ready, "updatedReplicas": ready,
            "conditions": [
                {"type": "Available", "status": if available { "True" } else { "False" }, "reason": if available { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }},
                {"type": "Progressing", "status": "True", "reason": if available { "NewReplicaSetAvailable" } else { "ReplicaSetUpdated" }}]}
    });
    let mut dep = dep;
    if let Some(e) = &existing
        && e.get("spec") == dep.get("spec")
    {
        dep["metadata"]["generation"] = e["metadata"]["generation"].clone();
    }
    ctl.store.put(deployments, dep);
    for set in &d.sets {
        let n = set
            .pods
            .iter()
            .filter(|p| p.stage != Stage::Terminating)
            .count();
        let r = set.pods.iter().filter(|p| p.is_ready()).count();
        ctl.store.put(
            replicasets,
            json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": set.name, "namespace": namespace, "labels": {"app": format!("isvc.{}", d.name), "pod-template-hash": set.hash},
                    "annotations": {"deployment.kubernetes.io/revision": set.revision.to_string()},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": d.name, "uid": "", "controller": true}]},
                "spec": {"replicas": n, "selector": {"matchLabels": {"pod-template-hash": set.hash}}, "template": template(set)},
                "status": {"replicas": n, "readyReplicas": r, "availableReplicas": r}
            }),
        );
    }
}

/// Removes a Deployment that is no longer wanted, with its ReplicaSets and pods.
pub fn remove(ctl: &Ctl, namespace: &str, d: &mut Deploy, now: DateTime<Utc>) {
    for set in d.sets.iter_mut() {
        for p in set.pods.iter_mut() {
            ctl.stop_pod(p, now);
        }
        if let Some(rs) = resources::find("apps", "v1", "replicasets") {
            ctl.store.delete(rs, namespace, &set.name);
        }
    }
    if let Some(dep) = resources::find("apps", "v1", "deployments") {
        ctl.store.delete(dep, namespace, &d.name);
    }
}
