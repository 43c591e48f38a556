//! Issue 14, the output and safety half, against the simulated cluster with the real binary:
//! cluster text reaches headless output inert, a config that cannot be read whole keeps
//! kdeck read-only, an exec credential plugin's output (a token) is never shown or logged,
//! a closed pipe ends quietly, and the files kdeck writes are private.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cluster::{Cluster, WAIT, audit_lines, canary_percent, console};
use common::headless::{run_kdeck, text};
use common::pty::PtySession;
use common::sim::Child;
use common::{Sandbox, env_refs, kdeck};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const NS: &str = "ml-prod";
const FRAUD: &str = "fraud-detector";
const HOSTILE_REASON: &str = "Bad\x1b]52;c;cHduZWQ=\x07\x1b]0;owned\x07\u{9b}2J\u{202e}Reason";
const TOKEN: &str = "sk-live-LEAKED-TOKEN-8d1f2c";

/// `kdeck ARGS` with the sandbox's env, stdin not a terminal; waits with a deadline.
fn run_with(sandbox: &Sandbox, kubeconfig: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    // `config check` reads no cluster, so it takes no --kubeconfig: "" leaves it out.
    if !kubeconfig.is_empty() {
        all.extend(["--kubeconfig", kubeconfig]);
    }
    run_kdeck(sandbox, &all, WAIT * 2).0
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Puts a Ready=False condition with a hostile reason on the service, straight into the
/// simulated cluster's store (as a compromised controller or webhook could write it).
fn plant_hostile_reason(cluster: &Cluster) {
    let resource = kdeck::sim::resources::find("serving.kserve.io", "v1beta1", "inferenceservices")
        .expect("isvc resource");
    let mut obj = cluster.isvc(NS, FRAUD);
    obj["status"]["conditions"] = serde_json::json!([
        {"type": "Ready", "status": "False", "reason": HOSTILE_REASON, "message": HOSTILE_REASON},
        {"type": "PredictorReady", "status": "False", "reason": HOSTILE_REASON}
    ]);
    cluster.server.store.put(resource, obj);
}

#[test]
fn status_prints_a_hostile_condition_reason_inert() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let kubeconfig = cluster.kubeconfig_arg();
    plant_hostile_reason(&cluster);
    for output in ["table", "wide", "json"] {
        let out = run_with(&sandbox, &kubeconfig, &["status", "-n", NS, "-o", output]);
        let stdout = text(&out.stdout);
        assert!(
            !out.stdout.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{output}: {stdout:?}"
        );
        assert!(
            !stdout
                .chars()
                .any(|c| ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'),
            "{output}: {stdout:?}"
        );
        // The reason was there to print, shown visibly rather than obeyed.
        let shown = if output == "json" {
            // JSON keeps the data exactly, every control escaped.
            "Bad\\u001b]52;c;cHduZWQ=\\u0007\\u001b]0;owned\\u0007\\u009b2J\\u202eReason"
        } else {
            "Bad<U+009B>2J<U+202E>Reason"
        };
        assert!(stdout.contains(shown), "{output}: {stdout}");
    }
}

#[test]
fn a_config_that_cannot_be_read_whole_keeps_rollouts_refused() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let kubeconfig = cluster.kubeconfig_arg();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    let config = sandbox.config_dir().join("config.toml");
    std::fs::write(&config, "readonly = true\n[logs]\nbuffer_lines = 5000x\n").unwrap();
    let patches = cluster.patches();
    let out = run_with(
        &sandbox,
        &kubeconfig,
        &["rollback", FRAUD, "-n", NS, "--yes"],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("config.toml:3"), "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
    assert_eq!(cluster.patches(), patches, "nothing was patched");
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    assert!(audit_lines(&sandbox).is_empty());
    // A safety key of the wrong type is refused the same way.
    std::fs::write(&config, "readonly = \"yes\"\n").unwrap();
    let out = run_with(
        &sandbox,
        &kubeconfig,
        &["canary", FRAUD, "-n", NS, "--percent", "50", "--yes"],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("config.toml:1: readonly"));
    assert_eq!(canary_percent(&cluster.isvc(NS, FRAUD)), Some(10));
    // A read-only command says why on stderr and still works.
    let out = run_with(&sandbox, &kubeconfig, &["status", "-n", NS]);
    assert!(
        text(&out.stderr).contains("read-only"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(FRAUD));
}

#[test]
fn the_console_says_why_it_is_read_only_and_refuses_rollouts() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "readonly = true\n[logs]\nbuffer_lines = 5000x\n",
    )
    .unwrap();
    let mut s = console(&sandbox, &cluster, &[]);
    assert!(
        s.wait_for(WAIT, |t| t.contains("READ-ONLY: config unreadable")),
        "{}",
        s.screen()
    );
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t
            .contains("read-only: the config's safety settings")),
        "{}",
        s.screen()
    );
    assert!(!s.screen().contains("y applies"), "{}", s.screen());
    assert_eq!(cluster.patches(), 0, "{}", cluster.request_counts());
}

