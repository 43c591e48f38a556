//! Helpers shared by tests/rollout_console.rs and tests/rollout_console_modes.rs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::Sandbox;
use crate::common::cluster::{
    Cluster, WAIT, audit_lines, canary_percent, percent_of, predictor_status, wait_until,
};
use crate::common::pty::PtySession;

pub(crate) const NS: &str = "ml-prod";

pub(crate) const FRAUD: &str = "fraud-detector";

/// fraud-detector as the demo starts it: (stable revision at 90 %, canary revision at 10 %).
pub(crate) fn fraud_revisions(cluster: &Cluster) -> (String, String) {
    let isvc = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&isvc), Some(10), "{isvc}");
    let stable = predictor_status(&isvc, "latestRolledoutRevision")
        .unwrap()
        .to_string();
    let canary = predictor_status(&isvc, "latestReadyRevision")
        .unwrap()
        .to_string();
    assert_ne!(stable, canary);
    assert_eq!(percent_of(&isvc, &stable), 90, "{isvc}");
    assert_eq!(percent_of(&isvc, &canary), 10, "{isvc}");
    (stable, canary)
}

/// Thresholds the demo's canary never breaches, for tests of the plain confirmation that
/// send r2 more traffic (the typed confirmation for a failing r2 is in canary_console.rs).
pub(crate) fn lenient_canary_thresholds(sandbox: &Sandbox) {
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[canary]\nerror_percent = 100\np99_factor = 1000\n",
    )
    .unwrap();
}

/// Waits for the confirmation dialog of `verb` on `name` (after permission and dry run).
pub(crate) fn wait_confirm(s: &PtySession, title: &str, name: &str) {
    assert!(
        s.wait_for(WAIT, |t| t.contains(title)
            && t.contains(name)
            && t.contains("y applies")),
        "no confirmation dialog for {title} {name}:\n{}",
        s.screen()
    );
}

/// The Event and the audit line one applied action leaves.
/// `action` is the start of the recorded verb (a restore's carries the time).
pub(crate) fn assert_audited(
    cluster: &Cluster,
    sandbox: &Sandbox,
    name: &str,
    reason: &str,
    action: &str,
) {
    let is_action =
        |l: &serde_json::Value| l["action"].as_str().is_some_and(|a| a.starts_with(action));
    // The Event and the line are written once the patch has returned.
    let has_event = || {
        cluster
            .kdeck_events(NS, name)
            .iter()
            .any(|(r, m)| r == reason && m.contains(&format!("kdeck {action}")))
    };
    assert!(
        wait_until(WAIT, has_event),
        "no {reason} event on {name}: {:?}",
        cluster.kdeck_events(NS, name)
    );
    assert!(
        wait_until(WAIT, || audit_lines(sandbox)
            .iter()
            .any(|l| l["name"] == name && is_action(l))),
        "no audit line for {action} on {name}: {:?}",
        audit_lines(sandbox)
    );
    // The intent line comes first; the outcome line is the one checked here.
    assert!(
        wait_until(WAIT, || audit_lines(sandbox)
            .iter()
            .any(|l| l["name"] == name
                && is_action(l)
                && l["outcome"] != "intent")),
        "no audit outcome line for {action} on {name}: {:?}",
        audit_lines(sandbox)
    );
    let line = audit_lines(sandbox)
        .into_iter()
        .find(|l| l["name"] == name && is_action(l) && l["outcome"] != "intent")
        .unwrap();
    assert_eq!(line["namespace"], NS);
    assert_eq!(line["reason"], reason);
    assert_eq!(line["outcome"], "applied");
    assert!(line["patch"]["metadata"]["resourceVersion"].is_string());
}

/// A client nobody here wrote reads the same result, where kubectl is installed.
pub(crate) fn kubectl_agrees(cluster: &Cluster, stable: &str) {
    let jsonpath = "-o=jsonpath={.spec.predictor.canaryTrafficPercent} \
        {.status.components.predictor.traffic[?(@.tag==\"prev\")].revisionName} \
        {.status.components.predictor.traffic[?(@.tag==\"prev\")].percent}";
    let out = match std::process::Command::new("kubectl")
        .args(["--kubeconfig", &cluster.kubeconfig_arg()])
        .args(["get", "isvc", FRAUD, "-n", NS, jsonpath])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("kubectl not run ({e}); checked through the kube client only");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(words, ["0", stable, "100"], "kubectl says: {text}");
}
