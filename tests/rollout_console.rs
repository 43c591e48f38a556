//! The console's rollouts end to end: the real binary in a pseudo-terminal against the
//! simulated cluster, keys pressed as a user would, and the result checked through the
//! Kubernetes API (spec, status traffic, Events) and kdeck's local audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{
    Cluster, WAIT, audit_lines, audit_outcomes, canary_percent, console, percent_of,
    predictor_status, traffic, wait_until,
};
use common::pty::PtySession;
use serde_json::json;
use std::time::Instant;

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";

/// fraud-detector as the demo starts it: (stable revision at 90 %, canary revision at 10 %).
fn fraud_revisions(cluster: &Cluster) -> (String, String) {
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
fn lenient_canary_thresholds(sandbox: &Sandbox) {
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[canary]\nerror_percent = 100\np99_factor = 1000\n",
    )
    .unwrap();
}

/// Waits for the confirmation dialog of `verb` on `name` (after permission and dry run).
fn wait_confirm(s: &PtySession, title: &str, name: &str) {
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
fn assert_audited(cluster: &Cluster, sandbox: &Sandbox, name: &str, reason: &str, action: &str) {
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
fn kubectl_agrees(cluster: &Cluster, stable: &str) {
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

#[test]
fn quickest_rollback_from_start_up_is_r_then_y() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let (stable, canary) = fraud_revisions(&cluster);
    let started = Instant::now();
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    println!(
        "start-up to the services list: {} ms",
        started.elapsed().as_millis()
    );
    // Start-up selects the first row, fraud-detector: R asks, y confirms.
    s.send("R");
    wait_confirm(&s, "Rollback", FRAUD);
    assert!(s.screen().contains("r2 0% · r1 100%"), "{}", s.screen());
    let pressed = Instant::now();
    s.send("y");
    let after = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            canary_percent(o) == Some(0) && percent_of(o, &stable) == 100
        })
        .unwrap_or_else(|| {
            panic!(
                "traffic did not move: {:?}\n{}",
                traffic(&cluster.isvc(NS, FRAUD)),
                s.screen()
            )
        });
    let moved = pressed.elapsed();
    println!(
        "quickest rollback: keys R y from start-up; y -> traffic on {stable} 100% (seen via the API) in {} ms; {} ms from launch",
        moved.as_millis(),
        started.elapsed().as_millis()
    );
    assert_eq!(percent_of(&after, &canary), 0, "{after}");
    kubectl_agrees(&cluster, &stable);
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 0% · r1 100%")),
        "the console did not show it done:\n{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckRollback", "rollback");
    let events = cluster.kdeck_events(NS, FRAUD);
    assert!(
        events
            .iter()
            .any(|(_, m)| m.contains("r2 10% · r1 90% -> r2 0% · r1 100%")),
        "{events:?}"
    );
}

#[test]
fn canary_percentage_from_the_prompt() {
    let sandbox = Sandbox::new();
    lenient_canary_thresholds(&sandbox);
    let cluster = Cluster::start(&[]);
    let (stable, canary) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("c");
    assert!(
        s.wait_for(WAIT, |t| t.contains("canary % (0-100): 10")
            && t.contains("ml-prod/fraud-detector canary %")),
        "no canary prompt with the current share:\n{}",
        s.screen()
    );
    // A wrong answer is refused in place, with the reason; nothing starts.
    s.send("\u{7f}\u{7f}abc\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("canary % (0-100): abc")
            && t.contains("'abc' is not a percentage from 0 to 100")),
        "{}",
        s.screen()
    );
    assert!(!s.screen().contains("checking permission"));
    // Replace it with a share.
    s.send("\u{7f}\u{7f}\u{7f}35\r");
    wait_confirm(&s, "Canary 35%", FRAUD);
    assert!(s.screen().contains("r2 35% · r1 65%"), "{}", s.screen());
    s.send("y");
    let after = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            canary_percent(o) == Some(35) && percent_of(o, &canary) == 35
        })
        .unwrap_or_else(|| panic!("{:?}", traffic(&cluster.isvc(NS, FRAUD))));
    assert_eq!(percent_of(&after, &stable), 65, "{after}");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 35% · r1 65%")),
        "{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckCanary", "canary 35%");
}

