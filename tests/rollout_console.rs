//! The console's rollouts end to end: the real binary in a pseudo-terminal against the
//! simulated cluster, keys pressed as a user would, and the result checked through the
//! Kubernetes API (spec, status traffic, Events) and kdeck's local audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/rollout_console.rs"]
mod support;

use common::Sandbox;
use common::cluster::{
    Cluster, WAIT, audit_lines, audit_outcomes, canary_percent, console, percent_of,
    predictor_status, traffic,
};
use serde_json::json;
use std::time::Instant;

use support::*;

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
