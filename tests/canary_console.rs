//! The list tells the truth about canaries, end to end: the real binary in a pseudo-terminal
//! and headless against the demo cluster, whose fraud-detector canary r2 fails ≈ 8 % of its
//! requests and is slow. The badge and why at launch, the typed confirmation before more
//! traffic goes to r2, the revision names after undoing a promote, `kdeck status`'s exit
//! code and per-revision figures, and the promote diff without no-op lines.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, canary_percent, console, line_with, percent_of, traffic};
use std::process::Command;

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";

/// Waits until the list's title says why fraud-detector's canary is bad.
fn wait_for_the_badge(s: &common::pty::PtySession) {
    assert!(
        s.wait_for(WAIT, |t| t.contains("1 failing canary: fraud-detector r2:")
            && line_with(t, "│fraud-detector")
                .is_some_and(|l| l.contains("✗ r2 10% · r1 90%"))),
        "no failing-canary badge:\n{}",
        s.screen()
    );
}

#[test]
fn the_failing_canary_is_badged_with_why_at_launch_and_rolled_back_in_two_keys() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    // No key pressed: the row's badge, ERR% and, in the title, why.
    wait_for_the_badge(&s);
    let screen = s.screen();
    let title = line_with(&screen, "failing canary").unwrap();
    assert!(title.contains("errors") || title.contains("p99"), "{title}");
    assert!(screen.contains("ERR%"), "{screen}");
    // The first row, selected at start-up: R asks, y confirms.
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Rollback") && t.contains("y applies")),
        "{}",
        s.screen()
    );
    s.send("y");
    assert!(
        cluster
            .wait_isvc(NS, FRAUD, WAIT, |o| canary_percent(o) == Some(0))
            .is_some(),
        "{:?}\n{}",
        traffic(&cluster.isvc(NS, FRAUD)),
        s.screen()
    );
}

#[test]
fn the_detail_says_why_with_thresholds_window_and_guard() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &["--readonly", "-n", "ml-prod"]);
    wait_for_the_badge(&s);
    s.send("\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("canary r2 is worse than r1")
            && t.contains("worse than stable when: errors > 1.0%")
            && t.contains("figures over the last 1m")
            && t.contains("guard off (w toggles)")),
        "{}",
        s.screen()
    );
    // The guard watches in read-only mode too, and says it only alarms.
    s.send("w");
    assert!(
        s.wait_for(WAIT, |t| t.contains("guard ON")
            && t.contains("read-only: it alarms but cannot roll back")),
        "{}",
        s.screen()
    );
    s.send_esc();
    assert!(
        s.wait_for(WAIT, |t| line_with(t, "fraud-detector [guard]").is_some()),
        "no guard badge on the row:\n{}",
        s.screen()
    );
}

#[test]
fn more_traffic_to_the_failing_canary_needs_the_name_or_yes_typed() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    wait_for_the_badge(&s);
    s.send("c");
    assert!(s.wait_for(WAIT, |t| t.contains("canary % (0-100): 10")));
    s.send("\u{7f}\u{7f}\u{7f}25\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("r2 is failing")
            && t.contains("10% → 25%")
            && t.contains("Type the service name (fraud-detector) or yes")),
        "no typed confirmation:\n{}",
        s.screen()
    );
    // y alone applies nothing.
    s.send("y\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("type 'fraud-detector' or 'yes'")),
        "{}",
        s.screen()
    );
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    s.send("es\r");
    assert!(
        cluster
            .wait_isvc(NS, FRAUD, WAIT, |o| canary_percent(o) == Some(25))
            .is_some(),
        "{}",
        s.screen()
    );
}

#[test]
fn undo_after_promote_names_the_revisions_from_the_status() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    wait_for_the_badge(&s);
    s.send("P");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Promote")
            && t.contains("Type the service name (fraud-detector)")),
        "{}",
        s.screen()
    );
    // The promote diff: only the traffic setting goes, nothing removed and added back.
    let screen = s.screen();
    assert!(screen.contains("-   canaryTrafficPercent: 10"), "{screen}");
    assert!(
        !screen.contains("-   minReplicas") && !screen.contains("+   minReplicas"),
        "{screen}"
    );
    s.send("fraud-detector\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic r2 100%")),
        "{}",
        s.screen()
    );
    s.send_esc();
    s.send("u");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Restore") && t.contains("y applies")),
        "{}",
        s.screen()
    );
    s.send("y");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Done: traffic")),
        "{}",
        s.screen()
    );
    let screen = s.screen();
    let done = line_with(&screen, "Done: traffic").unwrap();
    assert!(done.contains("r2 10% · r1 90%"), "{done}");
    let isvc = cluster.isvc(NS, FRAUD);
    assert_eq!(
        percent_of(&isvc, "fraud-detector-predictor-00001"),
        90,
        "{isvc}"
    );
}

