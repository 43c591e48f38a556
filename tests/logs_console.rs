//! The console's logs view end to end: the real binary in a pseudo-terminal with
//! `--kubeconfig` to a simulated cluster. `l` on fraud-detector shows lines of both
//! revisions (r1 stable, r2 the canary); scaling the service up in the sim adds the new
//! pods' lines to the open view, without restarting it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pty::PtySession;
use common::{Sandbox, env_refs, kdeck};
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// Container lines of the log pane tagged with revision `rev` (`r1·…`), not kdeck's own
/// markers (`── … joined ──`).
fn tagged(screen: &str, rev: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.trim_start_matches('│').starts_with(&format!("{rev}·")))
        .filter(|l| !l.contains("──"))
        .count()
}

/// The log lines on screen (not the title, the follow state or the status bar).
fn log_lines(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.starts_with('│') && !l.contains("following") && !l.contains("paused ("))
        .map(str::to_string)
        .collect()
}

/// Pages back through the log view (PgUp, which pauses it) until `needle` shows; false
/// once a page moves nothing (the top of what the view keeps) or after 200 pages.
fn page_back_to(s: &mut PtySession, needle: &str) -> bool {
    for _ in 0..200 {
        if s.screen().contains(needle) {
            return true;
        }
        let before = log_lines(&s.screen());
        s.send("\x1b[5~");
        if !s.wait_for(WAIT, |t| log_lines(t) != before) {
            return s.screen().contains(needle);
        }
    }
    false
}

#[test]
fn l_on_fraud_detector_merges_both_revisions_and_new_pods_join() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(SimServer::start(SimOptions {
            scenario: Scenario::Demo,
            time_scale: 20.0,
            ..SimOptions::default()
        }))
        .unwrap();
    let sandbox = Sandbox::new();
    let kubeconfig = sandbox.dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let env = sandbox.env();
    let mut s = PtySession::spawn(
        kdeck(),
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-n",
            "ml-prod",
        ],
        &env_refs(&env),
        120,
        40,
    );
    assert!(
        s.wait_for(WAIT, |t| t.contains("fraud-detector")
            && t.contains("connected")),
        "the services list did not load:\n{}",
        s.screen()
    );
    s.send("/fraud-detector\r");
    assert!(
        s.wait_for(WAIT, |t| !t.contains("sklearn-iris")),
        "the filter did not apply:\n{}",
        s.screen()
    );
    s.send("l");
    assert!(
        s.wait_for(WAIT, |t| t.contains("service ml-prod/fraud-detector")
            && tagged(t, "r1") > 0
            && tagged(t, "r2") > 0),
        "no lines of both revisions:\n{}",
        s.screen()
    );
    assert!(
        s.wait_for(WAIT, |t| t.contains("4/4 streams")),
        "not following the four pods:\n{}",
        s.screen()
    );

    // Scale up in the sim (minReplicas 2 → 3, a new revision): its pods join the open view.
    runtime.block_on(async {
        let client = kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(server.kubeconfig().unwrap(), &Default::default())
                .await
                .unwrap(),
        )
        .unwrap();
        let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
            client,
            "ml-prod",
            &kube::api::ApiResource {
                group: "serving.kserve.io".into(),
                version: "v1beta1".into(),
                api_version: "serving.kserve.io/v1beta1".into(),
                kind: "InferenceService".into(),
                plural: "inferenceservices".into(),
            },
        );
        api.patch(
            "fraud-detector",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(
                serde_json::json!({"spec": {"predictor": {"minReplicas": 3}}}),
            ),
        )
        .await
        .unwrap();
    });
    assert!(
        s.wait_for(WAIT, |t| tagged(t, "r3") > 0),
        "no lines of the new pods:\n{}",
        s.screen()
    );
    let screen = s.screen();
    assert!(
        screen.contains("service ml-prod/fraud-detector") && screen.contains("following"),
        "the view changed:\n{screen}"
    );
    // The view was not restarted: a pod that joins an open view gets a marker, while a
    // view opened (or restarted) afresh lists its pods without one. The marker goes in
    // before the new pod's lines, which come in a burst (its log since it started) and can
    // scroll it out of sight before the screen is read: page back to it.
    assert!(
        page_back_to(&mut s, "joined (kserve-container)"),
        "no joined marker:\n{}",
        s.screen()
    );
    s.send("q");
    assert!(s.wait_exit(WAIT).is_some(), "kdeck did not quit");
    server.shutdown();
}

/// At 80×24: the follow state is visible, `k` and PgUp scroll back and pause ("paused (N
/// new)" counts what arrives), End follows again; `r` narrows to one revision in the title.
#[test]
fn scrolling_back_pauses_and_end_follows_again_at_80_columns() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(SimServer::start(SimOptions {
            scenario: Scenario::Demo,
            time_scale: 20.0,
            ..SimOptions::default()
        }))
        .unwrap();
    let sandbox = Sandbox::new();
    let kubeconfig = sandbox.dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).unwrap();
    let env = sandbox.env();
    let mut s = PtySession::spawn(
        kdeck(),
        &[
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "-n",
            "ml-prod",
        ],
        &env_refs(&env),
        80,
        24,
    );
    assert!(
        s.wait_for(WAIT, |t| t.contains("fraud-detector")
            && t.contains("connected")),
        "the services list did not load:\n{}",
        s.screen()
    );
    s.send("/fraud-detector\r");
    assert!(
        s.wait_for(WAIT, |t| !t.contains("sklearn-iris")),
        "the filter did not apply:\n{}",
        s.screen()
    );
    s.send("l");
    // Enough lines to scroll: more than a screen of container lines.
    assert!(
        s.wait_for(WAIT, |t| t.contains("following")
            && tagged(t, "r1") + tagged(t, "r2") >= 15),
        "the follow state is not visible at 80 columns, or too few lines:\n{}",
        s.screen()
    );
    s.send("k");
    assert!(
        s.wait_for(WAIT, |t| t.contains("paused (")),
        "k did not pause:\n{}",
        s.screen()
    );
    assert!(
        s.wait_for(WAIT, |t| !t.contains("paused (0 new)")
            && t.contains(" new)")),
        "new lines are not counted while paused:\n{}",
        s.screen()
    );
    s.send("\x1b[F");
    assert!(
        s.wait_for(WAIT, |t| t.contains("following")),
        "End did not follow again:\n{}",
        s.screen()
    );
    s.send("\x1b[5~");
    assert!(
        s.wait_for(WAIT, |t| t.contains("paused (")),
        "PgUp did not pause:\n{}",
        s.screen()
    );
    s.send("G");
    assert!(
        s.wait_for(WAIT, |t| t.contains("following")),
        "G did not follow again:\n{}",
        s.screen()
    );
    s.send("r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("only r1") && tagged(t, "r2") == 0),
        "r did not narrow to r1:\n{}",
        s.screen()
    );
    s.send("q");
    assert!(s.wait_exit(WAIT).is_some(), "kdeck did not quit");
    server.shutdown();
}
