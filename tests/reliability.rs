//! The reliability suite: the real console in a pseudo-terminal against the simulated cluster
//! while the cluster misbehaves (watches dropped every second, 410 on resume, 500s, a hung
//! list, the API server stopped and started again), and the bearer token kept out of the
//! log, the screen and error messages. The console must never panic, must show the stale
//! marker while disconnected, recover once the server is back, and keep the user's place.
//! Recovery times are printed, never asserted.

#![allow(clippy::unwrap_used)]

mod common;

use common::cluster::{Cluster, console, console_with_env};
use common::pty::PtySession;
use common::sim::poll;
use common::{Sandbox, env_refs, kdeck};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// Filters to ml-prod, selects the second row and returns its name, read from the detail
/// title that Enter opens (the list's default order is by urgency, which follows the live
/// figures, so the name cannot be known in advance).
fn take_a_place(s: &mut PtySession) -> String {
    s.send("/ml-prod\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("filter /ml-prod")
            && !t.contains("ml-staging")),
        "{}",
        s.screen()
    );
    s.send("j\r");
    assert!(
        s.wait_for(WAIT, |t| detail_title(t).is_some()),
        "Enter opened no detail:\n{}",
        s.screen()
    );
    let name = detail_title(&s.screen()).unwrap();
    s.send_esc();
    assert!(
        s.wait_for(WAIT, |t| detail_title(t).is_none()
            && t.contains("filter /ml-prod")),
        "Esc did not go back to the list:\n{}",
        s.screen()
    );
    name
}

/// The service name in the title of an open InferenceService detail in ml-prod.
fn detail_title(screen: &str) -> Option<String> {
    let rest =
        &screen[screen.find("InferenceService ml-prod/")? + "InferenceService ml-prod/".len()..];
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The place is kept: same filter, same selection (enter opens the same service).
fn assert_place_kept(s: &mut PtySession, selected: &str) {
    let screen = s.screen();
    assert!(
        screen.contains("filter /ml-prod") && !screen.contains("ml-staging"),
        "the filter was lost:\n{screen}"
    );
    s.send("\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains(&format!("ml-prod/{selected}"))),
        "the selection was lost:\n{}",
        s.screen()
    );
    s.send_esc();
}

fn wait_recovered(s: &PtySession, what: &str, since: Instant) {
    assert!(
        s.wait_for(WAIT, |t| !t.contains("stale since")
            && t.contains("fraud-detector")),
        "no recovery after {what}:\n{}",
        s.screen()
    );
    println!(
        "reliability: recovered {:.2}s after {what}",
        since.elapsed().as_secs_f64()
    );
}

#[test]
fn faults_while_the_console_runs_never_lose_the_users_place() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    let selected = take_a_place(&mut s);

    // Watches dropped every second, resumes answered with 410 Gone: the console lists again
    // and keeps up, so a service created meanwhile reaches the screen.
    let faults = &cluster.server.faults;
    cluster.fault("drop-watches=1s");
    cluster.fault("gone-on-resume");
    assert!(
        poll(WAIT, || (faults.gone_answered() >= 2).then_some(())).is_some(),
        "no resumed watch was answered 410 Gone ({} so far)",
        faults.gone_answered()
    );
    cluster.create_isvc("ml-prod", "z-added-during-churn");
    assert!(
        s.wait_for(WAIT, |t| t.contains("z-added-during-churn")
            && t.contains("fraud-detector")),
        "a service created while watches were refused never showed:\n{}",
        s.screen()
    );
    println!(
        "reliability: {} watches answered 410 Gone before the new service showed",
        faults.gone_answered()
    );
    cluster.server.faults.clear();

    // Errors and a hung list while the watches are cut: stale, then recovery.
    let hung_before = faults.hung();
    cluster.fault("error500=watch");
    cluster.fault("hang=list");
    cluster.server.faults.drop_watches();
    assert!(
        s.wait_for(WAIT, |t| t.contains("stale since")),
        "no stale marker with failing watches:\n{}",
        s.screen()
    );
    // The relists start and hang.
    assert!(
        poll(WAIT, || (faults.hung() > hung_before).then_some(())).is_some(),
        "no list was left hanging:\n{}",
        s.screen()
    );
    let cleared = Instant::now();
    cluster.server.faults.clear();
    // Requests that hung stay hung; the console gives up on them and lists again.
    wait_recovered(&s, "500s and a hung list", cleared);

    // The API server goes away and comes back on the same address.
    cluster.server.stop_serving();
    assert!(
        s.wait_for(WAIT, |t| t.contains("stale since")),
        "no stale marker while the API server is down:\n{}",
        s.screen()
    );
    let back = Instant::now();
    cluster.block_on(cluster.server.resume_serving()).unwrap();
    wait_recovered(&s, "the API server came back", back);

    assert_place_kept(&mut s, &selected);
    s.send("q");
    assert_eq!(s.wait_exit(WAIT), Some(0), "{}", s.screen());
}

#[test]
fn a_forbidden_namespace_is_said_and_the_console_keeps_working() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&["forbid-namespace=ml-staging"]);
    let env = sandbox.env();
    let kubeconfig = cluster.kubeconfig.display().to_string();
    let mut s = PtySession::spawn(
        kdeck(),
        &["--kubeconfig", &kubeconfig, "-n", "ml-staging"],
        &env_refs(&env),
        140,
        40,
    );
    assert!(
        s.wait_for(WAIT, |t| t.to_lowercase().contains("forbidden")),
        "no word about the refusal:\n{}",
        s.screen()
    );
    s.send("?");
    assert!(s.wait_for(WAIT, |t| t.contains("help")), "{}", s.screen());
    s.send_esc();
    s.send("q");
    assert_eq!(s.wait_exit(WAIT), Some(0), "{}", s.screen());
}

#[test]
fn the_bearer_token_never_reaches_the_log_the_screen_or_errors() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let token = cluster.server.token().to_string();
    let mut s = console_with_env(
        &sandbox,
        &cluster,
        &["-n", "ml-prod"],
        &[("KDECK_LOG", "trace")],
    );
    // Errors worth logging: a forbidden write and a server that goes away.
    cluster.fault("forbid-verb=patch:inferenceservices");
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Not allowed")),
        "the forbidden rollback was not refused:\n{}",
        s.screen()
    );
    s.send_esc();
    cluster.server.stop_serving();
    assert!(
        s.wait_for(WAIT, |t| t.contains("stale since")),
        "{}",
        s.screen()
    );
    s.send("q");
    let _ = s.wait_exit(WAIT);
    let output = String::from_utf8_lossy(&s.output()).to_string();
    assert!(!output.contains(&token), "the token reached the terminal");
    let log = std::fs::read_to_string(sandbox.state_dir().join("kdeck.log")).unwrap_or_default();
    assert!(!log.is_empty(), "nothing was logged at trace level");
    assert!(!log.contains(&token), "the token reached the log file");
    let status = std::process::Command::new(kdeck())
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .args(["status", "-A"])
        .envs(sandbox.env())
        .env("KDECK_LOG", "trace")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_eq!(status.status.code(), Some(2), "{stderr}");
    assert!(
        !stderr.contains(&token),
        "the token reached an error message"
    );
}
