//! The scale scenario for benchmarks: N InferenceServices (Knative sklearn, 3 replicas each)
//! spread over namespaces of 200, a few per cent not ready (a missing model bucket), one in
//! a hundred with a canary, on CPU nodes, already settled when the server starts.

use super::nodes::{self, M5_2XLARGE};
use crate::sim::controller::{Behaviour, Controller};
use crate::sim::resources;
use serde_json::json;

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
    fn the_quiet_variant_changes_nothing_once_started() {
        assert_eq!("scale-quiet".parse::<Scenario>(), Ok(Scenario::ScaleQuiet));
        assert_eq!(changes_in_a_minute(Scenario::ScaleQuiet), 0);
        assert!(changes_in_a_minute(Scenario::Scale) > 0);
    }
}
