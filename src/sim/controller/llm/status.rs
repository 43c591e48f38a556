//! The status an LLMInferenceService reconcile writes, as KServe writes it: the workload
//! conditions (MainWorkloadReady, WorkerWorkloadReady, PrefillWorkloadReady,
//! PrefillWorkerWorkloadReady → WorkloadsReady), the router conditions (GatewaysReady,
//! HTTPRoutesReady, InferencePoolReady, SchedulerWorkloadReady → RouterReady),
//! Ready = WorkloadsReady ∧ RouterReady, PresetsCombined and GroupReady/GroupDegraded on
//! their own; `workloads`, `router`, `addresses`, `url`, `appliedConfigs`,
//! `observedGeneration`. Transition times only move when a condition's status changes.

use serde_json::{Value, json};

/// Ready and wanted pods of a workload.
pub type Pods = (u32, u32);

/// A routing group as it shows: its name and members (name, weight, stopped).
pub type Group = (String, Vec<(String, i64, bool)>);

/// A `baseRefs` entry naming an LLMInferenceServiceConfig the namespace does not have; its
/// text is the PresetsCombined condition's message, as KServe's controller words it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("LLMInferenceServiceConfig \"{0}\" not found")]
pub struct ConfigNotFound(pub String);

/// What the controller saw on one pass.
#[derive(Debug, Clone)]
pub struct Observed {
    pub name: String,
    pub generation: i64,
    /// The configs applied, or the one not found.
    pub presets: Result<Vec<String>, ConfigNotFound>,
    pub stopped: bool,
    /// The main workload's pods have not become ready within the progress deadline.
    pub deadline_exceeded: bool,
    pub main: Pods,
    pub worker: Option<Pods>,
    pub prefill: Option<Pods>,
    pub prefill_worker: Option<Pods>,
    /// Each gateway (namespace, name) and its address when it exists and is programmed.
    pub gateways: Vec<(String, String, Option<String>)>,
    /// The scheduler's pod is ready (None: no scheduler).
    pub scheduler: Option<bool>,
    pub pool: Option<String>,
    /// (group, members (name, weight, stopped)) as the group shows now.
    pub group: Option<Group>,
    /// (every serving member Ready, some members diverge).
    pub group_health: Option<(bool, bool)>,
    pub namespace: String,
}

/// One condition: type, status, reason, message.
type Cond = (&'static str, bool, &'static str, String);

fn workload_cond(kind: &'static str, pods: Pods, o: &Observed) -> Cond {
    let (ready, wanted) = pods;
    if o.stopped {
        return (
            kind,
            false,
            "Stopped",
            "the service is stopped (serving.kserve.io/stop=true)".into(),
        );
    }
    if ready >= wanted && wanted > 0 {
        return (kind, true, "", String::new());
    }
    if o.deadline_exceeded {
        return (
            kind,
            false,
            "ProgressDeadlineExceeded",
            format!(
                "ReplicaSet \"{}-kserve\" has timed out progressing.",
                o.name
            ),
        );
    }
    (
        kind,
        false,
        "MinimumReplicasUnavailable",
        format!("{ready}/{wanted} pods ready"),
    )
}

fn all(kind: &'static str, parts: &[&Cond]) -> Cond {
    match parts.iter().find(|c| !c.1) {
        Some(c) => (kind, false, c.2, c.3.clone()),
        None => (kind, true, "", String::new()),
    }
}