#[test]
fn promote_gives_the_latest_revision_all_traffic() {
    let sandbox = Sandbox::new();
    lenient_canary_thresholds(&sandbox);
    let cluster = Cluster::start(&[]);
    let (stable, canary) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("P");
    wait_confirm(&s, "Promote", FRAUD);
    s.send("y");
    let after = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            percent_of(o, &canary) == 100
                && predictor_status(o, "latestRolledoutRevision") == Some(canary.as_str())
        })
        .unwrap_or_else(|| panic!("{}", cluster.isvc(NS, FRAUD)));
    assert_eq!(canary_percent(&after), None, "{after}");
    assert_eq!(percent_of(&after, &stable), 0, "{after}");
    assert_eq!(
        predictor_status(&after, "previousRolledoutRevision"),
        Some(stable.as_str())
    );
    let t = traffic(&after);
    assert!(t.iter().all(|e| e.3.as_deref() != Some("prev")), "{t:?}");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 100%")),
        "{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckPromote", "promote");

    // Rolling back after the promotion pins the previous rolled-out revision, which KServe
    // does in two reconcile passes (status first, then traffic); kdeck follows both.
    s.send_esc();
    s.send("R");
    wait_confirm(&s, "Rollback", FRAUD);
    assert!(
        s.screen().contains("two reconcile passes"),
        "{}",
        s.screen()
    );
    s.send("y");
    let pinned = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| percent_of(o, &stable) == 100)
        .unwrap_or_else(|| panic!("{}", cluster.isvc(NS, FRAUD)));
    assert_eq!(canary_percent(&pinned), Some(0), "{pinned}");
    assert_eq!(percent_of(&pinned, &canary), 0, "{pinned}");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 0% · r1 100%")),
        "{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckRollback", "rollback");
}

#[test]
fn forbidden_patch_is_never_attempted() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&["forbid-verb=patch:inferenceservices"]);
    let before = cluster.isvc(NS, FRAUD);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Not allowed")
            && t.contains("forbidden")),
        "{}",
        s.screen()
    );
    assert!(s.screen().contains("nothing was sent"), "{}", s.screen());
    assert!(!s.screen().contains("y applies"), "{}", s.screen());
    // Neither a dry run nor the patch (nor the history written just before it) was sent.
    assert_eq!(cluster.patches(), 0, "{}", cluster.request_counts());
    assert!(!cluster.has_history(NS));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert_eq!(
        after["metadata"]["generation"],
        before["metadata"]["generation"]
    );
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn a_dry_run_the_server_rejects_stops_before_the_dialog() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&["reject-dry-run"]);
    let before = cluster.isvc(NS, FRAUD);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Not done")
            && t.contains("dry run refused")),
        "{}",
        s.screen()
    );
    assert!(s.screen().contains("denied"), "{}", s.screen());
    assert!(!s.screen().contains("y applies"));
    // Only the dry run reached the server; nothing was applied.
    assert_eq!(cluster.patches(), 1, "{}", cluster.request_counts());
    assert!(!cluster.has_history(NS));
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn a_conflict_is_shown_and_nothing_is_overwritten() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let (_, canary) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("R");
    wait_confirm(&s, "Rollback", FRAUD);
    // Someone else moves the canary while the dialog is open.
    cluster.patch_isvc(
        NS,
        FRAUD,
        json!({"spec": {"predictor": {"canaryTrafficPercent": 30}}}),
    );
    cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| percent_of(o, &canary) == 30)
        .expect("the other change rolls out");
    s.send("y");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Conflict")
            && t.contains("nothing was overwritten")),
        "{}",
        s.screen()
    );
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(canary_percent(&after), Some(30), "overwritten: {after}");
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    // The console re-read the service: the next attempt starts from the new split.
    s.send_esc();
    assert!(
        s.wait_for(WAIT, |t| t.contains("r2 30%")),
        "the list does not show the new state:\n{}",
        s.screen()
    );
    s.send("R");
    wait_confirm(&s, "Rollback", FRAUD);
    assert!(
        s.screen().contains("r2 30% · r1 70%"),
        "the plan is not made from the new state:\n{}",
        s.screen()
    );
    s.send("n");
    assert!(s.wait_for(WAIT, |t| t.contains("Cancelled")));
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(30));

    // The injected 409 on the server's dry run reads the same way.
    cluster.fault("conflict-next-patch");
    s.send_esc();
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Conflict")
            && t.contains("changed meanwhile")),
        "{}",
        s.screen()
    );
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(30));
    // The refused write left its intent and a "not applied" outcome, never "applied".
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0], "intent");
    assert!(outcomes[1].starts_with("not applied"), "{outcomes:?}");
}