#[test]
fn config_check_lists_every_problem_with_its_line() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    let config = sandbox.config_dir().join("config.toml");
    std::fs::write(
        &config,
        "readonly = \"true\"\n[logs]\nbuffer_lines = -3\n[contexts.prod]\nprotect = true\n",
    )
    .unwrap();
    let out = run_with(&sandbox, "", &["config", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for needle in [
        "config.toml:1: readonly",
        "config.toml:3: logs.buffer_lines",
        "config.toml:5: contexts.prod.protect",
        "read-only",
    ] {
        assert!(stdout.contains(needle), "{needle}: {stdout}");
    }
    std::fs::write(
        &config,
        "readonly = true\n[contexts.prod]\nprotected = true\n",
    )
    .unwrap();
    let out = run_with(&sandbox, "", &["config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("no problems"));
}

/// A kubeconfig for the cluster whose user runs `plugin` for credentials.
fn exec_kubeconfig(cluster: &Cluster, dir: &Path, plugin: &Path) -> String {
    let yaml = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\n\
         contexts:\n- name: sim\n  context:\n    cluster: sim\n    user: exec-user\n    namespace: {NS}\n\
         current-context: sim\nusers:\n- name: exec-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {plugin}\n      interactiveMode: Never\n",
        url = cluster.server.url(),
        ca = cluster.server.ca_data(),
        plugin = plugin.display(),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    path.display().to_string()
}

/// A credential plugin that prints a token and fails.
fn leaking_plugin(dir: &Path) -> std::path::PathBuf {
    let plugin = dir.join("get-token");
    std::fs::write(&plugin, format!("#!/bin/sh\necho '{TOKEN}'\nexit 1\n")).unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    plugin
}

#[test]
fn a_failing_exec_plugin_is_named_but_its_token_never_shown() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let plugin = leaking_plugin(dir.path());
    let kubeconfig = exec_kubeconfig(&cluster, dir.path(), &plugin);
    let out = run_with(&sandbox, &kubeconfig, &["status"]);
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stderr}"
    );
    assert!(stderr.contains("get-token"), "{stderr}");
    assert!(stderr.contains("exit status: 1"), "{stderr}");
    // The console: the failure is on screen, the token is not; nor is it in the log.
    let mut env = sandbox.env();
    env.push(("LANG".into(), "C.UTF-8".into()));
    let session = PtySession::spawn(
        kdeck(),
        &["--kubeconfig", &kubeconfig],
        &env_refs(&env),
        200,
        45,
    );
    assert!(
        session.wait_for(WAIT, |s| s.contains("get-token")),
        "the plugin's failure is not on screen:\n{}",
        session.screen()
    );
    assert!(!session.screen().contains(TOKEN), "{}", session.screen());
    assert!(!text(&session.output()).contains(TOKEN));
    drop(session);
    let log = std::fs::read_to_string(sandbox.state_dir().join("kdeck.log")).unwrap_or_default();
    assert!(log.contains("get-token"), "the failure is logged: {log}");
    assert!(!log.contains(TOKEN), "{log}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    for output in ["table", "json"] {
        let mut cmd = Command::new(kdeck());
        cmd.args([
            "status",
            "-o",
            output,
            "--kubeconfig",
            &cluster.kubeconfig_arg(),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        for (k, v) in sandbox.env() {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn");
        // The reader goes away before kdeck has written anything (`kdeck status | true`).
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = text(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{:?}: {stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("Broken pipe"), "{stderr}");
        assert!(!stderr.contains('\x1b'), "{stderr}");
    }
}

#[test]
fn files_kdeck_writes_are_private() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let kubeconfig = cluster.kubeconfig_arg();
    let out = run_with(
        &sandbox,
        &kubeconfig,
        &["rollback", FRAUD, "-n", NS, "--yes", "--timeout", "15s"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let snapshot = sandbox.dir.path().join("incident.md");
    let out = run_with(
        &sandbox,
        &kubeconfig,
        &[
            "snapshot",
            FRAUD,
            "-n",
            NS,
            "--output",
            &snapshot.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let state = sandbox.state_dir();
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&state.join("audit.log")), 0o600);
    assert_eq!(mode(&state.join("kdeck.log")), 0o600);
    assert_eq!(mode(&snapshot), 0o600);
    // kdeck sim --kubeconfig-out over an existing world-readable file makes it private.
    let existing = sandbox.dir.path().join("sim-kubeconfig");
    std::fs::write(&existing, "old").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut command = Command::new(kdeck());
    command
        .args(["sim", "--listen", "127.0.0.1:0", "--scenario", "empty"])
        .arg("--kubeconfig-out")
        .arg(&existing);
    let mut sim = Child::spawn(command);
    assert!(
        sim.wait_for(WAIT, |l| l.contains("listening on https://"))
            .is_some(),
        "{}",
        sim.transcript()
    );
    assert_eq!(mode(&existing), 0o600);
    assert!(
        std::fs::read_to_string(&existing)
            .unwrap()
            .contains("token")
    );
}