fn kdeck(cluster: &Cluster, sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    Command::new(common::kdeck())
        .envs(sandbox.env())
        .args(["--kubeconfig", &cluster.kubeconfig_arg()])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn status_exits_1_with_a_failing_canary_and_json_carries_per_revision_figures() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    // Wait until r2 has served enough for its failures to show in its counts (the exit code
    // alone does not say: sklearn-iris's TrainedModel iris-xgb fails to load by design).
    let mut last = None;
    let found = common::cluster::wait_until(WAIT, || {
        let out = kdeck(&cluster, &sandbox, &["status", "-n", NS, "-o", "json"]);
        // … and each revision has a rate (a pod's first scrape can lack one).
        let rates = serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| {
                let fraud = v.as_array()?.iter().find(|i| i["name"] == FRAUD)?.clone();
                Some(
                    fraud["traffic"]
                        .as_array()?
                        .iter()
                        .all(|r| r["rps"].is_number()),
                )
            })
            .unwrap_or(false);
        let ok = rates
            && String::from_utf8_lossy(&out.stderr)
                .contains("failing: ml-prod/fraud-detector canary r2");
        last = Some(out);
        ok
    });
    let out = last.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(found, "exit {:?}: {stderr}", out.status.code());
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fraud = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == FRAUD)
        .unwrap();
    assert_eq!(fraud["canary"]["failing"], true, "{fraud}");
    for revision in fraud["traffic"].as_array().unwrap() {
        for field in ["rps", "p50_ms", "p99_ms", "error_rate"] {
            assert!(revision[field].is_number(), "{field}: {revision}");
        }
        assert_eq!(revision["window"], "cumulative since pod start");
    }
    let wide = kdeck(&cluster, &sandbox, &["status", "-n", NS, "-o", "wide"]);
    let text = String::from_utf8_lossy(&wide.stdout);
    for column in ["P50", "P99", "ERR%", "RPS"] {
        assert!(text.lines().next().unwrap().contains(column), "{text}");
    }
    // A healthy namespace (the demo's are not: each holds a failing service by design): exit
    // 0 once its one service is Ready, and 1 for the demo's llm namespace, whose LLM canary is slow.
    cluster.create_isvc("default", "churn");
    assert!(
        common::cluster::wait_until(WAIT, || {
            kdeck(&cluster, &sandbox, &["status", "-n", "default"])
                .status
                .code()
                == Some(0)
        }),
        "{}",
        String::from_utf8_lossy(&kdeck(&cluster, &sandbox, &["status", "-n", "default"]).stdout)
    );
    let llm = kdeck(&cluster, &sandbox, &["status", "-n", "llm", "-o", "json"]);
    assert_eq!(
        llm.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&llm.stderr)
    );
}

#[test]
fn headless_canary_onto_the_failing_revision_is_refused_without_force() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    // Once one scrape shows r2 failing (its pods have served a few hundred requests) …
    assert!(common::cluster::wait_until(WAIT, || {
        String::from_utf8_lossy(&kdeck(&cluster, &sandbox, &["status", "-n", NS]).stderr)
            .contains("failing: ml-prod/fraud-detector canary r2")
    }));
    // … more traffic to it is refused.
    let out = kdeck(
        &cluster,
        &sandbox,
        &["canary", FRAUD, "-n", NS, "--percent", "25", "--yes"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(9), "{stderr}");
    assert!(stderr.contains("refused: r2 is failing"), "{stderr}");
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    // The promote diff, headless: one line removed, nothing removed and added back.
    let dry = kdeck(
        &cluster,
        &sandbox,
        &["promote", FRAUD, "-n", NS, "--dry-run", "--force"],
    );
    let text = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(dry.status.code(), Some(0), "{text}");
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("- ") || l.starts_with("+ "))
        .collect();
    assert_eq!(changed, ["-   canaryTrafficPercent: 10"], "{text}");
    // --force sends it.
    let forced = kdeck(
        &cluster,
        &sandbox,
        &[
            "canary",
            FRAUD,
            "-n",
            NS,
            "--percent",
            "25",
            "--yes",
            "--force",
        ],
    );
    assert_eq!(
        forced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(25));
}