#[test]
fn readonly_refuses_every_mutating_key() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, FRAUD);
    let mut s = console(&sandbox, &cluster, &["--readonly", "-n", "ml-prod"]);
    for key in ["R", "c", "P", "N", "T", "+", "u"] {
        s.send(key);
        assert!(
            s.wait_for(WAIT, |t| t
                .contains("read-only mode: rollouts are disabled")),
            "key {key} gave no read-only message:\n{}",
            s.screen()
        );
        let screen = s.screen();
        assert!(
            !screen.contains("y applies") && !screen.contains("checking permission"),
            "key {key} started a rollout:\n{screen}"
        );
        // Replace the message, so the next key has to produce its own.
        s.send(":nosuchthing\r");
        assert!(
            s.wait_for(WAIT, |t| t.contains("unknown command")
                && !t.contains("read-only mode")),
            "{}",
            s.screen()
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(cluster.patches(), 0, "{}", cluster.request_counts());
    let after = cluster.isvc(NS, FRAUD);
    assert_eq!(after["spec"], before["spec"]);
    assert!(cluster.kdeck_events(NS, FRAUD).is_empty());
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn raw_deployment_rollback_restores_the_previous_model() {
    const REC: &str = "recommender";
    let uri = |o: &serde_json::Value| {
        o.pointer("/spec/predictor/model/storageUri")
            .and_then(|u| u.as_str())
            .unwrap_or("")
            .to_string()
    };
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS, REC);
    // The demo rolled recommender from lgbm-41 to lgbm-42 without kdeck: only the
    // Deployment's older ReplicaSet remembers the previous model.
    assert_eq!(uri(&before), "s3://kdeck-demo/recsys/lgbm-42");
    assert!(!cluster.has_history(NS));
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("/recommender\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains(REC) && !t.contains(FRAUD)),
        "{}",
        s.screen()
    );
    s.send("R");
    wait_confirm(&s, "Rollback", REC);
    let screen = s.screen();
    assert!(
        screen.contains("+     storageUri: s3://kdeck-demo/recsys/lgbm-41"),
        "{screen}"
    );
    assert!(screen.contains("previous ReplicaSet"), "{screen}");
    s.send("y");
    let after = cluster
        .wait_isvc(NS, REC, WAIT, |o| {
            uri(o) == "s3://kdeck-demo/recsys/lgbm-41"
        })
        .unwrap_or_else(|| panic!("{}\n{}", cluster.isvc(NS, REC), s.screen()));
    // Only the model went back; the rest of the spec is as it was.
    let mut expected = before["spec"].clone();
    expected["predictor"]["model"]["storageUri"] = json!("s3://kdeck-demo/recsys/lgbm-41");
    assert_eq!(after["spec"], expected);
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done")),
        "the console did not show it done:\n{}",
        s.screen()
    );
    assert!(wait_until(WAIT, || {
        cluster
            .deployment(NS, "recommender-predictor")
            .pointer("/spec/template/spec/initContainers/0/args/0")
            .and_then(|u| u.as_str())
            == Some("s3://kdeck-demo/recsys/lgbm-41")
    }));
    assert_audited(&cluster, &sandbox, REC, "KdeckRollback", "rollback");
    // kdeck recorded what it replaced (undo would put lgbm-42 back); a second R must not.
    assert!(cluster.has_history(NS));
    s.send_esc();
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Not done: already rolled back")),
        "{}",
        s.screen()
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        uri(&cluster.isvc(NS, REC)),
        "s3://kdeck-demo/recsys/lgbm-41"
    );
}

#[test]
fn undo_puts_back_the_spec_the_last_change_replaced() {
    let sandbox = Sandbox::new();
    lenient_canary_thresholds(&sandbox);
    let cluster = Cluster::start(&[]);
    let (stable, canary) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    // Two changes: canary 35 %, then a rollback.
    s.send("c");
    assert!(s.wait_for(WAIT, |t| t.contains("canary % (0-100): 10")));
    s.send("\u{7f}\u{7f}\u{7f}35\r");
    wait_confirm(&s, "Canary 35%", FRAUD);
    s.send("y");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 35% · r1 65%")),
        "{}",
        s.screen()
    );
    s.send_esc();
    s.send("R");
    wait_confirm(&s, "Rollback", FRAUD);
    s.send("y");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 0% · r1 100%")),
        "{}",
        s.screen()
    );
    s.send_esc();
    // Undo reverts the rollback: back to the 35 % canary, not to the spec before it.
    s.send("u");
    wait_confirm(&s, "Restore", FRAUD);
    assert!(
        s.screen().contains("before 'rollback'"),
        "undo names the wrong change:\n{}",
        s.screen()
    );
    assert!(
        s.screen().contains("r2 0% · r1 100%  →  r2 35% · r1 65%"),
        "{}",
        s.screen()
    );
    s.send("y");
    let after = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            canary_percent(o).is_some_and(|p| p != 0) && percent_of(o, &stable) < 100
        })
        .unwrap_or_else(|| panic!("{}", cluster.isvc(NS, FRAUD)));
    assert_eq!(canary_percent(&after), Some(35), "{after}");
    assert!(
        cluster
            .wait_isvc(NS, FRAUD, WAIT, |o| percent_of(o, &canary) == 35)
            .is_some()
    );
    assert_audited(
        &cluster,
        &sandbox,
        FRAUD,
        "KdeckRestoreSpec",
        "restore the spec before 'rollback'",
    );
}

