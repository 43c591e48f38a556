//! The scale scenario for benchmarks: N InferenceServices (Knative sklearn, 3 replicas each)
//! spread over namespaces of 200, a few per cent not ready (a missing model bucket), one in
//! a hundred with a canary, on CPU nodes, already settled when the server starts, and
//! already serving: its containers' log rings are as full at start-up as they stay
//! ([`warm_logs`]), so the simulated cluster's memory is flat from the start.

use super::nodes::{self, M5_2XLARGE};
use crate::sim::controller::{Behaviour, Controller};
use crate::sim::resources;
use crate::sim::workload::logs;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// Bytes of a queue-proxy log line, about (it writes one every ten seconds).
const QUEUE_PROXY_LINE: usize = 250;

/// Namespaces used for `n` services.
pub fn namespaces(n: usize) -> Vec<String> {
    (0..n.div_ceil(200).max(1))
        .map(|i| format!("team-{i:02}"))
        .collect()
}

pub fn behaviour() -> Behaviour {
    Behaviour {
        missing_uris: vec!["missing-bucket".to_string()],
        default_rps: 2.0,
        ..Behaviour::default()
    }
}

/// The quiet variant: no traffic and every model found, so nothing changes after start-up.
pub fn quiet_behaviour() -> Behaviour {
    Behaviour {
        default_rps: 0.0,
        ..Behaviour::default()
    }
}

pub fn build(c: &mut Controller, n: usize) {
    for i in 0..(n / 30).max(2) {
        let info = nodes::add(
            &c.ctl.store,
            &c.ctl.workload,
            &format!("node-{i:03}"),
            M5_2XLARGE,
            ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3],
            i as u32 + 1,
        );
        c.ctl.nodes.push(info);
    }
    let Some(r) = resources::find("serving.kserve.io", "v1beta1", "inferenceservices") else {
        return;
    };
    let now = chrono::Utc::now();
    // A cluster that has been running for days: ages stay put while a benchmark watches.
    let created = crate::sim::clock::stamp(now - chrono::Duration::days(3));
    for i in 0..n {
        let ns = format!("team-{:02}", i / 200);
        let name = format!("model-{i:05}");
        let uri = if i % 40 == 7 {
            format!("gs://missing-bucket/models/{i}")
        } else {
            format!("gs://kdeck-scale/models/{i}/v1")
        };
        let obj = json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created, "labels": {"team": format!("team-{:02}", i / 200), "tier": if i % 3 == 0 { "gold" } else { "silver" }},
                "annotations": {"serving.kserve.io/deploymentMode": "Knative"}},
            "spec": {"predictor": {"minReplicas": 3, "maxReplicas": 3, "model": {"modelFormat": {"name": "sklearn"}, "storageUri": uri}}}});
        let stored = c.ctl.store.put(r, obj);
        c.reconcile(&stored, now);
        if i % 100 == 50 {
            let mut v2 = (*stored).clone();
            v2["spec"]["predictor"]["canaryTrafficPercent"] = json!(10);
            v2["spec"]["predictor"]["minReplicas"] = json!(1);
            v2["spec"]["predictor"]["maxReplicas"] = json!(1);
            v2["spec"]["predictor"]["model"]["storageUri"] =
                json!(format!("gs://kdeck-scale/models/{i}/v2"));
            let stored = c.ctl.store.put(r, v2);
            c.reconcile(&stored, now);
        }
    }
}

/// Seconds of traffic that fill every container's log ring in a cluster of `pods` pods: the
/// queue-proxy's, a line every ten seconds, fills last.
pub fn warm_seconds(pods: usize) -> usize {
    let lines = (logs::bytes_per_container(pods) / QUEUE_PROXY_LINE).min(logs::RING);
    lines * 10 + 10
}

/// Plays the traffic of the [`warm_seconds`] before `now` (the pods' request counters and
/// sampled access lines), so the log rings start full: without it the simulated cluster
/// grew by a tenth in its first minutes as they filled.
pub fn warm_logs(c: &mut Controller, now: DateTime<Utc>) {
    let Some(pods) = resources::find("", "v1", "pods") else {
        return;
    };
    let seconds = warm_seconds(c.ctl.store.count(pods));
    let start = now - Duration::seconds(seconds as i64);
    // Sets every serving pod's rate (no time passes yet).
    c.traffic(0.0, start);
    for s in 1..=seconds {
        c.ctl
            .workload
            .tick(1.0, start + Duration::seconds(s as i64));
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::clock::SimClock;
    use crate::sim::scenario::{Scenario, build};
    use crate::sim::store::Store;
    use crate::sim::workload::Workload;
    use std::sync::Arc;

    /// The resourceVersion after a minute of the scenario's life (stepped, not slept).
    fn changes_in_a_minute(scenario: Scenario) -> u64 {
        let store = Store::default();
        let workload = Arc::new(Workload::default());
        let mut c = build(scenario, 80, &store, &workload, SimClock::new(1.0));
        let start = chrono::Utc::now();
        let rv = store.rv();
        for s in 1..=60 {
            let now = start + chrono::Duration::seconds(s);
            c.step(now);
            c.traffic(1.0, now);
        }
        store.rv() - rv
    }

    #[test]
    fn log_rings_start_full_so_they_do_not_grow_while_it_runs() {
        let store = Store::default();
        let workload = Arc::new(Workload::default());
        let mut c = build(Scenario::Scale, 30, &store, &workload, SimClock::new(1.0));
        let at_start = workload.log_bytes();
        assert!(at_start > 0, "the warm-up wrote no access lines");
        let start = chrono::Utc::now();
        for s in 1..=600 {
            c.traffic(1.0, start + chrono::Duration::seconds(s));
        }
        let later = workload.log_bytes();
        assert!(
            later * 100 <= at_start * 105,
            "log rings grew from {at_start} to {later} bytes in ten minutes of traffic"
        );
    }

    #[test]
    fn the_quiet_variant_changes_nothing_once_started() {
        assert_eq!("scale-quiet".parse::<Scenario>(), Ok(Scenario::ScaleQuiet));
        assert_eq!(changes_in_a_minute(Scenario::ScaleQuiet), 0);
        assert!(changes_in_a_minute(Scenario::Scale) > 0);
    }
}
