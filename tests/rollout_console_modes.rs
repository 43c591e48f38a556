//! The rollout console, part two (part one: tests/rollout_console.rs): read-only mode, RawDeployment
//! rollback, undo, a protected context, a new model version as a canary, and a Standard-mode
//! canary, each driven through the real binary in a pseudo-terminal against the simulated cluster.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/rollout_console.rs"]
mod support;

use common::Sandbox;
use common::cluster::{
    Cluster, WAIT, audit_lines, canary_percent, console, percent_of, predictor_status, wait_until,
};
use serde_json::json;

use support::*;

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
