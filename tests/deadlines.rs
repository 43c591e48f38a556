//! Deadlines and truthful outcomes of the headless commands against the simulated cluster's
//! faults: a hung API server (`hang=list`, `hang=get`) or a hung exec credential plugin ends
//! the command within its deadline with exit code 7; a patch whose answer is lost
//! (`lose-answer=patch`) is read back and reported applied, with the audit intent and outcome
//! and the Event; a patch the server fails (500) records no undo point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, audit_lines, audit_outcomes, canary_percent};
use common::headless::{run_kdeck, spawn_kdeck, text, wait_bounded};
use std::process::Output;
use std::time::Duration;

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";
const TIMED_OUT: i32 = 7;

/// A sandbox whose config gives API requests a 2 s deadline.
fn sandbox_with_deadline() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[api]\nrequest_timeout = \"2s\"\nexec_timeout = \"2s\"\n",
    )
    .unwrap();
    sandbox
}

/// Runs kdeck with the sandbox's env, stdin not a terminal; returns its output and how long
/// it took. Kills it (and fails) if it runs past the test's bound.
fn run(sandbox: &Sandbox, kubeconfig: &str, args: &[&str]) -> (Output, Duration) {
    let mut all = args.to_vec();
    all.extend(["--kubeconfig", kubeconfig]);
    run_kdeck(sandbox, &all, WAIT)
}

#[test]
fn status_all_namespaces_under_hang_list_times_out_with_exit_7() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&["hang=list"]);
    let (out, _) = run(&sandbox, &cluster.kubeconfig_arg(), &["status", "-A"]);
    assert_eq!(out.status.code(), Some(TIMED_OUT), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(stderr.contains("inferenceservices"), "names what: {stderr}");
    assert!(
        stderr.contains("request_timeout"),
        "says what to do: {stderr}"
    );
}

#[test]
fn status_timeout_flag_bounds_the_whole_command() {
    // The request deadline is long here; --timeout alone ends the command.
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&["hang=list"]);
    let args = ["status", "-A", "--timeout", "1s"];
    let (out, _) = run(&sandbox, &cluster.kubeconfig_arg(), &args);
    assert_eq!(out.status.code(), Some(TIMED_OUT), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--timeout"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rollback_under_hang_get_times_out_with_exit_7_and_changes_nothing() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    cluster.fault("hang=get");
    let args = ["rollback", FRAUD, "-n", NS, "--yes"];
    let (out, _) = run(&sandbox, &cluster.kubeconfig_arg(), &args);
    assert_eq!(out.status.code(), Some(TIMED_OUT), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    cluster.clear_faults();
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    assert!(audit_lines(&sandbox).is_empty());
}

#[test]
fn a_hung_exec_credential_plugin_ends_status_with_a_message_naming_it() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    let plugin = sandbox.dir.path().join("hung-credential-plugin");
    std::fs::write(&plugin, "#!/bin/sh\nexec sleep 600\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut kubeconfig: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(&cluster.kubeconfig).unwrap()).unwrap();
    for user in kubeconfig["users"].as_sequence_mut().unwrap() {
        user["user"] = serde_norway::from_str(&format!(
            "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: {}\n  interactiveMode: Never\n",
            plugin.display()
        ))
        .unwrap();
    }
    let path = sandbox.dir.path().join("exec-kubeconfig");
    std::fs::write(&path, serde_norway::to_string(&kubeconfig).unwrap()).unwrap();
    let (out, _) = run(&sandbox, &path.display().to_string(), &["status", "-A"]);
    assert_eq!(out.status.code(), Some(TIMED_OUT), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("hung-credential-plugin"), "{stderr}");
    assert!(stderr.contains("did not finish"), "{stderr}");
}

#[test]
fn a_patch_whose_answer_is_lost_is_read_back_and_reported_applied_with_its_audit_trail() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    cluster.fault("lose-answer=patch");
    let args = ["rollback", FRAUD, "-n", NS, "--yes", "--timeout", "30s"];
    let (out, _) = run(&sandbox, &cluster.kubeconfig_arg(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("answer to the patch was lost") && stderr.contains("applied"),
        "{stderr}"
    );
    cluster.clear_faults();
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(0));
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 2, "intent, then outcome: {outcomes:?}");
    assert_eq!(outcomes[0], "intent");
    assert!(outcomes[1].starts_with("applied"), "{outcomes:?}");
    let events = cluster.kdeck_events(NS, FRAUD);
    assert!(
        events.iter().any(|(r, _)| r == "KdeckRollback"),
        "{events:?}"
    );
    assert!(
        cluster.has_history(NS),
        "an applied change keeps its undo point"
    );
}

#[test]
fn a_patch_the_server_fails_records_no_undo_point_and_says_not_applied() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    cluster.fault("error500=patch");
    // The sim's error500 spares dry runs: the checks pass, the change itself fails.
    let args = ["rollback", FRAUD, "-n", NS, "--yes"];
    let (out, _) = run(&sandbox, &cluster.kubeconfig_arg(), &args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not applied"),
        "{}",
        text(&out.stderr)
    );
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 2, "intent, then outcome: {outcomes:?}");
    assert!(outcomes[1].starts_with("not applied"), "{outcomes:?}");
    cluster.clear_faults();
    assert!(
        !cluster.has_history(NS),
        "no undo point for a change that did not apply"
    );
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
}

#[test]
fn sigterm_while_a_change_is_written_finishes_its_audit_record_first() {
    let sandbox = sandbox_with_deadline();
    let cluster = Cluster::start(&[]);
    // The dry run passes; the patch itself is never answered, so the change is in flight
    // until its 2 s deadline and the read-back that follows.
    cluster.fault("hang=patch");
    let kubeconfig = cluster.kubeconfig_arg();
    let args = [
        "rollback",
        FRAUD,
        "-n",
        NS,
        "--yes",
        "--kubeconfig",
        kubeconfig.as_str(),
    ];
    let started = std::time::Instant::now();
    let child = spawn_kdeck(&sandbox, &args);
    let intent_written =
        common::sim::poll(WAIT, || (audit_lines(&sandbox).len() == 1).then_some(()));
    assert!(intent_written.is_some(), "no audit intent line");
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let (out, _) = wait_bounded(child, &args, started, WAIT);
    assert!(
        out.status.code().is_some(),
        "kdeck was killed by the signal instead of finishing its record: {:?}",
        out.status
    );
    assert!(
        text(&out.stderr).contains("SIGTERM: finishing the change's audit record first"),
        "{}",
        text(&out.stderr)
    );
    let outcomes = audit_outcomes(&sandbox);
    assert_eq!(outcomes.len(), 2, "intent, then outcome: {outcomes:?}");
    assert_eq!(outcomes[0], "intent");
    assert!(outcomes[1].starts_with("not applied"), "{outcomes:?}");
    cluster.clear_faults();
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
}
