//! The effect runner: turns the I/O effects `update` returns into spawned work whose results
//! come back through the inbox. It owns the cluster connection of the current epoch; the app
//! loop handles the terminal effects itself.

mod group_rollout;
mod rollout;
mod yaml;

pub use yaml::YamlFetchError;

use super::effect::{Effect, LogStreamSpec, ProbeRequest};
use super::inbox::{self, Outbox};
use super::msg::{GpuMsg, LogMsg, Msg};
use crate::domain::latency::TargetSet;
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::sources::incident::IncidentRequest;
use crate::sources::kube::cluster::ClusterSinks;
use crate::sources::kube::connect::{Connection, KubeconfigSource};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Runs effects against the outside world.
pub struct EffectRunner {
    tx: Outbox,
    settings: Arc<crate::config::Config>,
    kubeconfig: KubeconfigSource,
    /// Cancels the current connection epoch (its watchers and scrapers).
    epoch_cancel: CancellationToken,
    /// The client of the current epoch, once connected.
    connection: Arc<Mutex<Option<Connection>>>,
    /// Cancels the streams of each open log session.
    log_sessions: HashMap<u64, CancellationToken>,
    /// The pods the latency source reads; kept across connections.
    latency_targets: tokio::sync::watch::Sender<TargetSet>,
}

impl EffectRunner {
    pub fn new(
        tx: Outbox,
        kubeconfig: KubeconfigSource,
        settings: Arc<crate::config::Config>,
    ) -> Self {
        EffectRunner {
            tx,
            settings,
            kubeconfig,
            epoch_cancel: CancellationToken::new(),
            connection: Arc::new(Mutex::new(None)),
            log_sessions: HashMap::new(),
            latency_targets: tokio::sync::watch::Sender::new(TargetSet::default()),
        }
    }

    /// Where the connection's sources report: each event becomes its message; the latency
    /// source starts once connected and ends with the epoch.
    fn cluster_sinks(&self) -> ClusterSinks {
        let (settings, targets, cancel, tx) = (
            self.settings.clone(),
            self.latency_targets.subscribe(),
            self.epoch_cancel.clone(),
            self.tx.clone(),
        );
        ClusterSinks {
            cluster: inbox::sink(&self.tx, Msg::Cluster),
            gpu: inbox::sink(&self.tx, |batch| Msg::Gpu(GpuMsg::Cluster(batch))),
            notices: inbox::sink(&self.tx, |(level, text)| Msg::Notice(level, text)),
            on_connected: Box::new(move |client| {
                vec![tokio::spawn(crate::sources::latency::run(
                    client,
                    crate::sources::latency::LatencyConfig::from_settings(&settings),
                    targets,
                    cancel,
                    tx,
                ))]
            }),
        }
    }

