//! Helpers shared by tests/logs_sim.rs and tests/logs_sim_streams.rs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kdeck::app::effect::{Effect, LogStreamSpec};
use kdeck::app::inbox::{self, Outbox};
use kdeck::app::msg::{LogMsg, Msg};
use kdeck::app::runner::EffectRunner;
use kdeck::app::update::{logs, reconnect, update};
use kdeck::config::Config;
use kdeck::config::keymap::Keymap;
use kdeck::domain::key::ObjectKey;
use kdeck::domain::scope::NamespaceScope;
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use kdeck::sources::kube::connect::KubeconfigSource;
use kdeck::state::State;
use kdeck::state::logs::LogTarget;
use kdeck::state::session::Session;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub(crate) const NS: &str = "ml-prod";

/// A line of the view: pod, tag, canary, text.
pub(crate) type Row = (String, String, bool, String);

pub(crate) async fn sim(time_scale: f64) -> SimServer {
    SimServer::start(SimOptions {
        scenario: Scenario::Demo,
        time_scale,
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts")
}

/// The console minus its terminal: state, update, the effect runner and the inbox.
pub(crate) struct Console {
    pub(crate) state: State,
    pub(crate) runner: EffectRunner,
    pub(crate) rx: Receiver<Msg>,
}

impl Console {
    pub(crate) fn start(server: &SimServer) -> Console {
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

    pub(crate) fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Quit | Effect::Suspend | Effect::ClearScreen => {}
                other => self.runner.run(other),
            }
        }
    }

    /// Handles messages until `done` holds; false at the deadline.
    pub(crate) async fn until(&mut self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
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
    pub(crate) fn lines(&self) -> Vec<Row> {
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

pub(crate) fn service_pods(state: &State, name: &str) -> BTreeSet<String> {
    state
        .cluster
        .pods_of(&ObjectKey::new(NS, name))
        .map(|p| p.meta.name.clone())
        .collect()
}

pub(crate) fn running_revisions(state: &State, name: &str) -> BTreeSet<String> {
    state
        .cluster
        .pods_of(&ObjectKey::new(NS, name))
        .filter(|p| {
            p.containers.iter().any(|c| {
                &*c.name == "kserve-container" && c.state == kdeck::domain::pod::RunState::Running
            })
        })
        .filter_map(|p| p.revision().map(str::to_string))
        .collect()
}

/// Opens the logs of fraud-detector once both revisions have running pods.
pub(crate) async fn open_fraud_detector(console: &mut Console) {
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

/// Follows one container with the source the console uses and returns its message inbox.
pub(crate) fn follow(
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

pub(crate) async fn client_of(server: &SimServer) -> kube::Client {
    kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(server.kubeconfig().unwrap(), &Default::default())
            .await
            .unwrap(),
    )
    .unwrap()
}

/// Waits until a pod named `prefix…` has every container running; returns its name.
pub(crate) async fn running_pod(server: &SimServer, prefix: &str) -> String {
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

pub(crate) fn first_pod(server: &SimServer, prefix: &str) -> String {
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
pub(crate) async fn collect(
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
