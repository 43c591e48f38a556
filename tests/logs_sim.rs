//! The logs feature against the simulated cluster, through the code the console runs: the
//! state and `update` as the app loop drives them, the real `EffectRunner` (watchers, log
//! streams over HTTP with the kube client), minus only the terminal. Merged lines of every
//! pod of a service with their revision tags, a new pod joining while the view stays open,
//! a stream cut by the sim (`drop-logs`) resumed with nothing lost or doubled, the previous
//! container of a restart, and the container choice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kdeck::app::effect::{Effect, LogStreamSpec};
use kdeck::app::inbox::{self, Outbox};
use kdeck::app::msg::{LogMsg, Msg};
use kdeck::app::runner::EffectRunner;
use kdeck::app::update::{logs, reconnect, update};
use kdeck::config::Config;
use kdeck::config::keymap::Keymap;
use kdeck::domain::key::ObjectKey;
use kdeck::domain::scope::NamespaceScope;
use kdeck::sim::faults::FaultSpec;
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use kdeck::sources::kube::connect::KubeconfigSource;
use kdeck::state::State;
use kdeck::state::logs::{ContainerChoice, LogTarget};
use kdeck::state::session::Session;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const NS: &str = "ml-prod";

/// A line of the view: pod, tag, canary, text.
type Row = (String, String, bool, String);

