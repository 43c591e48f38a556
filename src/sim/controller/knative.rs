//! Knative mode, as KServe drives it (FACTS.md §c): every change of a component's template
//! makes a new revision `{isvc}-{component}-0000N`; `canaryTrafficPercent` P splits traffic
//! between the latest *ready* revision (P %) and the `prev` entry, which is
//! `latestRolledoutRevision` (100-P %); a broken new revision gets no traffic; when the latest
//! revision reaches 100 % the rolled-out bookkeeping shifts; giving an already rolled-out
//! revision less than 100 % resets it to the previous one and traffic moves on the next
//! reconcile pass (the two-pass rollback after promotion). Revisions without traffic scale
//! to zero after a grace period.

use super::pods::{PodPlan, SimPod, Stage, pod_name};
use super::spec;
use super::{Behaviour, Ctl};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How long a revision without traffic keeps its pods.
pub const SCALE_TO_ZERO_GRACE: f64 = 30.0;
/// Requests per second one pod takes before the autoscaler adds another.
pub const TARGET_RPS_PER_POD: f64 = 25.0;

/// One Knative revision.
#[derive(Debug, Clone)]
pub struct Revision {
    pub name: String,
    pub template: Value,
    pub ready_once: bool,
    pub failed: Option<(String, String)>,
    pub pods: Vec<SimPod>,
    pub zero_since: Option<DateTime<Utc>>,
    pub seq: u64,
}

/// A component (predictor, transformer, explainer) in Knative mode.
#[derive(Debug, Clone, Default)]
pub struct KnComponent {
    pub revisions: Vec<Revision>,
    pub latest_rolledout: Option<String>,
    pub previous_rolledout: Option<String>,
    /// (revision, percent, is latest, tag) as last computed.
    pub traffic: Vec<(String, i64, bool, Option<&'static str>)>,
}

impl KnComponent {
    pub fn latest_created(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    pub fn latest_ready(&self) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.ready_once)
    }

    /// Share of the component's traffic a revision gets, from the last computed split.
    pub fn percent_of(&self, revision: &str) -> i64 {
        self.traffic
            .iter()
            .filter(|t| t.0 == revision)
            .map(|t| t.1)
            .sum()
    }
}

