//! Headless `kdeck logs` as a child process against the simulated cluster: the merged,
//! stern-style stream (`POD CONTAINER TEXT`, no colour when stdout is not a terminal) of
//! both revisions of fraud-detector, a pod that starts later joining the running `-f`, and
//! escape sequences in a container's log arriving inert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Sandbox, kdeck};
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const NS: &str = "ml-prod";

/// A `kdeck logs` child whose stdout lines arrive on a channel; killed when dropped.
struct LogsChild {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl LogsChild {
    fn spawn(sandbox: &Sandbox, kubeconfig: &std::path::Path, args: &[&str]) -> LogsChild {
        let mut cmd = Command::new(kdeck());
        cmd.arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("logs")
            .args(args)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in sandbox.env() {
            if k != "KUBECONFIG" {
                cmd.env(k, v);
            }
        }
        let mut child = cmd.spawn().expect("kdeck logs starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        });
        LogsChild {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until `done` holds on all read so far; false at the deadline.
    fn until(&mut self, timeout: Duration, done: impl Fn(&[String]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => return done(&self.seen),
            }
        }
        true
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for LogsChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sim_with_kubeconfig(sandbox: &Sandbox) -> (SimServer, std::path::PathBuf) {
    let server = SimServer::start(SimOptions {
        scenario: Scenario::Demo,
        time_scale: 20.0,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let path = sandbox.dir.path().join("kubeconfig");
    server.write_kubeconfig(&path).unwrap();
    (server, path)
}

fn pods_of(server: &SimServer, isvc: &str) -> BTreeSet<String> {
    let r = kdeck::sim::resources::find("", "v1", "pods").unwrap();
    server
        .store
        .list(r, Some(NS))
        .0
        .iter()
        .filter(|o| o["metadata"]["labels"]["serving.kserve.io/inferenceservice"] == isvc)
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

/// `POD CONTAINER TEXT` split in three.
fn split(line: &str) -> Option<(&str, &str, &str)> {
    let (pod, rest) = line.split_once(' ')?;
    let (container, text) = rest.split_once(' ')?;
    Some((pod, container, text))
}

fn revision_of(pod: &str) -> Option<&str> {
    ["00001", "00002", "00003"]
        .into_iter()
        .find(|r| pod.contains(&format!("-predictor-{r}-")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_both_revisions_stern_style_and_new_pods_join() {
    let sandbox = Sandbox::new();
    let (server, kubeconfig) = sim_with_kubeconfig(&sandbox).await;
    // Both revisions' pods are there from the start of the demo.
    let pods = pods_of(&server, "fraud-detector");
    assert!(
        pods.iter().any(|p| revision_of(p) == Some("00001"))
            && pods.iter().any(|p| revision_of(p) == Some("00002")),
        "{pods:?}"
    );
    let mut logs = LogsChild::spawn(
        &sandbox,
        &kubeconfig,
        &["fraud-detector", "-n", NS, "-f", "--tail", "20"],
    );
    let both = tokio::task::block_in_place(|| {
        logs.until(Duration::from_secs(15), |seen| {
            let has = |rev: &str, needle: &str| {
                seen.iter().any(|l| {
                    split(l).is_some_and(|(pod, _, text)| {
                        revision_of(pod) == Some(rev) && text.contains(needle)
                    })
                })
            };
            has("00001", "") && has("00002", "ERROR kserve.trace: predict failed")
        })
    });
    assert!(
        both,
        "no lines of both revisions with the canary's ERROR lines:\n{}",
        logs.seen.join("\n")
    );
    for line in &logs.seen {
        assert!(
            !line.contains('\u{1b}'),
            "colour or escape on a pipe: {line:?}"
        );
        let (pod, container, _) =
            split(line).unwrap_or_else(|| panic!("not POD CONTAINER TEXT: {line:?}"));
        assert!(pods.contains(pod), "line of an unknown pod: {line:?}");
        assert_eq!(container, "kserve-container", "{line:?}");
    }

    // Scale up through the API: a new revision's pods start and join the running stream.
    let client = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(server.kubeconfig().unwrap(), &Default::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        client,
        NS,
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
        &kube::api::Patch::Merge(serde_json::json!({"spec": {"predictor": {"minReplicas": 3}}})),
    )
    .await
    .unwrap();
    let already = logs.seen.len();
    let joined = tokio::task::block_in_place(|| {
        logs.until(Duration::from_secs(15), |seen| {
            seen[already..].iter().any(|l| {
                split(l).is_some_and(|(pod, _, _)| {
                    !pods.contains(pod) && revision_of(pod) == Some("00003")
                })
            })
        })
    });
    assert!(
        joined,
        "no line from a new pod (pods now {:?}):\n{}",
        pods_of(&server, "fraud-detector"),
        logs.seen[already..].join("\n")
    );
    assert!(
        logs.child.try_wait().unwrap().is_none(),
        "kdeck logs -f exited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_in_a_log_arrive_inert() {
    let sandbox = Sandbox::new();
    let (_server, kubeconfig) = sim_with_kubeconfig(&sandbox).await;
    let mut logs = LogsChild::spawn(
        &sandbox,
        &kubeconfig,
        &["image-classifier", "-n", NS, "-c", "transformer"],
    );
    let status = tokio::task::block_in_place(|| {
        logs.until(Duration::from_secs(10), |seen| {
            seen.iter().any(|l| l.contains("to 224x224"))
        });
        logs.wait_exit(Duration::from_secs(10))
    });
    let line = logs
        .seen
        .iter()
        .find(|l| l.contains("image too large"))
        .unwrap_or_else(|| panic!("no transformer line:\n{}", logs.seen.join("\n")));
    let (pod, container, text) = split(line).unwrap();
    assert!(pod.starts_with("image-classifier-transformer-"), "{pod}");
    assert_eq!(container, "kserve-container");
    assert_eq!(
        text,
        "WARNING preprocess: image too large, resizing  to 224x224"
    );
    assert!(
        logs.seen
            .iter()
            .all(|l| !l.contains('\u{1b}') && !l.contains('\u{7}'))
    );
    assert_eq!(
        status.map(|s| s.code()),
        Some(Some(0)),
        "without -f it ends by itself"
    );
}

#[test]
fn bench_only_micro_floods_a_bounded_ring() {
    let sandbox = Sandbox::new();
    let mut cmd = Command::new(kdeck());
    cmd.args([
        "bench",
        "--only",
        "micro",
        "--log-lines",
        "30000",
        "--ring",
        "5000",
        "-o",
        "json",
    ]);
    for (k, v) in sandbox.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("kdeck bench runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON figures");
    assert_eq!(r["log_lines_sent"], 90_000, "{r}");
    assert_eq!(r["log_ring_capacity"], 5000);
    assert_eq!(
        r["log_ring_lines_held"], 5000,
        "the ring is not bounded: {r}"
    );
    assert!(r["log_lines_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(r["rss_mb_after_rounds"].as_array().unwrap().len(), 3);
}

/// The PTY benchmark is behind the `bench` feature: a default build says how to get it
/// instead of starting a cluster.
#[cfg(not(feature = "bench"))]
#[test]
fn bench_against_kubectl_needs_the_bench_feature() {
    let sandbox = Sandbox::new();
    let mut cmd = Command::new(kdeck());
    cmd.args(["bench", "--services", "1", "--idle", "1s"]);
    for (k, v) in sandbox.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("kdeck bench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--features bench"), "{stderr}");
    assert!(out.stdout.is_empty(), "no figures without the feature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_instance_of_a_crash_loop_and_previous_ends_even_with_follow() {
    let sandbox = Sandbox::new();
    let (server, kubeconfig) = sim_with_kubeconfig(&sandbox).await;
    // sentiment-bert's storage initializer fails to download and restarts.
    let r = kdeck::sim::resources::find("", "v1", "pods").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.store.list(r, Some("ml-staging")).0.iter().any(|o| {
        o["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("sentiment-bert-"))
            && o["status"]["initContainerStatuses"][0]["restartCount"]
                .as_u64()
                .is_some_and(|n| n >= 1)
    }) {
        assert!(Instant::now() < deadline, "sentiment-bert never restarted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `-p` with `-f`: a previous instance has ended, so there is nothing to follow and the
    // command ends, as kubectl does.
    let mut logs = LogsChild::spawn(
        &sandbox,
        &kubeconfig,
        &[
            "sentiment-bert",
            "-n",
            "ml-staging",
            "-c",
            "storage-initializer",
            "-p",
            "-f",
        ],
    );
    let status = tokio::task::block_in_place(|| {
        logs.until(Duration::from_secs(10), |seen| {
            seen.iter()
                .any(|l| l.contains("RuntimeError: Failed to fetch model"))
        });
        logs.wait_exit(Duration::from_secs(10))
    });
    assert!(
        logs.seen
            .iter()
            .any(|l| l.contains("storage-initializer RuntimeError: Failed to fetch model")),
        "{:?}",
        logs.seen
    );
    assert!(
        logs.seen.iter().all(|l| l.starts_with("sentiment-bert-")),
        "{:?}",
        logs.seen
    );
    assert_eq!(
        status.map(|s| s.code()),
        Some(Some(0)),
        "kdeck logs -p -f did not end"
    );
}