fn conditions(o: &Observed) -> Vec<Cond> {
    let mut out: Vec<Cond> = Vec::new();
    let presets = match &o.presets {
        Ok(_) => ("PresetsCombined", true, "", String::new()),
        Err(missing) => (
            "PresetsCombined",
            false,
            "ConfigNotFound",
            missing.to_string(),
        ),
    };
    let mut workloads = vec![workload_cond("MainWorkloadReady", o.main, o)];
    if let Some(w) = o.worker {
        workloads.push(workload_cond("WorkerWorkloadReady", w, o));
    }
    if let Some(p) = o.prefill {
        workloads.push(workload_cond("PrefillWorkloadReady", p, o));
    }
    if let Some(p) = o.prefill_worker {
        workloads.push(workload_cond("PrefillWorkerWorkloadReady", p, o));
    }
    let mut router: Vec<Cond> = Vec::new();
    if !o.gateways.is_empty() {
        let missing = o.gateways.iter().find(|g| g.2.is_none());
        router.push(match missing {
            Some((ns, name, _)) => (
                "GatewaysReady",
                false,
                "WaitingForGateway",
                format!("Gateway {ns}/{name} is not found or not programmed"),
            ),
            None => ("GatewaysReady", true, "", String::new()),
        });
        router.push(match missing {
            Some((ns, name, _)) => (
                "HTTPRoutesReady",
                false,
                "WaitingForGateway",
                format!(
                    "HTTPRoute {}-kserve-route waits for its parent Gateway {ns}/{name}",
                    o.name
                ),
            ),
            None => ("HTTPRoutesReady", true, "", String::new()),
        });
    }
    if let Some(ready) = o.scheduler {
        let pool = o.pool.clone().unwrap_or_default();
        let serving = !o.stopped && o.main.0 > 0;
        router.push(if ready && serving {
            ("InferencePoolReady", true, "", String::new())
        } else {
            (
                "InferencePoolReady",
                false,
                "InferencePoolNotReady",
                format!("InferencePool {pool} has no ready endpoints"),
            )
        });
        router.push(if ready {
            ("SchedulerWorkloadReady", true, "", String::new())
        } else {
            (
                "SchedulerWorkloadReady",
                false,
                "MinimumReplicasUnavailable",
                "the scheduler (EPP) has no ready pod".to_string(),
            )
        });
    }
    let refs: Vec<&Cond> = workloads.iter().collect();
    let workloads_ready = all("WorkloadsReady", &refs);
    let refs: Vec<&Cond> = router.iter().collect();
    let router_ready = all("RouterReady", &refs);
    let ready = if !presets.1 {
        ("Ready", false, presets.2, presets.3.clone())
    } else {
        all("Ready", &[&workloads_ready, &router_ready])
    };
    out.push(presets);
    out.extend(workloads);
    out.push(workloads_ready);
    out.extend(router);
    out.push(router_ready);
    if let Some((all_ready, diverging)) = o.group_health {
        out.push(if all_ready {
            ("GroupReady", true, "", String::new())
        } else {
            (
                "GroupReady",
                false,
                "MemberNotReady",
                "a member of the routing group is not Ready".into(),
            )
        });
        out.push(if diverging {
            (
                "GroupDegraded",
                true,
                "MemberDivergence",
                "members of the routing group diverge in readiness".into(),
            )
        } else {
            ("GroupDegraded", false, "", String::new())
        });
    }
    out.push(ready);
    out
}