async fn sim(time_scale: f64) -> SimServer {
    SimServer::start(SimOptions {
        scenario: Scenario::Demo,
        time_scale,
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts")
}

/// The console minus its terminal: state, update, the effect runner and the inbox.
struct Console {
    state: State,
    runner: EffectRunner,
    rx: Receiver<Msg>,
}

impl Console {
    fn start(server: &SimServer) -> Console {
        let (tx, rx) = inbox::channel();
        let source = KubeconfigSource::Inline(Box::new(server.kubeconfig().unwrap()));
        let config = Config::default();
        let mut runner = EffectRunner::new(tx, source, Arc::new(config.clone()));
        let (keymap, _) = Keymap::load(None);
        let mut state = State::new(keymap, config, Session::default(), chrono::Utc::now());
        for effect in reconnect(&mut state, None, NamespaceScope::All) {
            runner.run(effect);
        }
        Console { state, runner, rx }
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Quit | Effect::Suspend | Effect::ClearScreen => {}
                other => self.runner.run(other),
            }
        }
    }

    /// Handles messages until `done` holds; false at the deadline.
    async fn until(&mut self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.state) {
            let msg = tokio::select! {
                m = self.rx.recv() => m,
                _ = tokio::time::sleep_until(deadline) => return false,
            };
            let Some(msg) = msg else { return false };
            let effects = update(&mut self.state, msg);
            self.apply(effects);
        }
        true
    }

    /// (pod, tag, canary, text) of the container lines in the view.
    fn lines(&self) -> Vec<Row> {
        self.state
            .logs
            .as_ref()
            .map(|v| {
                v.lines
                    .iter()
                    .filter(|l| !l.marker)
                    .map(|l| {
                        (
                            l.pod.to_string(),
                            l.tag.to_string(),
                            l.canary,
                            l.text.text.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.runner.shutdown();
    }
}

fn service_pods(state: &State, name: &str) -> BTreeSet<String> {
    state
        .cluster
        .pods_of(&ObjectKey::new(NS, name))
        .map(|p| p.meta.name.clone())
        .collect()
}

fn running_revisions(state: &State, name: &str) -> BTreeSet<String> {
    state
        .cluster
        .pods_of(&ObjectKey::new(NS, name))
        .filter(|p| {
            p.containers.iter().any(|c| {
                c.name == "kserve-container" && c.state == kdeck::domain::pod::RunState::Running
            })
        })
        .filter_map(|p| p.revision().map(str::to_string))
        .collect()
}

/// Opens the logs of fraud-detector once both revisions have running pods.
async fn open_fraud_detector(console: &mut Console) {
    assert!(
        console
            .until(Duration::from_secs(10), |s| running_revisions(
                s,
                "fraud-detector"
            )
            .len()
                >= 2)
            .await,
        "fraud-detector never had running pods of two revisions: {:?}",
        service_pods(&console.state, "fraud-detector")
    );
    let effects = logs::open(
        &mut console.state,
        LogTarget::Service(ObjectKey::new(NS, "fraud-detector")),
    );
    console.apply(effects);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_merges_the_lines_of_both_revisions_and_new_pods_join() {
    let server = sim(20.0).await;
    let mut console = Console::start(&server);
    open_fraud_detector(&mut console).await;
    let before = service_pods(&console.state, "fraud-detector");
    // Lines from pods of both revisions, tagged r1 (stable) and r2 (canary), and the bad
    // canary's ERROR lines among the r2 ones.
    let both = console
        .until(Duration::from_secs(20), |s| {
            let Some(v) = s.logs.as_ref() else {
                return false;
            };
            let r1 = v
                .lines
                .iter()
                .any(|l| !l.marker && l.tag.starts_with("r1·") && !l.canary);
            let r2_error = v.lines.iter().any(|l| {
                !l.marker
                    && l.tag.starts_with("r2·")
                    && l.canary
                    && l.text.text.contains("ERROR kserve.trace: predict failed")
            });
            r1 && r2_error
        })
        .await;
    let lines = console.lines();
    let count = |f: &dyn Fn(&Row) -> bool| lines.iter().filter(|l| f(l)).count();
    assert!(
        both,
        "{} lines: r1 {}, r2 {}, r2 canary {}, r2 ERROR {}; streams {:?}",
        lines.len(),
        count(&|l| l.1.starts_with("r1·")),
        count(&|l| l.1.starts_with("r2·")),
        count(&|l| l.1.starts_with("r2·") && l.2),
        count(&|l| l.1.starts_with("r2·") && l.3.contains("ERROR")),
        console.state.logs.as_ref().map(|v| v.streams.clone())
    );
    assert!(
        both,
        "no r1 lines and r2 ERROR lines in {} lines: {:?}",
        lines.len(),
        &lines[lines.len().saturating_sub(20)..]
    );
    for (pod, tag, canary, _) in &lines {
        let suffix = pod.rsplit('-').next().unwrap();
        assert!(tag.ends_with(suffix), "tag {tag} is not that of pod {pod}");
        let revision = if pod.contains("-predictor-00001-") {
            "r1·"
        } else {
            "r2·"
        };
        assert!(tag.starts_with(revision), "tag {tag} for pod {pod}");
        assert_eq!(*canary, revision == "r2·", "canary flag of {pod}");
    }
    assert!(
        lines.iter().all(|(pod, ..)| before.contains(pod)),
        "lines from pods outside the service"
    );
    let pods_with_lines: BTreeSet<&str> = lines.iter().map(|(p, ..)| p.as_str()).collect();
    assert!(pods_with_lines.len() >= 2, "{pods_with_lines:?}");

    // Scale up through the API (minReplicas 2 → 3; in Knative mode a new revision with its
    // own pods): the open view picks them up, with no new session.
    let session = console.state.logs.as_ref().unwrap().session;
    let client = client_of(&server).await;
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
    let joined = console
        .until(Duration::from_secs(15), |s| {
            s.logs.as_ref().is_some_and(|v| {
                v.lines
                    .iter()
                    .any(|l| !l.marker && !before.contains(l.pod.as_ref()))
            })
        })
        .await;
    let view = console.state.logs.as_ref().unwrap();
    assert!(
        joined,
        "no line from a new pod; pods now {:?}, streams {:?}",
        service_pods(&console.state, "fraud-detector"),
        view.streams.keys().collect::<Vec<_>>()
    );
    assert_eq!(view.session, session, "the view was restarted");
    assert!(
        view.lines
            .iter()
            .any(|l| l.marker && l.text.text.contains("joined")),
        "no joined marker"
    );
    let new_line = view
        .lines
        .iter()
        .find(|l| !l.marker && !before.contains(l.pod.as_ref()))
        .unwrap();
    assert!(new_line.tag.starts_with("r3·"), "{}", new_line.tag);
    // The old pods keep streaming into the same view.
    let count = view.lines.len();
    assert!(
        console
            .until(Duration::from_secs(10), |s| {
                s.logs.as_ref().is_some_and(|v| {
                    v.lines.len() > count
                        && v.lines
                            .iter()
                            .skip(count)
                            .any(|l| !l.marker && before.contains(l.pod.as_ref()))
                })
            })
            .await,
        "the first pods stopped streaming"
    );
}

/// Follows one container with the source the console uses and returns its message inbox.
fn follow(
    server: &SimServer,
    client: kube::Client,
    pod: &str,
    container: &str,
    previous: bool,
) -> (Receiver<Msg>, CancellationToken) {
    let _ = server;
    let (tx, rx): (Outbox, _) = inbox::channel();
    let cancel = CancellationToken::new();
    let spec = LogStreamSpec {
        session: 1,
        pod: ObjectKey::new(NS, pod),
        container: container.to_string(),
        previous,
        since_seconds: None,
        tail_lines: Some(200),
        follow: !previous,
    };
    tokio::spawn(kdeck::sources::kube::logs::follow(
        client,
        spec,
        tx,
        cancel.clone(),
    ));
    (rx, cancel)
}

async fn client_of(server: &SimServer) -> kube::Client {
    kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(server.kubeconfig().unwrap(), &Default::default())
            .await
            .unwrap(),
    )
    .unwrap()
}

/// Waits until a pod named `prefix…` has every container running; returns its name.
async fn running_pod(server: &SimServer, prefix: &str) -> String {
    let r = kdeck::sim::resources::find("", "v1", "pods").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (pods, _) = server.store.list(r, Some(NS));
        let running = pods.iter().find(|o| {
            o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(prefix))
                && o["status"]["containerStatuses"]
                    .as_array()
                    .is_some_and(|cs| {
                        !cs.is_empty() && cs.iter().all(|c| c["state"]["running"].is_object())
                    })
        });
        if let Some(pod) = running {
            return pod["metadata"]["name"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "no running pod {prefix}…");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn first_pod(server: &SimServer, prefix: &str) -> String {
    let r = kdeck::sim::resources::find("", "v1", "pods").unwrap();
    let mut names: Vec<String> = server
        .store
        .list(r, Some(NS))
        .0
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string))
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no pod {prefix}…"))
}

/// Collects lines until `done` holds on them or the deadline; also counts reconnect notices.
async fn collect(
    rx: &mut Receiver<Msg>,
    timeout: Duration,
    done: impl Fn(&[String]) -> bool,
) -> (Vec<String>, Vec<String>) {
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    let mut notices = Vec::new();
    while !done(&lines) {
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = tokio::time::sleep_until(deadline) => break,
        };
        match msg {
            Some(Msg::Logs(LogMsg::Lines(batch))) => {
                lines.extend(batch.lines.into_iter().map(|(_, t, _)| t.text))
            }
            Some(Msg::Logs(LogMsg::Reconnecting { error, .. })) => notices.push(error),
            Some(Msg::Logs(LogMsg::Ended { reason, .. })) => {
                notices.push(format!("ended: {reason}"));
                break;
            }
            Some(_) => {}
            None => break,
        }
    }
    (lines, notices)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_stream_resumes_with_nothing_lost_or_doubled() {
    let server = sim(1.0).await;
    let client = client_of(&server).await;
    // A container nothing else writes to any more: the completed storage-initializer.
    let pod = first_pod(&server, "xgb-churn-predictor-00001");
    let (mut rx, cancel) = follow(&server, client, &pod, "storage-initializer", false);
    let (head, _) = collect(&mut rx, Duration::from_secs(5), |l| !l.is_empty()).await;
    assert!(!head.is_empty(), "the storage-initializer's log is empty");
    server
        .faults
        .add(FaultSpec::DropLogs(Duration::from_millis(300)));
    // A writer at a steady rate while the sim cuts the stream every 300 ms; every 25th line
    // is followed by a burst of three identical lines sharing one timestamp.
    const N: usize = 1500;
    let expected: Vec<String> = (0..N)
        .flat_map(|i| {
            let burst = if i % 25 == 0 { 3 } else { 0 };
            std::iter::once(format!("seq {i:05}"))
                .chain(std::iter::repeat_n(format!("burst {i:05}"), burst))
        })
        .collect();
    let workload = server.workload.clone();
    let writer_pod = pod.clone();
    let writer = tokio::spawn(async move {
        for i in 0..N {
            workload.log(
                NS,
                &writer_pod,
                "storage-initializer",
                format!("seq {i:05}"),
            );
            if i % 25 == 0 {
                let text = format!("burst {i:05}");
                workload.log_burst(NS, &writer_pod, "storage-initializer", vec![text; 3]);
            }
            if i % 100 == 0 {
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            tokio::time::sleep(Duration::from_micros(1500)).await;
        }
    });
    let last = format!("seq {:05}", N - 1);
    let (lines, notices) = collect(&mut rx, Duration::from_secs(15), |l| l.contains(&last)).await;
    writer.await.unwrap();
    // Anything late (a double) would arrive right after.
    let (late, _) = collect(&mut rx, Duration::from_millis(800), |_| false).await;
    cancel.cancel();
    let got: Vec<String> = lines
        .iter()
        .chain(&late)
        .filter(|t| t.starts_with("seq ") || t.starts_with("burst "))
        .cloned()
        .collect();
    if got != expected {
        let mut balance: std::collections::BTreeMap<&String, i64> = Default::default();
        for e in &expected {
            *balance.entry(e).or_default() += 1;
        }
        for g in &got {
            *balance.entry(g).or_default() -= 1;
        }
        let missing: Vec<_> = balance.iter().filter(|(_, n)| **n > 0).take(10).collect();
        let doubled: Vec<_> = balance.iter().filter(|(_, n)| **n < 0).take(10).collect();
        panic!(
            "{} lines instead of {}; missing {missing:?}, doubled {doubled:?}; notices {notices:?}",
            got.len(),
            expected.len()
        );
    }
    // The stream really was cut, several times: each reconnect is a new log request.
    let stats: serde_json::Value = {
        let req = http::Request::get("/kdeck-sim/v1/stats")
            .body(Vec::new())
            .unwrap();
        serde_json::from_str(&client_of(&server).await.request_text(req).await.unwrap()).unwrap()
    };
    let log_requests = stats["requests"]["log"]["requests"].as_u64().unwrap_or(0);
    assert!(
        log_requests >= 4,
        "only {log_requests} log requests: the stream was not cut ({stats})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_container_and_container_choice() {
    let server = sim(20.0).await;
    let client = client_of(&server).await;
    let pod = running_pod(&server, "sklearn-iris-predictor-00001").await;
    // A restart: what the container wrote so far becomes the previous instance's log.
    server
        .workload
        .log(NS, &pod, "kserve-container", "before the crash: 7f3a");
    server.workload.restart(NS, &pod, "kserve-container");
    server
        .workload
        .log(NS, &pod, "kserve-container", "after the restart: 9c1e");
    let (mut rx, _c1) = follow(&server, client.clone(), &pod, "kserve-container", true);
    let (previous, notices) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t.contains("7f3a"))
    })
    .await;
    assert!(
        previous
            .iter()
            .any(|t| t.contains("before the crash: 7f3a")),
        "{previous:?} {notices:?}"
    );
    assert!(
        !previous.iter().any(|t| t.contains("9c1e")),
        "the current instance in the previous log"
    );
    let (mut rx, _c2) = follow(&server, client.clone(), &pod, "kserve-container", false);
    let (current, _) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t.contains("9c1e"))
    })
    .await;
    assert!(
        current
            .iter()
            .any(|t| t.contains("after the restart: 9c1e")),
        "{current:?}"
    );
    assert!(
        !current.iter().any(|t| t.contains("7f3a")),
        "the previous instance in the current log"
    );

    // Container choice: each container's own lines, none of the others'.
    let qp_pod = running_pod(&server, "fraud-detector-predictor-00001").await;
    let mut texts = Vec::new();
    for container in ["kserve-container", "queue-proxy", "storage-initializer"] {
        let (mut rx, cancel) = follow(&server, client.clone(), &qp_pod, container, false);
        let (lines, notices) = collect(&mut rx, Duration::from_secs(3), |l| l.len() >= 3).await;
        cancel.cancel();
        assert!(!lines.is_empty(), "{container}: no lines ({notices:?})");
        texts.push((container, lines));
    }
    let is_qp = |t: &str| t.contains("\"logger\":\"queueproxy\"");
    let is_init = |t: &str| {
        t.to_lowercase().contains("download") || t.contains("storage") || t.contains("initializer")
    };
    let (_, model) = &texts[0];
    let (_, qp) = &texts[1];
    let (_, init) = &texts[2];
    assert!(qp.iter().all(|t| is_qp(t)), "queue-proxy: {qp:?}");
    assert!(
        !model.iter().any(|t| is_qp(t)),
        "kserve-container has queue-proxy lines: {model:?}"
    );
    assert!(
        !init.iter().any(|t| is_qp(t)),
        "storage-initializer has queue-proxy lines"
    );
    assert!(
        init.iter().any(|t| is_init(t)),
        "storage-initializer: {init:?}"
    );
    assert!(model != init, "the same lines for two containers");

    // The console's container choice: queue-proxy streams of every pod of the service.
    let mut console = Console::start(&server);
    open_fraud_detector(&mut console).await;
    let effects = logs::action(
        &mut console.state,
        kdeck::domain::action::Action::NextContainer,
    );
    assert_eq!(
        console.state.logs.as_ref().unwrap().container,
        ContainerChoice::QueueProxy
    );
    console.apply(effects);
    assert!(
        console
            .until(Duration::from_secs(10), |s| s
                .logs
                .as_ref()
                .is_some_and(|v| v.lines.iter().any(|l| !l.marker)))
            .await
    );
    let view = console.state.logs.as_ref().unwrap();
    assert!(view.streams.keys().all(|(_, c)| c == "queue-proxy"));
    assert!(
        view.lines
            .iter()
            .filter(|l| !l.marker)
            .all(|l| &*l.container == "queue-proxy" && is_qp(&l.text.text))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_cannot_reconnect_for_a_while_catches_up_exactly() {
    let server = sim(1.0).await;
    let client = client_of(&server).await;
    let pod = first_pod(&server, "xgb-churn-predictor-00001");
    let (mut rx, cancel) = follow(&server, client, &pod, "storage-initializer", false);
    let (head, _) = collect(&mut rx, Duration::from_secs(5), |l| !l.is_empty()).await;
    assert!(!head.is_empty());
    let write = |range: std::ops::Range<usize>| {
        for i in range {
            server
                .workload
                .log(NS, &pod, "storage-initializer", format!("seq {i:05}"));
        }
    };
    write(0..100);
    let (first, _) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t == "seq 00099")
    })
    .await;
    // The API server fails every log request, then the open stream is cut: the source
    // retries (and says so) while lines keep coming.
    server.faults.add("error500=log".parse().unwrap());
    server.faults.drop_logs();
    tokio::time::sleep(Duration::from_millis(200)).await;
    write(100..400);
    let (during, notices) = collect(&mut rx, Duration::from_millis(1500), |_| false).await;
    assert!(
        notices.iter().any(|n| n.starts_with("reconnecting")),
        "no reconnecting notice: {notices:?}"
    );
    server.faults.clear();
    write(400..500);
    let (after, _) = collect(&mut rx, Duration::from_secs(10), |l| {
        l.iter().any(|t| t == "seq 00499")
    })
    .await;
    let (late, _) = collect(&mut rx, Duration::from_millis(500), |_| false).await;
    cancel.cancel();
    let got: Vec<&String> = first
        .iter()
        .chain(&during)
        .chain(&after)
        .chain(&late)
        .filter(|t| t.starts_with("seq "))
        .collect();
    let expected: Vec<String> = (0..500).map(|i| format!("seq {i:05}")).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "lost or doubled: {:?}…",
        &got[..got.len().min(5)]
    );
    assert!(
        got.iter().zip(&expected).all(|(g, e)| *g == e),
        "out of order"
    );
    assert!(
        !during.iter().any(|t| t.starts_with("seq ")),
        "lines arrived while every log request failed"
    );
}