    /// Starts one effect. Never blocks the loop: work is spawned, results are messages.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Quit | Effect::Suspend | Effect::ClearScreen => {}
            Effect::Connect {
                epoch,
                context,
                namespace,
            } => self.connect(epoch, context, namespace),
            Effect::LatencyTargets(targets) => {
                self.latency_targets.send_replace(targets);
            }
            Effect::StartLogStream(spec) => self.start_log_stream(spec),
            Effect::StopLogs { session } => {
                if let Some(cancel) = self.log_sessions.remove(&session) {
                    cancel.cancel();
                }
            }
            Effect::FetchYaml { key, kind } => {
                tokio::spawn(yaml::fetch(self.client(), key, kind, self.tx.clone()));
            }
            Effect::LoadHistory { id, key } => {
                self.with_client(|client, tx| rollout::load_history(client, id, key, tx))
            }
            Effect::CheckPermission { id, key } => {
                self.with_client(|client, tx| rollout::check_permission(client, id, key, tx))
            }
            Effect::DryRunPatch { id, key, patch } => {
                self.with_client(|client, tx| rollout::dry_run(client, id, key, patch, tx))
            }
            Effect::ApplyPatch {
                id,
                key: _,
                patch,
                history,
                intent,
            } => {
                let change = rollout::Change {
                    patch,
                    history: *history,
                    intent: *intent,
                };
                self.with_client(|client, tx| rollout::apply(client, id, change, tx))
            }
            Effect::CheckGroupPlan { id, plan } => {
                self.with_client(|client, tx| group_rollout::check_plan(client, id, *plan, tx))
            }
            Effect::ApplyGroupStep {
                id,
                step,
                planned,
                rebase,
                intent,
                undo,
            } => {
                let change = group_rollout::GroupChange {
                    id,
                    step,
                    planned: *planned,
                    rebase,
                    intent: *intent,
                    undo: undo.map(|u| *u),
                };
                self.with_client(|client, tx| group_rollout::apply_step(client, change, tx))
            }
            Effect::Audit { id, record } => {
                self.with_client(|client, tx| rollout::audit(client, id, *record, tx))
            }
            Effect::WriteIncident(request) => self.write_incident(*request),
            Effect::Probe(request) => self.probe(request),
            Effect::SaveLogs {
                name,
                content,
                lines,
            } => self.save_logs(name, content, lines),
        }
    }

    /// Ends the current connection epoch and starts the next one's connection and sources.
    fn connect(&mut self, epoch: u64, context: Option<String>, namespace: NamespaceScope) {
        self.epoch_cancel.cancel();
        self.epoch_cancel = CancellationToken::new();
        self.connection = Arc::new(Mutex::new(None));
        tokio::spawn(crate::sources::kube::cluster::run(
            self.settings.clone(),
            self.kubeconfig.clone(),
            context,
            namespace,
            epoch,
            self.cluster_sinks(),
            self.epoch_cancel.clone(),
            self.connection.clone(),
        ));
    }

    /// Follows one container's log in the spec's session (stopped with the session or the
    /// epoch).
    fn start_log_stream(&mut self, spec: LogStreamSpec) {
        let Some(client) = self.client() else {
            self.notice(
                NoticeLevel::Error,
                "cannot follow logs: not connected to the cluster yet",
            );
            return;
        };
        let cancel = self
            .log_sessions
            .entry(spec.session)
            .or_insert_with(|| self.epoch_cancel.child_token())
            .clone();
        tokio::spawn(crate::sources::kube::logs::follow(
            client,
            spec,
            inbox::sink(&self.tx, Msg::Logs),
            cancel,
        ));
    }

    /// Spawns the work `start` makes from the client and the inbox, or says there is no
    /// client yet.
    fn with_client<F>(&self, start: impl FnOnce(kube::Client, Outbox) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        if let Some(client) = self.client_or_notice() {
            tokio::spawn(start(client, self.tx.clone()));
        }
    }

    /// Writes an incident snapshot and says where (or why not).
    fn write_incident(&self, request: IncidentRequest) {
        let Some(client) = self.client() else {
            self.notice(
                NoticeLevel::Error,
                "cannot write the snapshot: not connected to the cluster",
            );
            return;
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = match crate::sources::incident::write(&client, request).await {
                Ok(path) => Msg::Notice(
                    NoticeLevel::Info,
                    format!("incident snapshot written to {path}"),
                ),
                Err(error) => Msg::Notice(NoticeLevel::Error, error.to_string()),
            };
            let _ = tx.send(msg).await;
        });
    }

    /// Runs a console probe (directly, or through the API server's proxy) until it ends or
    /// the epoch does.
    fn probe(&self, request: ProbeRequest) {
        let client = if request.via_api {
            match self.client_or_notice() {
                Some(client) => Some(client),
                None => return,
            }
        } else {
            None
        };
        let tx = self.tx.clone();
        let cancel = self.epoch_cancel.clone();
        tokio::spawn(async move {
            let spec = crate::sources::probe::ProbeSpec {
                target: request.url.clone(),
                model: request.model.clone(),
                protocol: request.protocol,
                count: request.count,
                concurrency: request.concurrency,
                timeout: std::time::Duration::from_secs(5),
                payload: None,
            };
            let report = tokio::select! {
                _ = cancel.cancelled() => return,
                r = async {
                    match &client {
                        Some(client) => crate::sources::probe::run_via_api_asking(client, &spec, request.explain).await,
                        None => crate::sources::probe::run_asking(&spec, &crate::sources::probe::Ask { explain: request.explain, ..Default::default() }).await,
                    }
                } => r,
            };
            let summary =
                report.summary(spec.protocol, &spec.target, &spec.model, spec.concurrency);
            let _ = tx.send(Msg::Probe(Box::new((request, summary)))).await;
        });
    }

    /// Saves the log buffer in the state directory and says where (or why not).
    fn save_logs(&self, name: String, content: String, lines: usize) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let msg = match crate::sources::files::save_in_state_dir(&name, &content).await {
                Ok(path) => LogMsg::Saved { path, lines },
                Err(error) => LogMsg::SaveFailed {
                    error: error.to_string(),
                },
            };
            let _ = tx.send(Msg::Logs(msg)).await;
        });
    }

    /// The client, or a notice that there is none yet.
    fn client_or_notice(&self) -> Option<kube::Client> {
        let client = self.client();
        if client.is_none() {
            self.notice(
                NoticeLevel::Error,
                "not connected to the cluster yet; try again in a moment",
            );
        }
        client
    }

    fn notice(&self, level: NoticeLevel, text: &str) {
        let _ = self.tx.try_send(Msg::Notice(level, text.to_string()));
    }

    /// The client of the current epoch, if connected.
    pub fn client(&self) -> Option<kube::Client> {
        self.connection
            .lock()
            .ok()?
            .as_ref()
            .map(|c| c.client.clone())
    }

    /// Stops everything the runner started.
    pub fn shutdown(&mut self) {
        self.epoch_cancel.cancel();
    }
}