/// The status for `o`, keeping transition times from `previous` where a status held.
pub fn render(o: &Observed, previous: &Value, now: &str) -> Value {
    let old = previous["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let conds: Vec<Value> = conditions(o)
        .into_iter()
        .map(|(kind, ok, reason, message)| {
            let status = if ok { "True" } else { "False" };
            let since = old
                .iter()
                .find(|c| c["type"] == kind && c["status"] == status)
                .and_then(|c| c["lastTransitionTime"].as_str())
                .unwrap_or(now);
            let mut c = json!({"type": kind, "status": status, "lastTransitionTime": since});
            if !reason.is_empty() {
                c["reason"] = json!(reason);
            }
            if !message.is_empty() {
                c["message"] = json!(message);
                c["severity"] = json!(if kind == "Ready" { "Error" } else { "Info" });
            }
            c
        })
        .collect();
    let address = o.gateways.iter().find_map(|g| g.2.clone());
    let url = address.map(|a| format!("http://{a}/{}/{}", o.namespace, o.name));
    let mut status = json!({"observedGeneration": o.generation, "conditions": conds});
    if let Some(u) = &url {
        status["url"] = json!(u);
        status["addresses"] = json!([{"name": "gateway-external", "url": u}]);
    }
    if let Ok(applied) = &o.presets {
        status["appliedConfigs"] = json!(applied);
    }
    let mut workloads = json!({"main": {"name": format!("{}-kserve", o.name), "readyReplicas": o.main.0, "replicas": o.main.1}});
    if let Some(w) = o.worker {
        workloads["worker"] =
            json!({"name": format!("{}-kserve-mn", o.name), "readyReplicas": w.0, "replicas": w.1});
    }
    if let Some(p) = o.prefill {
        workloads["prefill"] = json!({"name": format!("{}-kserve-prefill", o.name), "readyReplicas": p.0, "replicas": p.1});
    }
    status["workloads"] = workloads;
    let mut router = json!({});
    if !o.gateways.is_empty() {
        router["gateways"] = json!(
            o.gateways
                .iter()
                .map(|(ns, n, a)| json!({"namespace": ns, "name": n, "programmed": a.is_some()}))
                .collect::<Vec<_>>()
        );
    }
    if let Some(pool) = &o.pool {
        router["scheduler"] = json!({"inferencePool": {"name": pool, "namespace": o.namespace}});
    }
    if let Some((g, members)) = &o.group {
        router["group"] = json!({"name": g, "members": members.iter().map(|(n, w, s)| json!({"name": n, "weight": w, "stopped": s})).collect::<Vec<_>>()});
    }
    status["router"] = router;
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond<'a>(s: &'a Value, kind: &str) -> &'a Value {
        s["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == kind))
            .unwrap_or(&Value::Null)
    }

    fn healthy() -> Observed {
        Observed {
            name: "chat".into(),
            namespace: "llm".into(),
            generation: 2,
            presets: Ok(vec!["kserve-config-llm-template".into()]),
            main: (2, 2),
            gateways: vec![("llm".into(), "gw".into(), Some("10.0.0.1".into()))],
            scheduler: Some(true),
            pool: Some("chat-inference-pool".into()),
            stopped: false,
            deadline_exceeded: false,
            worker: None,
            prefill: None,
            prefill_worker: None,
            group: None,
            group_health: None,
        }
    }

    #[test]
    fn ready_is_workloads_and_router() {
        let s = render(&healthy(), &Value::Null, "t0");
        assert_eq!(cond(&s, "Ready")["status"], "True");
        assert_eq!(s["url"], "http://10.0.0.1/llm/chat");
        let mut o = healthy();
        o.gateways[0].2 = None;
        let s = render(&o, &s, "t1");
        assert_eq!(cond(&s, "WorkloadsReady")["status"], "True");
        assert_eq!(cond(&s, "RouterReady")["reason"], "WaitingForGateway");
        assert_eq!(cond(&s, "Ready")["reason"], "WaitingForGateway");
        assert_eq!(cond(&s, "WorkloadsReady")["lastTransitionTime"], "t0");
        assert_eq!(cond(&s, "Ready")["lastTransitionTime"], "t1");
    }

    #[test]
    fn a_stopped_member_says_stopped() {
        let mut o = healthy();
        o.stopped = true;
        o.main = (0, 0);
        o.group = Some(("g".into(), vec![("chat".into(), 0, true)]));
        o.group_health = Some((true, false));
        let s = render(&o, &Value::Null, "t");
        assert_eq!(cond(&s, "Ready")["reason"], "Stopped");
        assert_eq!(
            cond(&s, "InferencePoolReady")["reason"],
            "InferencePoolNotReady"
        );
        assert_eq!(s["router"]["group"]["members"][0]["stopped"], true);
        assert_eq!(cond(&s, "GroupDegraded")["status"], "False");
    }

    #[test]
    fn a_missing_config_is_config_not_found() {
        let mut o = healthy();
        o.presets = Err(ConfigNotFound("custom".into()));
        let s = render(&o, &Value::Null, "t");
        assert_eq!(cond(&s, "PresetsCombined")["reason"], "ConfigNotFound");
        assert_eq!(cond(&s, "Ready")["reason"], "ConfigNotFound");
        assert_eq!(
            cond(&s, "PresetsCombined")["message"],
            "LLMInferenceServiceConfig \"custom\" not found"
        );
    }
}