#[test]
fn a_protected_context_applies_only_after_the_name_is_typed() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[contexts.kdeck-sim]\nprotected = true\n",
    )
    .unwrap();
    let cluster = Cluster::start(&[]);
    let (stable, _) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t
            .contains("Type the service name (fraud-detector)")),
        "{}",
        s.screen()
    );
    // y and a wrong name apply nothing.
    s.send("y\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("type 'fraud-detector' exactly")),
        "{}",
        s.screen()
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    assert!(!cluster.has_history(NS));
    s.send("\u{7f}fraud-detector\r");
    cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            canary_percent(o) == Some(0) && percent_of(o, &stable) == 100
        })
        .unwrap_or_else(|| panic!("{}", s.screen()));
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 0% · r1 100%")),
        "{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckRollback", "rollback");
}

#[test]
fn a_new_model_version_starts_as_a_canary() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let (stable, old_canary) = fraud_revisions(&cluster);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    s.send("N");
    assert!(
        s.wait_for(WAIT, |t| t.contains("new storageUri: gs://kdeck-demo")),
        "{}",
        s.screen()
    );
    let uri = "gs://kdeck-demo/models/fraud-detector/2026-12-01";
    s.send(&format!("\u{15}{uri}\r"));
    assert!(
        s.wait_for(WAIT, |t| t
            .contains("canary % for the new version (0-100): 10")),
        "{}",
        s.screen()
    );
    s.send("\u{7f}\u{7f}25\r");
    wait_confirm(&s, "New version", FRAUD);
    s.send("y");
    let after = cluster
        .wait_isvc(NS, FRAUD, WAIT, |o| {
            predictor_status(o, "latestReadyRevision")
                .is_some_and(|r| r != old_canary && percent_of(o, r) == 25)
        })
        .unwrap_or_else(|| panic!("{}\n{}", cluster.isvc(NS, FRAUD), s.screen()));
    assert_eq!(
        after["spec"]["predictor"]["model"]["storageUri"],
        json!(uri)
    );
    assert_eq!(canary_percent(&after), Some(25));
    assert_eq!(percent_of(&after, &stable), 75, "{after}");
    assert_eq!(percent_of(&after, &old_canary), 0, "{after}");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r3 25% · r1 75%")),
        "{}",
        s.screen()
    );
    assert_audited(&cluster, &sandbox, FRAUD, "KdeckNewVersion", "new version");
}

#[test]
fn standard_mode_canary_share_then_rollback() {
    const NS_STAGING: &str = "ml-staging";
    const RANKER: &str = "lgbm-ranker";
    let share = |o: &serde_json::Value| o.pointer("/spec/canary/0/trafficPercent").cloned();
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let before = cluster.isvc(NS_STAGING, RANKER);
    assert_eq!(share(&before), Some(json!(20)), "{before}");
    let mut s = console(&sandbox, &cluster, &[]);
    s.send("/lgbm-ranker\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains(RANKER) && !t.contains(FRAUD)),
        "{}",
        s.screen()
    );
    s.send("c");
    assert!(
        s.wait_for(WAIT, |t| t.contains("canary % (0-100): 20")),
        "{}",
        s.screen()
    );
    s.send("\u{7f}\u{7f}50\r");
    wait_confirm(&s, "Canary 50%", RANKER);
    s.send("y");
    cluster
        .wait_isvc(NS_STAGING, RANKER, WAIT, |o| {
            share(o) == Some(json!(50))
                && o.pointer("/status/canaryStatuses/0/trafficPercent") == Some(&json!(50))
        })
        .unwrap_or_else(|| panic!("{}", cluster.isvc(NS_STAGING, RANKER)));
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic fast 50% · stable 50%")),
        "{}",
        s.screen()
    );
    s.send_esc();
    s.send("R");
    wait_confirm(&s, "Rollback", RANKER);
    s.send("y");
    let after = cluster
        .wait_isvc(NS_STAGING, RANKER, WAIT, |o| {
            o.pointer("/spec/canary").is_none()
                && o.pointer("/status/canaryStatuses")
                    .and_then(|c| c.as_array())
                    .is_none_or(|c| c.is_empty())
        })
        .unwrap_or_else(|| panic!("{}", cluster.isvc(NS_STAGING, RANKER)));
    assert_eq!(after["spec"]["predictor"], before["spec"]["predictor"]);
    assert!(s.wait_for(WAIT, |t| t.contains("Done")), "{}", s.screen());
    let events = cluster.kdeck_events(NS_STAGING, RANKER);
    let reasons: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert!(reasons.contains(&"KdeckCanary"), "{events:?}");
    assert!(reasons.contains(&"KdeckRollback"), "{events:?}");
}