/// The template that, when it changes, makes a new revision: the component spec plus the
/// service annotations KServe copies into the revision template.
pub fn template(component: &Value, annotations: &Value) -> Value {
    let mut spec = component.clone();
    if let Some(o) = spec.as_object_mut() {
        // Traffic settings are route settings, not part of the revision.
        o.remove("canaryTrafficPercent");
    }
    let mut ann = annotations.clone();
    if let Some(o) = ann.as_object_mut() {
        o.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    json!({"spec": spec, "annotations": ann})
}

/// Adds a revision when the template changed; returns its name if one was made.
pub fn ensure_revision(
    comp: &mut KnComponent,
    isvc: &str,
    kind: &str,
    template: Value,
    now: DateTime<Utc>,
) -> Option<String> {
    if comp
        .latest_created()
        .is_some_and(|r| r.template == template)
    {
        return None;
    }
    let n = comp.revisions.len() + 1;
    let name = format!("{isvc}-{kind}-{n:05}");
    comp.revisions.push(Revision {
        name: name.clone(),
        template,
        ready_once: false,
        failed: None,
        pods: Vec::new(),
        zero_since: None,
        seq: 0,
    });
    let _ = now;
    Some(name)
}

fn plan_for(behaviour: &Behaviour, isvc: &str, kind: &str, rev: &Revision) -> PodPlan {
    let mut labels = BTreeMap::new();
    labels.insert(
        "serving.knative.dev/configurationGeneration".to_string(),
        rev.name
            .rsplit('-')
            .next()
            .unwrap_or("1")
            .trim_start_matches('0')
            .to_string(),
    );
    spec::plan(
        behaviour,
        isvc,
        kind,
        &rev.template["spec"],
        Some(rev.name.clone()),
        ("Revision".to_string(), rev.name.clone()),
        labels,
        true,
    )
}

/// Recomputes one component: revision readiness and failure, the traffic split and the
/// rolled-out bookkeeping, and the pods each revision should have. Returns whether another
/// reconcile pass is needed (the rollback-after-promotion case).
// The controller passes its parts explicitly so each pass's inputs are visible.
#[allow(clippy::too_many_arguments)]
pub fn settle(
    ctl: &Ctl,
    namespace: &str,
    isvc: &str,
    kind: &str,
    comp: &mut KnComponent,
    canary: Option<i64>,
    tag_routing: bool,
    rps: f64,
    now: DateTime<Utc>,
) -> bool {
    for rev in comp.revisions.iter_mut() {
        if rev.pods.iter().any(SimPod::is_ready) {
            rev.ready_once = true;
        }
        if rev.failed.is_none()
            && let Some(p) = rev
                .pods
                .iter()
                .find(|p| p.plan.download_fails && p.init_restarts >= 2)
        {
            let uri = p.plan.storage_uri.clone().unwrap_or_default();
            rev.failed = Some((
                p.name.clone(),
                format!(
                    "Revision \"{}\" failed with message: storage-initializer: failed to download {uri}: the bucket does not exist.",
                    rev.name
                ),
            ));
        }
    }
    let latest_ready = comp.latest_ready().map(|r| r.name.clone());
    let mut another_pass = false;
    comp.traffic = match &latest_ready {
        None => Vec::new(),
        Some(ready) => match (canary, &comp.latest_rolledout) {
            (Some(p), Some(stable)) if p < 100 => vec![
                (ready.clone(), p, true, tag_routing.then_some("latest")),
                (stable.clone(), 100 - p, false, Some("prev")),
            ],
            _ => vec![(ready.clone(), 100, true, tag_routing.then_some("latest"))],
        },
    };
    // PropagateStatus: the rolled-out bookkeeping.
    if let Some(ready) = &latest_ready {
        let latest_pct = comp.traffic.iter().find(|t| t.2).map(|t| t.1).unwrap_or(0);
        let total_for_ready = comp.percent_of(ready);
        if latest_pct == 100 {
            if comp.latest_rolledout.as_deref() != Some(ready) {
                comp.previous_rolledout = comp.latest_rolledout.take();
                comp.latest_rolledout = Some(ready.clone());
            }
        } else if comp.latest_rolledout.as_deref() == Some(ready)
            && total_for_ready == 100
            && comp.previous_rolledout.is_some()
        {
            comp.latest_rolledout = comp.previous_rolledout.clone();
            another_pass = true;
        }
    }
    // Pods: revisions with traffic scale with load; new ones start one pod; others go to zero.
    let newest = comp.latest_created().map(|r| r.name.clone());
    let behaviour = &ctl.behaviour;
    for rev in comp.revisions.iter_mut() {
        let pct = comp
            .traffic
            .iter()
            .filter(|t| t.0 == rev.name)
            .map(|t| t.1)
            .sum::<i64>();
        let min = spec::min_replicas(&rev.template["spec"]);
        let max = spec::max_replicas(&rev.template["spec"]);
        let desired = if pct > 0 {
            rev.zero_since = None;
            let wanted = (rps * pct as f64 / 100.0 / TARGET_RPS_PER_POD).ceil() as u32;
            wanted.clamp(min.max(1), max.max(1))
        } else if Some(&rev.name) == newest.as_ref() && !rev.ready_once && rev.failed.is_none() {
            1
        } else if Some(&rev.name) == newest.as_ref() && rev.failed.is_some() {
            // A failed revision keeps its crash-looping pod, as Knative does until the deadline.
            1
        } else {
            let since = *rev.zero_since.get_or_insert(now);
            if now - since < ctl.clock.delay(SCALE_TO_ZERO_GRACE) {
                rev.pods
                    .iter()
                    .filter(|p| p.stage != Stage::Terminating)
                    .count() as u32
            } else {
                0
            }
        };
        scale(ctl, namespace, isvc, kind, behaviour, rev, desired, now);
    }
    another_pass
}

// The controller passes its parts explicitly so each pass's inputs are visible.
#[allow(clippy::too_many_arguments)]
fn scale(
    ctl: &Ctl,
    namespace: &str,
    isvc: &str,
    kind: &str,
    behaviour: &Behaviour,
    rev: &mut Revision,
    desired: u32,
    now: DateTime<Utc>,
) {
    rev.pods.retain(|p| p.stage != Stage::Gone);
    let live: Vec<usize> = rev
        .pods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.stage != Stage::Terminating)
        .map(|(i, _)| i)
        .collect();
    if (live.len() as u32) < desired {
        for _ in live.len() as u32..desired {
            rev.seq += 1;
            let plan = plan_for(behaviour, isvc, kind, rev);
            let name = pod_name(&format!("{}-deployment", rev.name), rev.seq);
            let pod = ctl.start_pod(namespace, name, plan, now);
            rev.pods.push(pod);
        }
    } else if live.len() as u32 > desired {
        for &i in live.iter().rev().take(live.len() - desired as usize) {
            ctl.stop_pod(&mut rev.pods[i], now);
        }
    }
}

/// The component's `status.components.<kind>`.
pub fn component_status(namespace: &str, isvc: &str, kind: &str, comp: &KnComponent) -> Value {
    let host = format!("{isvc}-{kind}.{namespace}");
    let traffic: Vec<Value> = comp
        .traffic
        .iter()
        .map(|(rev, pct, latest, tag)| {
            let mut t = json!({"revisionName": rev, "latestRevision": latest, "percent": pct});
            if let Some(tag) = tag {
                t["tag"] = json!(tag);
                t["url"] = json!(format!("http://{tag}-{host}.example.com"));
            }
            t
        })
        .collect();
    let mut s = json!({
        "url": format!("http://{host}.example.com"),
        "restUrl": format!("http://{host}.svc.cluster.local"),
        "grpcUrl": format!("grpc://{host}.svc.cluster.local:80"),
        "address": {"url": format!("http://{host}.svc.cluster.local")},
        "traffic": null,
    });
    s["traffic"] = Value::Array(traffic);
    if let Some(r) = comp.latest_created() {
        s["latestCreatedRevision"] = json!(r.name);
    }
    if let Some(r) = comp.latest_ready() {
        s["latestReadyRevision"] = json!(r.name);
    }
    s["latestRolledoutRevision"] = json!(comp.latest_rolledout.clone().unwrap_or_default());
    s["previousRolledoutRevision"] = json!(comp.previous_rolledout.clone().unwrap_or_default());
    s
}
