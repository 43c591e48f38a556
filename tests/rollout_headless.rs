//! The headless rollout commands (`kdeck rollback|canary|promote NAME`) against the
//! simulated cluster: the change is verified through the API, `--dry-run` changes nothing,
//! and without `--yes` on a non-terminal stdin (or with `--readonly`) kdeck refuses with
//! its documented exit code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, audit_lines, canary_percent, percent_of, predictor_status};
use common::headless::{run_kdeck, text};
use std::process::Output;

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";

/// Runs `kdeck ARGS --kubeconfig … -n ml-prod` with the sandbox's env and stdin not a terminal.
fn run(sandbox: &Sandbox, cluster: &Cluster, args: &[&str]) -> Output {
    let kubeconfig = cluster.kubeconfig_arg();
    let mut all = args.to_vec();
    all.extend(["-n", NS, "--kubeconfig", kubeconfig.as_str()]);
    run_kdeck(sandbox, &all, WAIT * 2).0
}

#[test]
fn rollback_with_yes_moves_traffic_and_leaves_an_audit_trail() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    let stable = predictor_status(&before, "latestRolledoutRevision")
        .unwrap()
        .to_string();
    assert_eq!(percent_of(&before, &stable), 90);
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", FRAUD, "--yes", "--timeout", "15s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("done: traffic r2 0% · r1 100%"), "{stdout}");
    // kdeck returns once the watched status says so; the API agrees.
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&after), Some(0), "{after}");
    assert_eq!(percent_of(&after, &stable), 100, "{after}");
    let events = cluster.kdeck_events(NS, FRAUD);
    assert!(
        events
            .iter()
            .any(|(r, m)| r == "KdeckRollback" && m.contains("r2 10% · r1 90% -> r2 0% · r1 100%")),
        "{events:?}"
    );
    // The intent before the write, the outcome after.
    let lines = audit_lines(&sandbox);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "intent");
    assert_eq!(lines[1]["outcome"], "applied");
    assert_eq!(lines[1]["action"], "rollback");
    assert_eq!(lines[1]["name"], FRAUD);
    assert_eq!(
        lines[1]["patch"]["spec"]["predictor"]["canaryTrafficPercent"],
        0
    );
    // Rolling back again has nothing to do: rejected with its own code, nothing sent.
    let again = run(&sandbox, &cluster, &["rollback", FRAUD, "--yes"]);
    assert_eq!(again.status.code(), Some(4), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("already rolled back"));
}

#[test]
fn dry_run_prints_the_diff_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    let out = run(&sandbox, &cluster, &["rollback", FRAUD, "--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("dry run: accepted by the API server"),
        "{stdout}"
    );
    assert!(stdout.contains("traffic: r2 10% · r1 90% -> r2 0% · r1 100%"));
    let changed = |sign: char, text: &str| {
        stdout
            .lines()
            .any(|l| l.starts_with(sign) && l.trim_start_matches(sign).trim() == text)
    };
    assert!(changed('-', "canaryTrafficPercent: 10"), "{stdout}");
    assert!(changed('+', "canaryTrafficPercent: 0"), "{stdout}");
    assert!(stdout.contains("nothing was changed"));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"]
    );
    assert!(!cluster.has_history(NS));
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn without_yes_on_a_pipe_it_refuses_and_readonly_refuses_too() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    let out = run(&sandbox, &cluster, &["rollback", FRAUD]);
    // EXIT_HELP: 1 = failed, timed out, or not confirmed.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("without --yes when stdin is not a terminal"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        &sandbox,
        &cluster,
        &["canary", FRAUD, "--percent", "50", "--yes", "--readonly"],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("read-only"));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert!(!cluster.has_history(NS));
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn canary_and_promote_with_yes() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    let canary = predictor_status(&before, "latestReadyRevision")
        .unwrap()
        .to_string();
    let out = run(
        &sandbox,
        &cluster,
        &[
            "canary",
            FRAUD,
            "--percent",
            "50",
            "--yes",
            // The demo's fraud-detector canary is the drill's failing one: once it is measured
            // the guard refuses more traffic (canary_console tests that). This test is about
            // the write path, so it forces past the guard whatever the figures say.
            "--force",
            "--timeout",
            "15s",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&after), Some(50));
    assert_eq!(percent_of(&after, &canary), 50);
    let out = run(
        &sandbox,
        &cluster,
        &["promote", FRAUD, "--yes", "--force", "--timeout", "15s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&after), None, "{after}");
    assert_eq!(percent_of(&after, &canary), 100, "{after}");
    let reasons: Vec<String> = cluster
        .kdeck_events(NS, FRAUD)
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(reasons.contains(&"KdeckCanary".to_string()), "{reasons:?}");
    assert!(reasons.contains(&"KdeckPromote".to_string()), "{reasons:?}");
    // Each change: its intent, then its outcome.
    assert_eq!(audit_lines(&sandbox).len(), 4);
}

#[test]
fn rollback_of_a_raw_deployment_service_restores_the_previous_model() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let uri = |o: &serde_json::Value| {
        o.pointer("/spec/predictor/model/storageUri")
            .and_then(|u| u.as_str())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        uri(&cluster.isvc(NS, "recommender")),
        "s3://kdeck-demo/recsys/lgbm-42"
    );
    let out = run(
        &sandbox,
        &cluster,
        &["rollback", "recommender", "--yes", "--timeout", "15s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("previous ReplicaSet"));
    assert_eq!(
        uri(&cluster.isvc(NS, "recommender")),
        "s3://kdeck-demo/recsys/lgbm-41"
    );
    let events = cluster.kdeck_events(NS, "recommender");
    assert!(
        events.iter().any(|(r, _)| r == "KdeckRollback"),
        "{events:?}"
    );
    // The intent, then the outcome.
    assert_eq!(audit_lines(&sandbox).len(), 2);
}

#[test]
fn refusals_have_their_documented_exit_codes_and_change_nothing() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    // EXIT_HELP: 3 forbidden (RBAC); 4 the server's dry run refused it; 5 conflict.
    for (fault, code, says) in [
        (
            "forbid-verb=patch:inferenceservices",
            3,
            "forbidden: verb patch is forbidden",
        ),
        ("reject-dry-run", 4, "dry run refused the change"),
        ("conflict-next-patch", 5, "dry run refused the change"),
    ] {
        cluster.server.faults.clear();
        cluster.fault(fault);
        let out = run(&sandbox, &cluster, &["rollback", FRAUD, "--yes"]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{fault}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(says),
            "{fault}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stdout).contains("applied"), "{fault}");
    }
    cluster.server.faults.clear();
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert!(!cluster.has_history(NS));
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}
